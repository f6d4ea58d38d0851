{
    "name": "Tata CLiQ Connector",
    "summary": "Import Tata CLiQ marketplace orders and manage the seller channel",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    # NOTE: the repository has no public address yet; update it when published.
    "website": "https://github.com/tatacliq-connector/tatacliq_connector",
    "author": "tatacliq_connector contributors",
    "maintainers": ["tatacliq-connector"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "application": False,
    "installable": True,
    "external_dependencies": {
        "python": ["requests", "paramiko", "xmltodict"],
    },
    "depends": ["sale_management", "sale_stock", "stock_delivery"],
    "data": [
        "security/tatacliq_security.xml",
        "security/ir.model.access.csv",
        "security/tatacliq_rules.xml",
        "security/tatacliq_exception_security.xml",
        "data/ir_cron.xml",
        "data/tatacliq_import_data.xml",
        "views/tatacliq_location_views.xml",
        "views/tatacliq_product_mapping_views.xml",
        "views/tatacliq_api_log_views.xml",
        "views/tatacliq_channel_views.xml",
        "views/tatacliq_exception_views.xml",
        "views/sale_order_views.xml",
        "wizards/tatacliq_fetch_order_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/tatacliq_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "tatacliq_connector/static/src/tours/*.js",
        ],
    },
}
