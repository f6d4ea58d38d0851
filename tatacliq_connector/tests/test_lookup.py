from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import STORE_SLAVE_IDS, WAREHOUSE_SLAVE_ID, TataCliqCase


@tagged("post_install", "-at_install")
class TestProductLookup(TataCliqCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shoe = cls.env["product.product"].create(
            {"name": "Running Shoe, Red, 9", "default_code": " Shoe-RED-9 "}
        )

    def test_mapping_ignores_case_and_spaces(self):
        for value in ("KURTA-BLU-M", "kurta-blu-m", "  Kurta-Blu-M\t"):
            with self.subTest(value=value):
                lookup = self.channel._find_product(value)
                self.assertEqual(lookup.product, self.products["KURTA-BLU-M"])
                self.assertEqual(lookup.mapping.article_number, "KURTA-BLU-M")
                self.assertFalse(lookup.message)
                self.assertFalse(lookup.ambiguous)

    def test_mapping_wins_over_default_code(self):
        # Another product carries the SKU as internal reference; the
        # channel's mapping decides.
        self.env["product.product"].create(
            {"name": "Old kurta", "default_code": "KURTA-BLU-L"}
        )
        lookup = self.channel._find_product("KURTA-BLU-L")
        self.assertEqual(lookup.product, self.products["KURTA-BLU-L"])

    def test_default_code_fallback(self):
        lookup = self.channel._find_product("shoe-red-9")
        self.assertEqual(lookup.product, self.shoe)
        self.assertFalse(lookup.mapping)
        self.assertFalse(lookup.message)

    def test_default_code_with_like_wildcards(self):
        self.env["product.product"].create(
            {"name": "Underscore", "default_code": "CAP_RED"}
        )
        lookup = self.channel._find_product("CAPXRED")
        self.assertFalse(lookup.product)
        mapping = self.env["tatacliq.product.mapping"].create(
            {
                "channel_id": self.channel.id,
                "article_number": "BAG_%",
                "product_id": self.shoe.id,
            }
        )
        self.assertFalse(self.channel._find_product("BAGX1").product)
        self.assertEqual(self.channel._find_product("bag_%").mapping, mapping)

    def test_ambiguous_default_code(self):
        first = self.env["product.product"].create(
            {"name": "Belt A", "default_code": "BELT-1"}
        )
        second = self.env["product.product"].create(
            {"name": "Belt B", "default_code": "belt-1 "}
        )
        lookup = self.channel._find_product("Belt-1")
        self.assertFalse(lookup.product)
        self.assertTrue(lookup.ambiguous)
        self.assertEqual(lookup.candidates, first | second)
        self.assertIn("several", lookup.message)
        self.assertIn("Belt A", lookup.message)
        self.assertIn("Belt B", lookup.message)

    def test_not_found(self):
        lookup = self.channel._find_product("NO-SUCH-SKU")
        self.assertFalse(lookup.product)
        self.assertFalse(lookup.ambiguous)
        self.assertIn("NO-SUCH-SKU", lookup.message)
        self.assertIn("Add a product mapping", lookup.message)

    def test_missing_article_number(self):
        for value in (None, "", "   "):
            with self.subTest(value=value):
                lookup = self.channel._find_product(value)
                self.assertFalse(lookup.product)
                self.assertIn("no article number", lookup.message)

    def test_archived_mapping_ignored(self):
        mapping = self.channel.mapping_ids.filtered(
            lambda m: m.article_number == "WALLET-BRN"
        )
        mapping.active = False
        lookup = self.channel._find_product("WALLET-BRN")
        self.assertFalse(lookup.product)

    def test_delisted_mapping_still_found(self):
        mapping = self.channel.mapping_ids.filtered(
            lambda m: m.article_number == "POUCH-FREE"
        )
        mapping.delisted = True
        self.assertTrue(mapping.delisted_date)
        self.assertEqual(
            self.channel._find_product("POUCH-FREE").product,
            self.products["POUCH-FREE"],
        )
        mapping.delisted = False
        self.assertFalse(mapping.delisted_date)

    def test_other_company_product_ignored(self):
        other = self.env["res.company"].create({"name": "Other seller"})
        self.env["product.product"].create(
            {"name": "Foreign", "default_code": "FOREIGN-1", "company_id": other.id}
        )
        lookup = self.channel._find_product("FOREIGN-1")
        self.assertFalse(lookup.product)

    def test_mapping_unique_per_channel(self):
        Mapping = self.env["tatacliq.product.mapping"]
        vals = {"channel_id": self.channel.id, "product_id": self.shoe.id}
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            Mapping.create(dict(vals, article_number=" KURTA-BLU-M "))
        with (
            self.assertRaisesRegex(ValidationError, "already mapped"),
            self.cr.savepoint(),
        ):
            Mapping.create(dict(vals, article_number="kurta-blu-m"))
        other_channel = self._create_channel(name="Second channel")
        mapping = Mapping.create(
            {
                "channel_id": other_channel.id,
                "article_number": " KURTA-BLU-M ",
                "product_id": self.shoe.id,
            }
        )
        self.assertEqual(mapping.article_number, "KURTA-BLU-M")

    def test_mapping_standard_import(self):
        result = self.env["tatacliq.product.mapping"].load(
            ["channel_id", "article_number", "product_id", "safety_stock"],
            [
                [self.channel.name, "IMPORT-1", "TEST-WLT-BRN", "2"],
                [self.channel.name, " import-2 ", "Running Shoe, Red, 9", "0"],
            ],
        )
        self.assertFalse(result["messages"], result["messages"])
        mappings = self.env["tatacliq.product.mapping"].browse(result["ids"])
        self.assertEqual(mappings.mapped("article_number"), ["IMPORT-1", "import-2"])
        self.assertEqual(mappings[0].product_id, self.products["WALLET-BRN"])
        self.assertEqual(mappings[1].product_id, self.shoe)
        self.assertEqual(mappings[0].safety_stock, 2)
        self.assertEqual(self.channel._find_product("Import-2").product, self.shoe)

    def test_mapping_import_template(self):
        templates = self.env["tatacliq.product.mapping"].get_import_templates()
        self.assertTrue(templates[0]["template"].endswith(".csv"))


@tagged("post_install", "-at_install")
class TestLocationLookup(TataCliqCase):
    def test_find_location(self):
        location = self.channel._find_location(" 273570-st01 ")
        self.assertEqual(location.slave_id, STORE_SLAVE_IDS[0])
        self.assertEqual(location.warehouse_id, self.store_warehouses[0])
        self.assertFalse(self.channel._find_location("273570-XX99"))
        self.assertFalse(self.channel._find_location(None))

    def test_warehouse_for_slave(self):
        channel = self.channel
        self.assertEqual(
            channel._get_warehouse_for_slave(STORE_SLAVE_IDS[1]),
            self.store_warehouses[1],
        )
        self.assertEqual(
            channel._get_warehouse_for_slave(WAREHOUSE_SLAVE_ID), self.warehouse
        )
        self.assertEqual(channel._get_warehouse_for_slave(""), self.warehouse)
        self.assertFalse(channel._get_warehouse_for_slave("273570-XX99"))
        bare = self._create_channel(name="No locations")
        self.assertEqual(bare._get_warehouse_for_slave("273570-XX99"), self.warehouse)

    def test_slave_id_unique_per_channel(self):
        Location = self.env["tatacliq.location"]
        vals = {"channel_id": self.channel.id, "warehouse_id": self.warehouse.id}
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            Location.create(dict(vals, slave_id=f" {WAREHOUSE_SLAVE_ID} "))
        with (
            self.assertRaisesRegex(ValidationError, "already set"),
            self.cr.savepoint(),
        ):
            Location.create(dict(vals, slave_id="273570-wh01"))
        other = self._create_channel(name="Other store channel")
        location = self.env["tatacliq.location"].create(
            {
                "channel_id": other.id,
                "slave_id": " 273570-WH01 ",
                "warehouse_id": self.warehouse.id,
            }
        )
        self.assertEqual(location.slave_id, WAREHOUSE_SLAVE_ID)

    def test_location_company_consistency(self):
        other = self.env["res.company"].create({"name": "Other seller"})
        foreign_warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other.id)], limit=1
        )
        self.assertTrue(foreign_warehouse)
        with self.assertRaisesRegex(ValidationError, "belongs to"):
            self.env["tatacliq.location"].create(
                {
                    "channel_id": self.channel.id,
                    "slave_id": "273570-ST09",
                    "warehouse_id": foreign_warehouse.id,
                }
            )
