from odoo.tests import HttpCase, tagged

from .common import DEMO_SELLER, TataCliqCase, make_order, make_order_line

TOUR_ORDERS = ("9001-0001-000001", "9001-0001-000002")


@tagged("post_install", "-at_install")
class TestDashboardTour(TataCliqCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.name = "Tata CLiQ tour channel"
        cls.sandbox.seed(
            DEMO_SELLER["seller_id"],
            {
                "order": [
                    make_order(
                        TOUR_ORDERS[0],
                        [
                            make_order_line("27357900010000101", "KURTA-BLU-M"),
                            make_order_line("27357900010000102", "KURTA-BLU-L"),
                        ],
                    ),
                    make_order(
                        TOUR_ORDERS[1],
                        [make_order_line("27357900010000201", "WALLET-BRN", "899.00")],
                    ),
                ]
            },
        )

    def test_dashboard_tour(self):
        self.start_tour("/odoo", "tatacliq_dashboard_tour", login="admin")

        self.env.invalidate_all()
        self.assertEqual(self.channel.connection_state, "ok")
        orders = self.env["sale.order"].search(
            [("tatacliq_channel_id", "=", self.channel.id)]
        )
        self.assertEqual(set(orders.mapped("tatacliq_order_no")), set(TOUR_ORDERS))
        routes = {call.route for call in self.sandbox.calls}
        self.assertTrue({"token", "orders_list"} <= routes)
