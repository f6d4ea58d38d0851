"""Client calls for pack, labels, shipment confirmation, handover and manifests."""


class FulfilmentMixin:
    """Methods mixed into ``tatacliq.client.Client``; they use ``self.call``."""
