import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// Walks from the Sales app to a channel, tests its connection, imports its
// orders and opens them. The Python test seeds the sandbox marketplace with
// orders of the customer Asha Verma and names the channel below.
const CHANNEL = "Tata CLiQ tour channel";

registry.category("web_tour.tours").add("tatacliq_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Sales app",
            trigger: ".o_app[data-menu-xmlid='sale.sale_menu_root']",
            run: "click",
        },
        {
            content: "Open the Tata CLiQ menu",
            trigger: ".o_main_navbar [data-menu-xmlid='tatacliq_connector.menu_tatacliq_root']",
            run: "click",
        },
        {
            content: "Open the dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='tatacliq_connector.menu_tatacliq_dashboard']",
            run: "click",
        },
        {
            content: "The dashboard shows the channel counters",
            trigger: `.o_kanban_record:contains('${CHANNEL}') .o_tatacliq_orders_today`,
        },
        {
            content: "Open the channel",
            trigger: `.o_kanban_record:contains('${CHANNEL}') .o_tatacliq_channel_name`,
            run: "click",
        },
        {
            content: "Test the connection",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_test_connection']",
            run: "click",
        },
        {
            content: "The marketplace accepted the credentials",
            trigger: ".o_notification:contains('Connection successful')",
        },
        {
            content: "The form shows the stored result",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Connected')",
        },
        {
            content: "Import the orders",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_sync_orders']",
            run: "click",
        },
        {
            content: "The sync reports its result",
            trigger: ".o_notification:contains('Order sync')",
        },
        {
            content: "Open the channel's orders",
            trigger: ".o_form_view button[name='action_view_orders']",
            run: "click",
        },
        {
            content: "The imported orders are listed",
            trigger: ".o_list_view .o_data_row:contains('Asha Verma')",
        },
    ],
});
