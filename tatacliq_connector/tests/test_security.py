from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DEMO_SELLER, TataCliqCase

SECRET_FIELDS = ("password", "api_secret", "sftp_password", "sftp_private_key")


@tagged("post_install", "-at_install")
class TestAccessRights(TataCliqCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls._create_user(
            "tcq.user", ["tatacliq_connector.group_tatacliq_user"]
        )
        cls.manager = cls._create_user(
            "tcq.manager", ["tatacliq_connector.group_tatacliq_manager"]
        )
        cls.salesman = cls._create_user(
            "tcq.salesman", ["sales_team.group_sale_salesman"]
        )

    def test_groups_hierarchy(self):
        user_group = self.env.ref("tatacliq_connector.group_tatacliq_user")
        self.assertIn(user_group, self.manager.groups_id)
        self.assertTrue(self.user.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(
            self.user.has_group("tatacliq_connector.group_tatacliq_manager")
        )
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("tatacliq_connector.group_tatacliq_manager"))

    def test_user_reads_channel_but_not_credentials(self):
        channel = self.channel.with_user(self.user)
        self.assertEqual(channel.name, self.channel.name)
        self.assertEqual(channel.seller_id, DEMO_SELLER["seller_id"])
        for field_name in SECRET_FIELDS:
            with (
                self.subTest(field=field_name),
                mute_logger("odoo.models"),
                self.assertRaises(AccessError),
            ):
                channel.read([field_name])
        fields = channel.fields_get()
        for field_name in SECRET_FIELDS:
            self.assertNotIn(field_name, fields)
        values = channel.read()[0]
        for field_name in SECRET_FIELDS:
            self.assertNotIn(field_name, values)

    def test_user_form_hides_credentials(self):
        arch = (
            self.env["tatacliq.channel"]
            .with_user(self.user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn('name="password"', arch)
        self.assertNotIn('name="api_secret"', arch)
        self.assertIn('name="seller_id"', arch)
        manager_arch = (
            self.env["tatacliq.channel"]
            .with_user(self.manager)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="password"', manager_arch)

    def test_user_cannot_change_channel(self):
        channel = self.channel.with_user(self.user)
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            channel.write({"name": "Renamed"})
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            channel.write({"password": "stolen"})
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            self.env["tatacliq.channel"].with_user(self.user).create(
                {
                    "name": "New",
                    "base_url": self.sandbox.url,
                    "seller_id": "1",
                    "warehouse_id": self.warehouse.id,
                }
            )
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            channel.unlink()
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            channel.location_ids[:1].write({"slave_id": "X"})

    def test_user_maintains_mappings(self):
        mapping = (
            self.env["tatacliq.product.mapping"]
            .with_user(self.user)
            .create(
                {
                    "channel_id": self.channel.id,
                    "article_number": "USER-SKU",
                    "product_id": self.products["WALLET-BRN"].id,
                }
            )
        )
        mapping.delisted = True
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            mapping.unlink()
        mapping.with_user(self.manager).unlink()

    def test_manager_manages_channel(self):
        channel = self.channel.with_user(self.manager)
        self.assertEqual(channel.password, DEMO_SELLER["password"])
        channel.write({"name": "Renamed", "api_secret": "new-secret"})
        self.assertEqual(self.channel.api_secret, "new-secret")

    def test_client_built_for_user(self):
        # A user may sync although the credentials are hidden from them.
        client = self.channel.with_user(self.user)._get_client()
        self.assertTrue(client.get_token())

    def test_api_logs_read_only_for_user(self):
        self.channel.action_test_connection()
        logs = (
            self.env["tatacliq.api.log"]
            .with_user(self.user)
            .search([("channel_id", "=", self.channel.id)])
        )
        self.assertTrue(logs)
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            logs.unlink()
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            logs[:1].write({"route": "changed"})
        logs.with_user(self.manager).unlink()

    def test_salesman_without_group(self):
        with mute_logger("odoo.models"), self.assertRaises(AccessError):
            self.env["tatacliq.channel"].with_user(self.salesman).search([])


@tagged("post_install", "-at_install")
class TestMultiCompany(TataCliqCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Seller B"})
        cls.warehouse_b = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company_b.id)], limit=1
        )
        cls.product_b = cls.env["product.product"].create(
            {
                "name": "Saree B",
                "default_code": "SAREE-B",
                "company_id": cls.company_b.id,
            }
        )
        cls.channel_b = cls._create_channel(
            name="Channel B",
            company_id=cls.company_b.id,
            warehouse_id=cls.warehouse_b.id,
            location_ids=[
                Command.create(
                    {"slave_id": "999-WH01", "warehouse_id": cls.warehouse_b.id}
                )
            ],
            mapping_ids=[
                Command.create(
                    {"article_number": "SAREE-B", "product_id": cls.product_b.id}
                )
            ],
        )
        cls.env["tatacliq.api.log"].create(
            [
                {"channel_id": cls.channel.id, "route": "token", "status_code": 200},
                {"channel_id": cls.channel_b.id, "route": "token", "status_code": 200},
            ]
        )
        cls.user_a = cls._create_user(
            "tcq.user.a", ["tatacliq_connector.group_tatacliq_manager"], cls.company
        )
        cls.user_ab = cls._create_user(
            "tcq.user.ab",
            ["tatacliq_connector.group_tatacliq_manager"],
            cls.company | cls.company_b,
        )

    def _visible(self, user, model, companies=None):
        env = self.env(user=user)
        if companies:
            env = env(context={"allowed_company_ids": companies.ids})
        return env[model].search([])

    def test_company_isolation(self):
        for model, record_b in (
            ("tatacliq.channel", self.channel_b),
            ("tatacliq.location", self.channel_b.location_ids),
            ("tatacliq.product.mapping", self.channel_b.mapping_ids),
            ("tatacliq.api.log", self._api_logs(self.channel_b)),
        ):
            with self.subTest(model=model):
                visible = self._visible(self.user_a, model)
                self.assertTrue(visible)
                self.assertFalse(visible & record_b)
                self.assertEqual(visible.company_id, self.company)
                with mute_logger("odoo.models"), self.assertRaises(AccessError):
                    record_b.with_user(self.user_a).read(["company_id"])

    def test_multi_company_user(self):
        both = self.company | self.company_b
        for model in (
            "tatacliq.channel",
            "tatacliq.location",
            "tatacliq.product.mapping",
            "tatacliq.api.log",
        ):
            with self.subTest(model=model):
                self.assertEqual(
                    self._visible(self.user_ab, model, both).company_id, both
                )
                self.assertEqual(
                    self._visible(self.user_ab, model, self.company_b).company_id,
                    self.company_b,
                )

    def test_lookup_stays_in_company(self):
        self.assertFalse(self.channel._find_product("SAREE-B").product)
        self.assertEqual(
            self.channel_b._find_product("saree-b").product, self.product_b
        )
