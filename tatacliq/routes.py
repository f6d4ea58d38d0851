"""The route table: every marketplace call the connector makes, as data.

Paths are templates filled with ``str.format``: ``{seller_id}``, ``{version}``
(``1.0`` or ``2.0``), ``{fmt}`` (``XML`` for V1, ``JSON`` for V2) and the
call's own keys (``{order_no}``, ``{transaction_id}``, ``{manifest_id}``,
``{slave_id}``). A channel overrides any field of any route with a mapping
such as ``{"orders_list": {"path": "..."}}``, so aligning the connector with
the marketplace's own document is a data change.

``observed`` marks routes seen in public material; the others are defined by
this project (see docs/PROTOCOL.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

SELLER = "/PartnerConnect/PC_{seller_id}"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    # "payload" follows the API version (XML for V1, JSON for V2); "pdf" is a
    # binary document; "json" is always JSON (the token route).
    response: str = "payload"
    observed: bool = False


DEFAULT_ROUTES = {
    route.name: route
    for route in (
        Route(
            "token",
            "POST",
            "/security/createJWTToken",
            response="json",
            observed=True,
        ),
        Route(
            "orders_list",
            "GET",
            SELLER + "/AP_SALES_ORDER/AVT_{fmt}_SALES_ORDER/AV_{version}/OG_1/",
            observed=True,
        ),
        Route(
            "order_get",
            "GET",
            SELLER
            + "/AP_SALES_ORDER/AVT_{fmt}_SALES_ORDER/AV_{version}/OG_1"
            + "/ORDID_{order_no}/",
            observed=True,
        ),
        Route(
            "line_accept",
            "POST",
            SELLER + "/AP_ORDER_ACCEPT/AVT_{fmt}_ORDER_ACCEPT/AV_{version}/OG_1",
        ),
        Route(
            "pick_confirm",
            "POST",
            SELLER + "/AP_PICK_CONFIRM/AVT_{fmt}_PICK_CONFIRM/AV_{version}/OG_1",
        ),
        Route("pack", "POST", SELLER + "/AP_PACK/AVT_{fmt}_PACK/AV_{version}/OG_1"),
        Route(
            "label_prefetch",
            "POST",
            SELLER + "/AP_LABEL_PREFETCH/AVT_{fmt}_LABEL_PREFETCH/AV_{version}/OG_1",
        ),
        Route(
            "shipping_label",
            "GET",
            SELLER + "/AP_SHIPPING_LABEL/AV_{version}/OG_1/TXNID_{transaction_id}/",
            response="pdf",
        ),
        Route(
            "invoice_document",
            "GET",
            SELLER + "/AP_INVOICE/AV_{version}/OG_1/TXNID_{transaction_id}/",
            response="pdf",
        ),
        Route(
            "shipment_confirm",
            "POST",
            SELLER
            + "/AP_SHIPMENT_CONFIRM/AVT_{fmt}_SHIPMENT_CONFIRM/AV_{version}/OG_1",
        ),
        Route(
            "handover",
            "POST",
            SELLER + "/AP_HANDOVER/AVT_{fmt}_HANDOVER/AV_{version}/OG_1",
        ),
        Route(
            "manifest_create",
            "POST",
            SELLER + "/AP_MANIFEST/AVT_{fmt}_MANIFEST/AV_{version}/OG_1",
        ),
        Route(
            "manifest_document",
            "GET",
            SELLER + "/AP_MANIFEST/AV_{version}/OG_1/MFID_{manifest_id}/",
            response="pdf",
        ),
        Route(
            "inventory_update",
            "POST",
            SELLER + "/AP_INVENTORY/AV_{version}/OG_1",
            observed=True,
        ),
        Route(
            "inventory_report",
            "GET",
            SELLER
            + "/AP_INVENTORY_REPORT/AVT_{fmt}_INVENTORY_REPORT/AV_{version}/OG_1"
            + "/SLAVE_{slave_id}/",
        ),
        Route(
            "cancellations",
            "GET",
            SELLER + "/AP_CANCELLED_ORDER/AVT_{fmt}_CANCELLED_ORDER/AV_{version}/OG_1/",
        ),
        Route(
            "seller_cancel",
            "POST",
            SELLER + "/AP_SELLER_CANCEL/AVT_{fmt}_SELLER_CANCEL/AV_{version}/OG_1",
        ),
        Route(
            "returns",
            "GET",
            SELLER + "/AP_RETURN_ORDER/AVT_{fmt}_RETURN_ORDER/AV_{version}/OG_1/",
        ),
    )
}

_ROUTE_FIELDS = {f.name for f in fields(Route)} - {"name"}


def build_routes(overrides: dict | None = None) -> dict[str, Route]:
    """Return the default route table with a channel's overrides applied.

    Raises ``ValueError`` for an unknown route name or field, so a typo in a
    channel's overrides is reported instead of ignored.
    """
    routes = dict(DEFAULT_ROUTES)
    for name, changes in (overrides or {}).items():
        if name not in routes:
            raise ValueError(
                f"Unknown route {name!r} in the route overrides; "
                f"known routes: {', '.join(sorted(routes))}."
            )
        unknown = set(changes) - _ROUTE_FIELDS
        if unknown:
            raise ValueError(
                f"Unknown field(s) {', '.join(sorted(unknown))} for route {name!r}; "
                f"allowed: {', '.join(sorted(_ROUTE_FIELDS))}."
            )
        routes[name] = replace(routes[name], **changes)
    return routes
