"""Client calls for inventory push and the inventory report."""


class InventoryMixin:
    """Methods mixed into ``tatacliq.client.Client``; they use ``self.call``."""
