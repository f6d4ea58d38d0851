"""Client calls for cancellations, seller cancellation and returns."""


class ReturnsMixin:
    """Methods mixed into ``tatacliq.client.Client``; they use ``self.call``."""
