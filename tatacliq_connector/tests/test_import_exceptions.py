import json

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import make_order, make_order_line
from .test_import import ImportCase

UNMAPPED_SKU = "SHAWL-GRN-FREE"
EXCEPTION_ACTIVITY_TYPE = "tatacliq_connector.mail_activity_type_tatacliq_exception"


@tagged("post_install", "-at_install")
class TestImportExceptions(ImportCase):
    def exceptions(self, state="open", **values):
        domain = [("channel_id", "=", self.channel.id)]
        if state:
            domain.append(("state", "=", state))
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["tatacliq.exception"].search(domain)

    def exception_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "tatacliq.channel"),
                ("res_id", "=", self.channel.id),
                ("activity_type_id", "=", self.env.ref(EXCEPTION_ACTIVITY_TYPE).id),
            ]
        )

    def map_sku(self, sku, product=None):
        product = product or self.env["product.product"].create(
            {"name": f"Product {sku}", "type": "consu", "is_storable": True}
        )
        self.channel.write(
            {
                "mapping_ids": [
                    Command.create({"article_number": sku, "product_id": product.id})
                ]
            }
        )
        return product

    def order_with_unmapped_line(self, order_no="8000-0000-000001"):
        return make_order(
            order_no,
            [
                make_order_line("27357000080000001", "KURTA-BLU-M"),
                make_order_line("27357000080000002", UNMAPPED_SKU, price="499.00"),
            ],
        )

    def test_unmapped_sku_normal(self):
        payload = self.order_with_unmapped_line()
        self.seed(payload)
        run = self.sync()

        self.assertEqual(run.problems_found, 1)
        self.assertEqual(run.exceptions_created, 1)
        # The mapped transaction of the order is imported all the same.
        self.assertTrue(self.order_line("27357000080000001"))
        self.assertFalse(self.order_line("27357000080000002"))
        exception = self.exceptions()
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.kind, "unmapped_sku")
        self.assertEqual(exception.reference, "27357000080000002")
        self.assertEqual(exception.order_no, "8000-0000-000001")
        self.assertIn(UNMAPPED_SKU, exception.message)
        self.assertIn("product mapping", exception.message)
        stored = json.loads(exception.payload)
        self.assertEqual(stored["orderNo"], "8000-0000-000001")
        self.assertEqual(len(stored["orderLine"]), 2)
        self.assertEqual(self.channel.exception_count, 1)
        self.assertEqual(self.channel.last_sync_exceptions, 1)

    def test_no_duplicate_exception(self):
        self.seed(self.order_with_unmapped_line())
        self.sync()
        run = self.sync()

        self.assertEqual(run.problems_found, 1)
        self.assertEqual(run.exceptions_created, 0)
        self.assertEqual(len(self.exceptions(state=None)), 1)
        self.assertEqual(len(self.exception_activities()), 1)

    def test_process_again_after_mapping(self):
        self.seed(self.order_with_unmapped_line())
        self.sync()
        exception = self.exceptions()
        product = self.map_sku(UNMAPPED_SKU)

        action = exception.action_process_again()

        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(exception.state, "done")
        line = self.order_line("27357000080000002")
        self.assertEqual(len(line), 1)
        self.assertEqual(line.product_id, product)
        self.assertEqual(len(self.order_line("27357000080000001")), 1)
        self.assertFalse(self.exception_activities())
        self.assertEqual(self.channel.exception_count, 0)
        # Nothing is imported twice afterwards.
        self.sync()
        self.assertTrue(
            all(count == 1 for count in self.imported_transaction_counts().values())
        )
        with self.assertRaises(UserError):
            exception.action_process_again()

    def test_process_again_still_failing(self):
        self.seed(self.order_with_unmapped_line())
        self.sync()
        exception = self.exceptions()

        action = exception.action_process_again()

        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(exception.state, "open")
        self.assertEqual(exception.attempt_count, 1)
        self.assertTrue(exception.last_attempt_date)
        self.assertEqual(len(self.exceptions(state=None)), 1)

    def test_next_sync_resolves_exception(self):
        self.seed(self.order_with_unmapped_line())
        self.sync()
        exception = self.exceptions()
        self.map_sku(UNMAPPED_SKU)

        run = self.sync()

        self.assertEqual(run.lines_imported, 1)
        self.assertEqual(exception.state, "done")
        self.assertEqual(len(self.order_line("27357000080000002")), 1)

    def test_unmapped_sku_order_wise_holds_order(self):
        self.channel.api_type = "order_wise"
        self.seed(self.order_with_unmapped_line("8000-0000-000002"))
        self.sync()

        self.assertFalse(self.sale_orders("8000-0000-000002"))
        exception = self.exceptions()
        self.assertEqual(exception.kind, "unmapped_sku")
        self.assertEqual(exception.reference, "8000-0000-000002")

        self.map_sku(UNMAPPED_SKU)
        exception.action_process_again()

        sale_order = self.sale_orders("8000-0000-000002")
        self.assertEqual(len(sale_order), 1)
        self.assertEqual(len(sale_order.order_line), 2)
        self.assertEqual(exception.state, "done")

    def test_unknown_slave_id(self):
        slave_id = "273570-ST99"
        self.seed(
            make_order(
                "8000-0000-000003",
                [
                    make_order_line(
                        "27357000080000031", "KURTA-BLU-M", p1SlaveId=slave_id
                    )
                ],
            )
        )
        self.sync()

        exception = self.exceptions()
        self.assertEqual(exception.kind, "unknown_slave")
        self.assertEqual(exception.reference, "27357000080000031")
        self.assertIn(slave_id, exception.message)
        self.assertIn("location", exception.message)
        self.assertFalse(self.sale_orders("8000-0000-000003"))

        store = self.store_warehouses[0]
        self.channel.write(
            {
                "location_ids": [
                    Command.create({"slave_id": slave_id, "warehouse_id": store.id})
                ]
            }
        )
        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        self.assertEqual(self.sale_orders("8000-0000-000003").warehouse_id, store)

    def test_missing_address(self):
        payload = make_order(
            "8000-0000-000004",
            [make_order_line("27357000080000041", "KURTA-BLU-M")],
        )
        complete = json.loads(json.dumps(payload))
        payload["addressInfo"] = [
            address
            for address in payload["addressInfo"]
            if address["addressType"] != "DA"
        ]
        self.seed(payload)
        self.sync()

        exception = self.exceptions()
        self.assertEqual(exception.kind, "missing_address")
        self.assertEqual(exception.reference, "8000-0000-000004")
        self.assertIn("delivery address", exception.message)
        self.assertFalse(self.sale_orders("8000-0000-000004"))

        # The marketplace gets the address; Process again fetches the order anew.
        self.seed(complete)
        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        sale_order = self.sale_orders("8000-0000-000004")
        self.assertEqual(sale_order.partner_shipping_id.city, "Pune")
        self.assertIn(
            "Flat 12", json.loads(exception.payload)["addressInfo"][0]["address1"]
        )

    def test_address_without_pincode(self):
        payload = make_order(
            "8000-0000-000005",
            [make_order_line("27357000080000051", "KURTA-BLU-M")],
        )
        for address in payload["addressInfo"]:
            address["pincode"] = "NA"
        self.seed(payload)
        self.sync()

        exception = self.exceptions()
        self.assertEqual(exception.kind, "missing_address")
        self.assertIn("pincode", exception.message)

    def test_undecodable_order(self):
        bad = make_order(
            "8000-0000-000006",
            [make_order_line("27357000080000061", "KURTA-BLU-M")],
            orderDate="28/11/2026 14:05",
        )
        good = make_order(
            "8000-0000-000007",
            [make_order_line("27357000080000071", "KURTA-BLU-L")],
        )
        self.seed(bad, good)
        run = self.sync()

        self.assertFalse(run.error)
        self.assertTrue(self.sale_orders("8000-0000-000007"))
        exception = self.exceptions()
        self.assertEqual(exception.kind, "decode_error")
        self.assertEqual(exception.reference, "8000-0000-000006")
        self.assertIn("28/11/2026 14:05", exception.message)
        self.assertEqual(json.loads(exception.payload)["orderDate"], "28/11/2026 14:05")

        bad["orderDate"] = "2026-11-28 14:05:00"
        self.seed(bad)
        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        self.assertEqual(len(self.order_line("27357000080000061")), 1)

    def test_ambiguous_product(self):
        for name in ("Scarf, first", "Scarf, second"):
            self.env["product.product"].create(
                {"name": name, "default_code": "SCARF-RED", "type": "consu"}
            )
        self.seed(
            make_order(
                "8000-0000-000008",
                [make_order_line("27357000080000081", "SCARF-RED", price="599.00")],
            )
        )
        self.sync()

        exception = self.exceptions()
        self.assertEqual(exception.kind, "ambiguous_product")
        self.assertIn("Scarf, first", exception.message)
        self.assertIn("Scarf, second", exception.message)

        product = self.env["product.product"].search(
            [("name", "=", "Scarf, second")], limit=1
        )
        self.map_sku("SCARF-RED", product)
        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        self.assertEqual(self.order_line("27357000080000081").product_id, product)

    def test_one_activity_per_channel(self):
        self.seed(
            self.order_with_unmapped_line(),
            make_order(
                "8000-0000-000009",
                [
                    make_order_line(
                        "27357000080000091", "KURTA-BLU-M", p1SlaveId="273570-ST77"
                    )
                ],
            ),
        )
        self.sync()

        self.assertEqual(len(self.exceptions()), 2)
        activity = self.exception_activities()
        self.assertEqual(len(activity), 1)
        self.assertIn("2", activity.summary)
        self.assertEqual(activity.user_id, self.env.ref("base.user_admin"))

        self.exceptions(kind="unknown_slave").action_ignore()
        self.assertIn("1", self.exception_activities().summary)
        self.map_sku(UNMAPPED_SKU)
        self.exceptions().action_process_again()

        self.assertFalse(self.exceptions())
        self.assertFalse(self.exception_activities())

    def test_activity_for_exception_responsible(self):
        user = self._create_user(
            "tcq.import.responsible", ["tatacliq_connector.group_tatacliq_manager"]
        )
        self.channel.exception_user_id = user
        self.seed(self.order_with_unmapped_line())
        self.sync()

        self.assertEqual(self.exception_activities().user_id, user)

    def test_ignored_problem_stays_ignored(self):
        self.seed(self.order_with_unmapped_line())
        self.sync()
        exception = self.exceptions()
        exception.action_ignore()
        self.assertEqual(exception.state, "ignored")
        self.assertEqual(self.channel.exception_count, 0)
        self.assertFalse(self.exception_activities())

        run = self.sync()

        self.assertEqual(run.exceptions_created, 0)
        self.assertFalse(self.exceptions())
        exception.action_reopen()
        self.assertEqual(exception.state, "open")
        self.assertEqual(len(self.exception_activities()), 1)

    def test_other_order_unaffected_by_failure(self):
        # A product of another company cannot be sold by this channel's
        # company: creating the sale order fails, the order is rolled back and
        # recorded, and the next order of the page still imports.
        other_company = self.env["res.company"].create({"name": "Other company"})
        foreign = self.env["product.product"].create(
            {"name": "Foreign kurta", "type": "consu", "company_id": other_company.id}
        )
        mapping = self.env["tatacliq.product.mapping"].search(
            [
                ("channel_id", "=", self.channel.id),
                ("article_number", "=", "KURTA-BLU-L"),
            ]
        )
        self.env.cr.execute(
            "UPDATE tatacliq_product_mapping SET product_id = %s WHERE id = %s",
            [foreign.id, mapping.id],
        )
        self.env.invalidate_all()
        self.seed(
            make_order(
                "8000-0000-000010",
                [make_order_line("27357000080000101", "KURTA-BLU-L")],
            ),
            make_order(
                "8000-0000-000011",
                [make_order_line("27357000080000111", "KURTA-BLU-M")],
            ),
        )
        with mute_logger(
            "odoo.addons.tatacliq_connector.models.tatacliq_channel_import"
        ):
            run = self.sync()

        self.assertEqual(run.orders_failed, 1)
        self.assertFalse(self.sale_orders("8000-0000-000010"))
        self.assertTrue(self.sale_orders("8000-0000-000011"))
        exception = self.exceptions()
        self.assertEqual(exception.kind, "other")
        self.assertEqual(exception.reference, "8000-0000-000010")
        self.assertIn("Process again", exception.message)

    def test_exception_views_load(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_exception"
        )
        self.assertEqual(action["res_model"], "tatacliq.exception")
        self.env["tatacliq.exception"].get_views([(False, "list"), (False, "form")])
        self.env["sale.order"].get_views([(False, "list"), (False, "form")])
