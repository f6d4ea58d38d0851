"""Shared set-up of the connector tests: a sandbox marketplace and a channel.

``TataCliqCase`` starts the sandbox marketplace in this process on a free
loopback port and configures a channel of the demo seller against it, with
three locations, four mapped products and two store warehouses. It also puts
the registry in test mode, as ``HttpCase`` does, so the API log records that
the channel writes through ``registry.cursor()`` land in the test transaction
and are visible to the test.
"""

from odoo import Command
from odoo.tests import TransactionCase

DEMO_SELLER = {
    "seller_id": "273570",
    "seller_code": "TCQ273570",
    "username": "demo.slave",
    "password": "demo-password",
    "api_key": "demo-key",
    "api_secret": "demo-secret",
}
WAREHOUSE_SLAVE_ID = "273570-WH01"
STORE_SLAVE_IDS = ("273570-ST01", "273570-ST02")

# Marketplace SKUs of the sample orders, mapped to products whose internal
# references differ, so a test that finds them proves the mapping was used.
MAPPED_SKUS = {
    "KURTA-BLU-M": ("Cotton Kurta, Blue, M", "TEST-KRT-BLU-M", 1299.0),
    "KURTA-BLU-L": ("Cotton Kurta, Blue, L", "TEST-KRT-BLU-L", 1299.0),
    "POUCH-FREE": ("Gift Pouch", "TEST-POUCH", 0.0),
    "WALLET-BRN": ("Leather Wallet, Brown", "TEST-WLT-BRN", 899.0),
}


def make_order_line(transaction_id, article_number, price="1299.00", **values):
    """Return one marketplace order line (V2 JSON shape) for ``sandbox.seed``."""
    line = {
        "transactionId": str(transaction_id),
        "shipByDate": "2026-11-30 23:59:59",
        "omsStatusCode": "001",
        "sellerID": DEMO_SELLER["seller_id"],
        "articleNumber": article_number,
        "price": price,
        "mrp": price,
        "isCOD": "N",
        "apportionedPrice": price,
        "apportionedCODPrice": "0.00",
        "apportionedShippingCharge": "0.00",
        "isaGift": "N",
        "isAFreebie": "N",
        "deliveryMode": "HD",
        "transportMode": "SUR",
        "fulfillmentType": "TSHIP",
        "isPrecious": "N",
        "isFragile": "N",
        "p1SlaveId": WAREHOUSE_SLAVE_ID,
        "p1LogisticsID": "DL",
        "returnLogisticsID": "DL",
    }
    line.update(values)
    return line


def make_order(order_no, lines, **values):
    """Return one marketplace order (V2 JSON shape) with a Pune address."""
    address = {
        "firstName": "Asha",
        "lastName": "Verma",
        "phone": "9800000001",
        "email": "asha.verma@example.com",
        "address1": "Flat 12, Example Residency",
        "address2": "Sector 4",
        "city": "Pune",
        "state": "27",
        "pincode": "411001",
        "country": "IN",
    }
    total = sum(float(line["apportionedPrice"]) for line in lines)
    order = {
        "orderType": "01",
        "orderNo": order_no,
        "orderDate": "2026-11-28 14:05:33",
        "addressInfo": [
            dict(address, addressType="DA"),
            dict(address, addressType="BA"),
        ],
        "paymentInfo": [
            {
                "paymentCost": f"{total:.2f}",
                "paymentMode": "Prepaid",
                "paymentStatus": "S",
                "paymentDate": "2026-11-28 14:05:40",
            }
        ],
        "orderLine": lines,
    }
    order.update(values)
    return order


class LoopbackRequestsMixin:
    """Let Odoo's test guard on outgoing requests accept timeout tuples.

    Odoo 18.0 blocks every request in tests except to localhost, and compares
    the timeout with a number, which fails on the ``(connect, read)`` tuple of
    ``requests`` that the client sends. The tuple becomes its largest value
    before Odoo's guard runs; the guard raises it to 10 seconds anyway.
    """

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        timeout = kwargs.get("timeout")
        if isinstance(timeout, tuple):
            kwargs["timeout"] = max(value for value in timeout if value is not None)
        return super()._request_handler(session, request, **kwargs)


class TataCliqCase(LoopbackRequestsMixin, TransactionCase):
    """Test case with a running sandbox marketplace and a configured channel.

    Class attributes after set-up: ``sandbox``, ``company``, ``warehouse``,
    ``store_warehouses``, ``products`` (keyed by marketplace SKU),
    ``channel``. Works as a base of ``HttpCase`` subclasses too.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # HttpCase enters test mode itself; a TransactionCase does not.
        if not cls.registry.in_test_mode():
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls._start_sandbox()
        cls._setup_tatacliq_records()

    @classmethod
    def _start_sandbox(cls):
        from tatacliq_sandbox import Sandbox

        cls.sandbox = Sandbox.demo(port=0)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)

    @classmethod
    def _setup_tatacliq_records(cls):
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.store_warehouses = cls.env["stock.warehouse"].create(
            [
                {"name": name, "code": code, "company_id": cls.company.id}
                for name, code in (
                    ("Test store Bandra", "TST1"),
                    ("Test store Koramangala", "TST2"),
                )
            ]
        )
        cls.products = {
            sku: cls.env["product.product"].create(
                {
                    "name": name,
                    "default_code": code,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                }
            )
            for sku, (name, code, price) in MAPPED_SKUS.items()
        }
        cls.channel = cls._create_channel(
            name="Tata CLiQ test channel",
            location_ids=[
                Command.create(
                    {
                        "slave_id": WAREHOUSE_SLAVE_ID,
                        "name": "Main warehouse",
                        "warehouse_id": cls.warehouse.id,
                    }
                ),
                *(
                    Command.create(
                        {
                            "slave_id": slave_id,
                            "name": warehouse.name,
                            "warehouse_id": warehouse.id,
                        }
                    )
                    for slave_id, warehouse in zip(
                        STORE_SLAVE_IDS, cls.store_warehouses, strict=True
                    )
                ),
            ],
            mapping_ids=[
                Command.create({"article_number": sku, "product_id": product.id})
                for sku, product in cls.products.items()
            ],
        )

    @classmethod
    def _create_channel(cls, **values):
        """Create a channel of the demo seller against the sandbox."""
        vals = {
            "name": "Tata CLiQ channel",
            "company_id": cls.company.id,
            "fulfillment_model": "tship",
            "base_url": cls.sandbox.url,
            "warehouse_id": cls.warehouse.id,
            "api_version": "v2",
            **DEMO_SELLER,
        }
        vals.update(values)
        return cls.env["tatacliq.channel"].create(vals)

    @classmethod
    def _create_user(cls, login, groups, companies=None):
        """Create an internal user with ``groups`` (XML ids) in ``companies``."""
        companies = companies or cls.company
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login.replace(".", " ").title(),
                    "login": login,
                    "email": f"{login}@example.com",
                    "company_id": companies[0].id,
                    "company_ids": [Command.set(companies.ids)],
                    "groups_id": [
                        Command.set([cls.env.ref(xmlid).id for xmlid in groups])
                    ],
                }
            )
        )

    def _api_logs(self, channel=None):
        """Return the API logs of ``channel`` (the test channel by default)."""
        channel = channel or self.channel
        return self.env["tatacliq.api.log"].search([("channel_id", "=", channel.id)])
