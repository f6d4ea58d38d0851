"""Bad input through the real entry points ends in an error shown to the user.

Each case feeds the connector something wrong (a channel setting, a product
mapping, a marketplace payload) and checks that it ends as a validation
error, an exception record with the payload, or a log line with the ids, and
that nothing imported before is lost or imported twice.
"""

import json

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from tatacliq.client import clear_token_cache

from .common import make_order, make_order_line
from .test_import import ImportCase

IMPORT_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_channel_import"
BUILDER_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_order_builder"


@tagged("post_install", "-at_install")
class TestBadInput(ImportCase):
    def exceptions(self, **values):
        domain = [("channel_id", "=", self.channel.id), ("state", "=", "open")]
        domain += [(name, "=", value) for name, value in values.items()]
        return self.env["tatacliq.exception"].search(domain)

    def partner_of(self, order_no):
        return self.sale_orders(order_no).partner_shipping_id

    # Channel form

    def test_base_url_rejected_on_save(self):
        cases = {
            "not a url": "base URL",
            "ftp://127.0.0.1/api": "http",
            "http://user:secret@127.0.0.1": "user name or password",
            "https://": "base URL",
            "https://127.0.0.1/api?x=1": "query",
            "http://[::1": "base URL",
        }
        for url, fragment in cases.items():
            with (
                self.subTest(url=url),
                self.assertRaisesRegex(ValidationError, fragment),
                self.cr.savepoint(),
            ):
                self.channel.write({"base_url": url})
        # The password of a rejected URL is not repeated in the message.
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.channel.write({"base_url": "http://user:secret@127.0.0.1"})
        self.assertNotIn("secret", str(caught.exception))

    def test_api_type_and_inventory_method_spellings(self):
        for typed, expected in (
            ("ORDER WISE", "order_wise"),
            ("orderwise", "order_wise"),
            ("", "normal"),
            ("Normal", "normal"),
        ):
            with self.subTest(typed=typed):
                self.channel.write({"api_type": typed})
                self.assertEqual(self.channel.api_type, expected)
        self.channel.write({"inventory_method": "invv1"})
        self.assertEqual(self.channel.inventory_method, "api")
        with self.assertRaisesRegex(ValidationError, "INVV2"), self.cr.savepoint():
            self.channel.write({"inventory_method": "INVV2"})

    def test_route_override_missing_placeholder_named(self):
        with self.assertRaisesRegex(ValidationError, "order_number"):
            self.channel.write(
                {"route_overrides": '{"order_get": {"path": "/o/{order_number}"}}'}
            )

    def test_company_switch_with_locations_rejected(self):
        other = self.env["res.company"].create({"name": "Other Tata CLiQ seller"})
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.channel.write({"company_id": other.id})
        self.assertEqual(self.channel.company_id, self.company)

    # Locations

    def test_slave_id_twice_with_spaces_rejected(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env["tatacliq.location"].create(
                {
                    "channel_id": self.channel.id,
                    "slave_id": " 273570-wh01 ",
                    "name": "Same warehouse again",
                    "warehouse_id": self.warehouse.id,
                }
            )

    # Product mappings

    def import_mappings(self, rows):
        lines = ["channel_id/id,article_number,product_id/id"]
        xmlid = self.channel.get_external_id()[self.channel.id] or (
            self.env["ir.model.data"]
            .create(
                {
                    "module": "__test__",
                    "name": f"bad_input_channel_{self.channel.id}",
                    "model": "tatacliq.channel",
                    "res_id": self.channel.id,
                }
            )
            .complete_name
        )
        for sku, product in rows:
            product_xmlid = product.get_external_id()[product.id] or (
                self.env["ir.model.data"]
                .create(
                    {
                        "module": "__test__",
                        "name": f"bad_input_product_{product.id}",
                        "model": "product.product",
                        "res_id": product.id,
                    }
                )
                .complete_name
            )
            lines.append(f"{xmlid},{sku},{product_xmlid}")
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "tatacliq.product.mapping",
                "file": "\n".join(lines).encode(),
                "file_type": "text/csv",
                "file_name": "mappings.csv",
            }
        )
        return wizard.execute_import(
            ["channel_id/id", "article_number", "product_id/id"],
            [],
            {"quoting": '"', "separator": ",", "has_headers": True},
        )

    def test_mapping_import_case_duplicate_reported(self):
        product = self.products["WALLET-BRN"]
        result = self.import_mappings([(" kurta-blu-m ", product)])
        messages = " ".join(message["message"] for message in result["messages"])
        self.assertIn("already mapped", messages)
        self.assertFalse(result["ids"])

    def test_mapping_to_service_product_rejected(self):
        service = self.env["product.product"].create(
            {"name": "Gift wrapping service", "type": "service"}
        )
        result = self.import_mappings([("WRAP-SVC", service)])
        messages = " ".join(message["message"] for message in result["messages"])
        self.assertIn("Gift wrapping service", messages)
        self.assertIn("goods", messages)
        self.assertFalse(result["ids"])

    def test_mapping_to_other_company_product_rejected(self):
        other = self.env["res.company"].create({"name": "Other product company"})
        product = self.env["product.product"].create(
            {"name": "Other company shawl", "type": "consu", "company_id": other.id}
        )
        with self.assertRaises(UserError), self.cr.savepoint():
            self.env["tatacliq.product.mapping"].create(
                {
                    "channel_id": self.channel.id,
                    "article_number": "SHAWL-OTHER",
                    "product_id": product.id,
                }
            )

    def test_sku_mapped_to_archived_product(self):
        product = self.env["product.product"].create(
            {"name": "Retired stole", "type": "consu", "is_storable": True}
        )
        self.channel.write(
            {
                "mapping_ids": [
                    Command.create(
                        {"article_number": "STOLE-OLD", "product_id": product.id}
                    )
                ]
            }
        )
        product.action_archive()
        self.seed(
            make_order(
                "8100-0000-000001",
                [make_order_line("27357000081000011", "STOLE-OLD", price="499.00")],
            )
        )
        self.sync()

        self.assertFalse(self.sale_orders("8100-0000-000001"))
        exception = self.exceptions(reference="27357000081000011")
        self.assertEqual(exception.kind, "unmapped_sku")
        self.assertIn("Retired stole", exception.message)
        self.assertIn("archived", exception.message)

    # Order payloads

    def test_bad_line_values_become_decode_exceptions(self):
        cases = {
            "8100-0000-000011": {"quantity": "0"},
            "8100-0000-000012": {"quantity": "-2"},
            "8100-0000-000013": {"price": "abc"},
        }
        good = make_order(
            "8100-0000-000019", [make_order_line("27357000081000191", "KURTA-BLU-L")]
        )
        orders = []
        for index, (order_no, values) in enumerate(cases.items()):
            order = make_order(
                order_no, [make_order_line(f"2735700008100{index:04d}", "KURTA-BLU-M")]
            )
            order["orderLine"][0].update(values)
            orders.append(order)
        self.seed(*orders, good)
        with mute_logger(IMPORT_LOGGER):
            run = self.sync()

        self.assertFalse(run.error)
        self.assertTrue(self.sale_orders("8100-0000-000019"))
        for order_no, values in cases.items():
            with self.subTest(order_no=order_no):
                self.assertFalse(self.sale_orders(order_no))
                exception = self.exceptions(reference=order_no)
                self.assertEqual(exception.kind, "decode_error")
                field, value = next(iter(values.items()))
                self.assertIn(field, exception.message)
                self.assertIn(value, exception.message)
                line = json.loads(exception.payload)["orderLine"][0]
                self.assertEqual(line[field], value)

    def test_country_and_state_names(self):
        order = make_order(
            "8100-0000-000021", [make_order_line("27357000081000211", "KURTA-BLU-M")]
        )
        for address in order["addressInfo"]:
            address.update(country="India", state="Maharashtra")
        self.seed(order)
        self.sync()

        partner = self.partner_of("8100-0000-000021")
        self.assertEqual(partner.country_id.code, "IN")
        self.assertEqual(partner.state_id.code, "MH")

    def test_unknown_state_code_logged(self):
        order = make_order(
            "8100-0000-000031", [make_order_line("27357000081000311", "KURTA-BLU-M")]
        )
        for address in order["addressInfo"]:
            address["state"] = "99"
        self.seed(order)
        with self.assertLogs(BUILDER_LOGGER, "WARNING") as logs:
            self.sync()

        partner = self.partner_of("8100-0000-000031")
        self.assertTrue(partner, "the order was not imported")
        self.assertEqual(partner.country_id.code, "IN")
        self.assertFalse(partner.state_id)
        self.assertTrue(
            any("99" in line and "8100-0000-000031" in line for line in logs.output),
            logs.output,
        )

    def test_long_address_kept_whole(self):
        street = "Lane " + "x" * 1995
        order = make_order(
            "8100-0000-000041", [make_order_line("27357000081000411", "KURTA-BLU-M")]
        )
        for address in order["addressInfo"]:
            address["address1"] = street
        self.seed(order)
        self.sync()

        self.assertEqual(self.partner_of("8100-0000-000041").street, street)

    def test_transaction_reused_by_new_order(self):
        shared = "27357000081000511"
        first = make_order("8100-0000-000051", [make_order_line(shared, "KURTA-BLU-M")])
        self.seed(first)
        self.sync()
        imported = self.order_line(shared)
        self.assertEqual(imported.order_id.tatacliq_order_no, "8100-0000-000051")

        # The marketplace now lists another order with the same transaction.
        self.sandbox.reset()
        clear_token_cache()
        second = make_order(
            "8100-0000-000052",
            [make_order_line(shared, "WALLET-BRN", price="899.00")],
        )
        self.seed(second)
        run = self.sync()

        self.assertEqual(self.order_line(shared), imported)
        self.assertEqual(imported.order_id.tatacliq_order_no, "8100-0000-000051")
        self.assertFalse(self.sale_orders("8100-0000-000052"))
        self.assertEqual(run.problems_found, 1)
        exception = self.exceptions(reference="8100-0000-000052")
        self.assertEqual(len(exception), 1)
        self.assertIn(shared, exception.message)
        self.assertIn("8100-0000-000051", exception.message)
        self.assertEqual(json.loads(exception.payload)["orderNo"], "8100-0000-000052")

    def test_line_of_another_seller(self):
        order = make_order(
            "8100-0000-000061",
            [
                make_order_line("27357000081000611", "KURTA-BLU-M"),
                make_order_line("27357000081000612", "KURTA-BLU-L", sellerID="999999"),
            ],
        )
        # The sandbox always sends its own seller id on the lines it lists, so
        # the payload comes in through an exception processed again.
        exception = self.env["tatacliq.exception"].create(
            {
                "channel_id": self.channel.id,
                "kind": "other",
                "reference": "8100-0000-000061",
                "order_no": "8100-0000-000061",
                "message": "Stored for processing again.",
                "payload": json.dumps(order),
            }
        )
        exception.action_process_again()

        self.assertEqual(len(self.order_line("27357000081000611")), 1)
        self.assertFalse(self.order_line("27357000081000612"))
        problem = self.exceptions(reference="27357000081000612")
        self.assertEqual(len(problem), 1)
        self.assertEqual(json.loads(problem.payload)["orderNo"], "8100-0000-000061")
        self.assertIn("999999", problem.message)
        self.assertIn("273570", problem.message)

    def test_freebie_without_parent_imported_alone(self):
        order = make_order(
            "8100-0000-000071",
            [
                make_order_line(
                    "27357000081000711",
                    "POUCH-FREE",
                    price="0.00",
                    isAFreebie="Y",
                    parentTransactionID="27357000081009999",
                )
            ],
        )
        self.seed(order)
        self.sync()

        line = self.order_line("27357000081000711")
        self.assertEqual(len(line), 1)
        self.assertFalse(line.tatacliq_freebie_parent_id)
        self.assertIn("27357000081009999", line.name)

    # Marketplace faults

    def test_orders_feed_fault_mid_sync_keeps_done_pages(self):
        self.channel.page_size = 1
        for index in range(3):
            self.seed(
                make_order(
                    f"8100-0000-00008{index}",
                    [make_order_line(f"2735700008100081{index}", "KURTA-BLU-M")],
                )
            )
        first = self.sync()
        self.assertEqual(first.lines_imported, 3)
        self.sandbox.faults.inject("orders_list", "5xx", times=10)
        with mute_logger(IMPORT_LOGGER, "tatacliq.client"):
            run = self.sync()

        self.assertTrue(run.error)
        self.assertIn("stopped early", self.channel.last_sync_message)
        self.assertEqual(
            self.imported_transaction_counts(),
            {f"2735700008100081{index}": 1 for index in range(3)},
        )

    def seed_one(self, order_no, transaction_id):
        self.seed(
            make_order(order_no, [make_order_line(transaction_id, "KURTA-BLU-M")])
        )

    def test_cancellation_feed_fault_shown_by_order_sync(self):
        self.seed_one("8100-0000-000091", "27357000081000911")
        self.sandbox.faults.inject("cancellations", "5xx", times=10)
        with mute_logger(
            IMPORT_LOGGER,
            "odoo.addons.tatacliq_connector.models.tatacliq_channel_hopping",
            "tatacliq.client",
        ):
            action = self.channel.action_sync_orders()

        self.assertEqual(len(self.order_line("27357000081000911")), 1)
        params = action["params"]
        self.assertEqual(params["type"], "danger", params)
        self.assertIn("cancellation", params["message"].lower())
        self.assertIn("stopped early", self.channel.last_cancellation_sync_message)

    def test_return_feed_fault_shown(self):
        self.sandbox.faults.inject("returns", "5xx", times=10)
        with mute_logger(
            "odoo.addons.tatacliq_connector.models.tatacliq_channel_hopping",
            "tatacliq.client",
        ):
            action = self.channel.action_sync_returns()

        self.assertEqual(action["params"]["type"], "danger", action["params"])
        self.assertIn("stopped early", action["params"]["message"])

    def test_malformed_orders_page_keeps_earlier_pages(self):
        self.channel.page_size = 1
        for index in range(3):
            self.seed_one(f"8100-0000-00010{index}", f"2735700008100101{index}")
        # The first page reads fine, the second is garbage on every attempt.
        self.sandbox.faults.inject("orders_list", "slow", times=1, delay=0)
        self.sandbox.faults.inject("orders_list", "malformed", times=10)
        with mute_logger(IMPORT_LOGGER, "tatacliq.client"):
            action = self.channel.action_sync_orders()

        self.assertEqual(action["params"]["type"], "danger", action["params"])
        self.assertIn("stopped early", self.channel.last_sync_message)
        counts = self.imported_transaction_counts()
        self.assertTrue(counts)
        self.assertEqual(set(counts.values()), {1})
        self.sandbox.faults.clear()
        self.sync()
        self.assertEqual(len(self.imported_transaction_counts()), 3)
        self.assertEqual(set(self.imported_transaction_counts().values()), {1})

    def test_second_channel_same_seller(self):
        product = self.products["KURTA-BLU-M"]
        second = self._create_channel(
            name="Second channel of the demo seller",
            mapping_ids=[
                Command.create(
                    {"article_number": "KURTA-BLU-M", "product_id": product.id}
                )
            ],
        )
        self.seed_one("8100-0000-000111", "27357000081001111")
        self.sync()
        with mute_logger(IMPORT_LOGGER):
            run = self.sync(second)

        self.assertEqual(self.imported_transaction_counts(), {"27357000081001111": 1})
        self.assertFalse(self.imported_transaction_counts(second))
        self.assertEqual(run.problems_found, 1)
        exception = self.env["tatacliq.exception"].search(
            [("channel_id", "=", second.id), ("state", "=", "open")]
        )
        self.assertEqual(exception.reference, "8100-0000-000111")
        self.assertIn("27357000081001111", exception.message)
        self.assertIn(self.channel.name, exception.message)

    def test_missing_password_reported_by_sync(self):
        self.channel.password = False
        with self.assertNoLogs(IMPORT_LOGGER, "ERROR"):
            self.channel._cron_sync_orders()

        self.assertIn("password", self.channel.last_sync_message)
        self.assertNotIn("Unexpected error", self.channel.last_sync_message)
        self.assertIn("password", self.channel.last_cancellation_sync_message)
        action = self.channel.action_sync_orders()
        self.assertEqual(action["params"]["type"], "danger", action["params"])
        self.assertIn("password", action["params"]["message"])
        self.assertFalse(self.sandbox.calls)

    def test_imported_line_sent_again_changed(self):
        order = make_order(
            "8100-0000-000121", [make_order_line("27357000081001211", "KURTA-BLU-M")]
        )
        self.seed(order)
        self.sync()
        line = self.order_line("27357000081001211")
        sale_order = line.order_id

        changed = make_order(
            "8100-0000-000121",
            [make_order_line("27357000081001211", "WALLET-BRN", price="899.00")],
        )
        self.seed(changed)
        with self.assertLogs(IMPORT_LOGGER, "WARNING") as logs:
            self.sync()
        self.sync()

        self.assertEqual(self.order_line("27357000081001211"), line)
        self.assertEqual(line.product_id, self.products["KURTA-BLU-M"])
        self.assertEqual(line.price_unit, 1299.0)
        notes = sale_order.message_ids.filtered(
            lambda message: "27357000081001211" in (message.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("WALLET-BRN", notes.body)
        self.assertIn("KURTA-BLU-M", notes.body)
        self.assertIn("899", notes.body)
        self.assertTrue(
            any("27357000081001211" in output for output in logs.output), logs.output
        )

    def test_lines_above_payment_cost_noted(self):
        order = make_order(
            "8100-0000-000131", [make_order_line("27357000081001311", "KURTA-BLU-M")]
        )
        order["paymentInfo"][0]["paymentCost"] = "999.00"
        self.seed(order)
        with self.assertLogs(BUILDER_LOGGER, "WARNING") as logs:
            self.sync()

        sale_order = self.sale_orders("8100-0000-000131")
        self.assertEqual(len(sale_order), 1)
        self.assertEqual(sale_order.amount_total, 1299.0)
        notes = sale_order.message_ids.filtered(
            lambda message: "999.00" in (message.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("1299.00", notes.body)
        self.assertTrue(
            any("8100-0000-000131" in output for output in logs.output), logs.output
        )

    def test_location_warehouse_of_other_company(self):
        other = self.env["res.company"].create({"name": "Other warehouse company"})
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", other.id)], limit=1
        )
        with self.assertRaises(UserError), self.cr.savepoint():
            self.env["tatacliq.location"].create(
                {
                    "channel_id": self.channel.id,
                    "slave_id": "273570-ST09",
                    "name": "Store of another company",
                    "warehouse_id": warehouse.id,
                }
            )

    def test_mapping_import_empty_sku(self):
        for sku in ("", "   "):
            with self.subTest(sku=sku):
                result = self.import_mappings([(sku, self.products["WALLET-BRN"])])

                self.assertFalse(result["ids"])
                self.assertTrue(result["messages"])
                self.assertEqual(result["messages"][0]["type"], "error")
                message = result["messages"][0]["message"]
                self.assertIn("Missing article number", message)
