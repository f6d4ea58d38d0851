"""Turn decoded marketplace orders into confirmed sale orders.

``tatacliq.order.builder`` checks an order (address, products, locations),
groups its lines into sale orders, finds or creates the customer, the GST
taxes and the pricelist, and creates and confirms the sale orders. It never
records problems itself: it returns them, so the caller can store them outside
the savepoint that a failed order is rolled back to.
"""

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timezone
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command, _, api, fields, models
from odoo.tools.sql import escape_psql

from tatacliq.models import STATUS_CODES

_logger = logging.getLogger(__name__)

# GST state code (the first two digits of a GSTIN, sent in addressInfo.state)
# to the code of the Indian state in res.country.state. The pairs are the
# l10n_in_tin values that Odoo 18's l10n_in module sets on Indian states
# (addons/l10n_in/data/res_country_state_data.xml). 28 is the code Andhra
# Pradesh used before Telangana was split off in 2014; it still appears on old
# registrations. LA, IN_OT and IN_OC exist only when l10n_in is installed.
GST_STATE_CODES = {
    "01": "JK",  # Jammu and Kashmir
    "02": "HP",  # Himachal Pradesh
    "03": "PB",  # Punjab
    "04": "CH",  # Chandigarh
    "05": "UK",  # Uttarakhand
    "06": "HR",  # Haryana
    "07": "DL",  # Delhi
    "08": "RJ",  # Rajasthan
    "09": "UP",  # Uttar Pradesh
    "10": "BR",  # Bihar
    "11": "SK",  # Sikkim
    "12": "AR",  # Arunachal Pradesh
    "13": "NL",  # Nagaland
    "14": "MN",  # Manipur
    "15": "MZ",  # Mizoram
    "16": "TR",  # Tripura
    "17": "ML",  # Meghalaya
    "18": "AS",  # Assam
    "19": "WB",  # West Bengal
    "20": "JH",  # Jharkhand
    "21": "OR",  # Odisha
    "22": "CG",  # Chhattisgarh
    "23": "MP",  # Madhya Pradesh
    "24": "GJ",  # Gujarat
    "25": "DD",  # Daman and Diu
    "26": "DN",  # Dadra and Nagar Haveli and Daman and Diu
    "27": "MH",  # Maharashtra
    "28": "AP",  # Andhra Pradesh (before 2014)
    "29": "KA",  # Karnataka
    "30": "GA",  # Goa
    "31": "LD",  # Lakshadweep
    "32": "KL",  # Kerala
    "33": "TN",  # Tamil Nadu
    "34": "PY",  # Puducherry
    "35": "AN",  # Andaman and Nicobar Islands
    "36": "TS",  # Telangana
    "37": "AP",  # Andhra Pradesh
    "38": "LA",  # Ladakh
    "97": "IN_OT",  # Other Territory
}

# GST rates in percent. A rate derived from a line's total tax value (when the
# marketplace sent no hsnTax split) is snapped to the nearest of these.
GST_SLABS = (
    Decimal("0.1"),
    Decimal("0.25"),
    Decimal("1.5"),
    Decimal("3"),
    Decimal("5"),
    Decimal("6"),
    Decimal("12"),
    Decimal("18"),
    Decimal("28"),
)
# Tax types that split a GST rate into two halves within one state.
STATE_TAX_TYPES = ("SGST", "UTGST")
PAISA = Decimal("0.01")


@dataclass(frozen=True)
class Problem:
    """A reason an order (or a part of it) cannot be imported yet."""

    kind: str  # a tatacliq.exception kind
    reference: str  # transaction id, or order number for order-wide problems
    message: str


@dataclass
class OrderOutcome:
    """Result of importing the new lines of one marketplace order."""

    sale_orders: models.BaseModel | None = None
    lines_imported: int = 0
    problems: list = field(default_factory=list)

    @property
    def problem_keys(self):
        return {(problem.reference, problem.kind) for problem in self.problems}


@dataclass
class LineGroup:
    """Marketplace lines that become one sale order."""

    reference: str  # client reference and exception reference of the group
    warehouse: models.BaseModel
    lines: list


class ImportRun:
    """Counters and per-run caches of one sync, fetch or "Process again".

    The caches hold records created during the run (customers, taxes, the
    pricelist). A savepoint rollback can remove such records, so the caller
    clears the caches whenever it rolls back.
    """

    def __init__(self, channel, trigger):
        self.channel = channel
        self.trigger = trigger  # "manual sync", "scheduled sync", "order fetch", ...
        self.started = time.monotonic()
        self.orders_read = 0
        self.orders_filtered = 0
        self.orders_skipped = 0
        self.orders_failed = 0
        self.lines_imported = 0
        self.sale_orders_created = 0
        self.status_updates = 0
        self.problems_found = 0
        self.exceptions_created = 0
        self.pages_read = 0
        self.total_pages = 0
        self.error = None  # message of the error that stopped the run
        # Feed reads run after the orders by the same sync (``FeedRun``), so
        # the result shown to the user includes their errors.
        self.feed_runs = []
        self.cache = {}

    @property
    def duration(self):
        return time.monotonic() - self.started

    def clear_cache(self):
        self.cache.clear()

    def cached(self, key, factory):
        if key not in self.cache:
            self.cache[key] = factory()
        return self.cache[key]


def to_naive_utc(value):
    """Return an aware datetime as the naive UTC value Odoo stores, or False."""
    if not value:
        return False
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def line_signature(line):
    """Return the contents of a marketplace line that must not change later.

    The text is ``article|quantity|amount``, for example
    ``KURTA-BLU-M|1|1299.00``.
    """
    amount = Decimal(line.apportioned_price or 0).quantize(PAISA)
    article = (line.article_number or "").strip()
    return f"{article}|{max(line.quantity or 1, 1)}|{amount}"


def format_rate(rate):
    """Return a rate as it appears in a tax name: 6, 2.5, 0.25."""
    return format(Decimal(rate).normalize(), "f")


class TataCliqOrderBuilder(models.AbstractModel):
    _name = "tatacliq.order.builder"
    _description = "Tata CLiQ order builder"

    # Import

    @api.model
    def _import_order(self, run, order, lines):
        """Create and confirm the sale orders of ``lines``, the new lines of ``order``.

        Returns an ``OrderOutcome``. A problem holds back the lines it concerns:
        in Normal mode only the transaction (with its free gifts), in
        Order-wise mode the whole order, because its lines belong in one sale
        order. A missing delivery address holds back the whole order in both
        modes. Raises whatever the ORM raises; the caller rolls the order back.
        """
        channel = run.channel
        order_wise = channel._get_api_type() == "order_wise"
        outcome = OrderOutcome(sale_orders=self.env["sale.order"])

        address_problem = self._check_address(order)
        if address_problem:
            outcome.problems.append(address_problem)
            return outcome

        products = {}
        warehouses = {}
        line_problems = {}
        for line in lines:
            product, problem = self._resolve_product(run, order, line)
            products[line.transaction_id] = product
            if problem:
                line_problems.setdefault(line.transaction_id, []).append(problem)
            warehouse, problem = self._resolve_warehouse(run, order, line)
            warehouses[line.transaction_id] = warehouse
            if problem:
                line_problems.setdefault(line.transaction_id, []).append(problem)
            problem = self._check_seller(run, order, line)
            if problem:
                line_problems.setdefault(line.transaction_id, []).append(problem)

        if order_wise:
            groups = self._group_lines_order_wise(order, lines, warehouses)
            if line_problems:
                outcome.problems = self._merge_problems(
                    order.order_no,
                    [p for problems in line_problems.values() for p in problems],
                )
                return outcome
        else:
            groups = self._group_lines_normal(lines, warehouses)

        partners = None
        for group in groups:
            group_problems = [
                problem
                for line in group.lines
                for problem in line_problems.get(line.transaction_id, ())
            ]
            if group_problems:
                outcome.problems += self._merge_problems(
                    group.reference, group_problems
                )
                continue
            if partners is None:
                partners = self._get_partners(run, order)
            sale_order = self._create_sale_order(run, order, group, products, partners)
            outcome.sale_orders |= sale_order
            outcome.lines_imported += len(group.lines)
        if outcome.sale_orders:
            self._check_payment_total(run, order, outcome.sale_orders)
        return outcome

    @api.model
    def _check_payment_total(self, run, order, sale_orders):
        """Post a note on ``sale_orders`` when the lines charge more than was paid.

        The order stays imported at the line amounts, because they are what
        the marketplace invoices, but the customer paid paymentCost.
        """
        costs = [payment.cost for payment in order.payments if payment.cost is not None]
        if not costs:
            return
        paid = sum(costs, Decimal(0))
        # A line reallocated to another store is listed once per store, and
        # the customer paid for it once.
        transactions = {line.transaction_id: line for line in order.lines}
        charged = sum(
            (
                line.apportioned_price
                + line.apportioned_shipping_charge
                + line.apportioned_cod_price
                for line in transactions.values()
            ),
            Decimal(0),
        )
        if charged - paid <= PAISA:
            return
        _logger.warning(
            "Tata CLiQ order %s on channel %s (id %s): its lines charge %s but "
            "paymentCost is %s; noted on sale order(s) %s",
            order.order_no,
            run.channel.name,
            run.channel.id,
            charged.quantize(PAISA),
            paid.quantize(PAISA),
            ", ".join(str(sale_order_id) for sale_order_id in sale_orders.ids),
        )
        body = _(
            "The lines of Tata CLiQ order %(order)s charge %(charged)s, more than "
            "the %(paid)s the customer paid (paymentCost). The lines were "
            "imported at their marketplace amounts. Check the payment of the order "
            "in the Tata CLiQ seller portal before invoicing.",
            order=order.order_no,
            charged=charged.quantize(PAISA),
            paid=paid.quantize(PAISA),
        )
        for sale_order in sale_orders:
            sale_order.message_post(body=body)

    @api.model
    def _merge_problems(self, reference, problems):
        """Return one problem per kind for ``reference``, joining the messages."""
        messages = {}
        for problem in problems:
            kind_messages = messages.setdefault(problem.kind, [])
            if problem.message not in kind_messages:
                kind_messages.append(problem.message)
        return [
            Problem(kind, reference, "\n".join(kind_messages))
            for kind, kind_messages in messages.items()
        ]

    # Checks

    @api.model
    def _check_address(self, order):
        address = order.delivery_address
        missing = []
        if address is None:
            missing = [_("the whole delivery address (addressType DA)")]
        else:
            if not address.name:
                missing.append(_("the name"))
            if not (address.address1 or address.address2):
                missing.append(_("the street (address1)"))
            if not address.pincode:
                missing.append(_("the pincode"))
        if not missing:
            return None
        return Problem(
            "missing_address",
            order.order_no,
            _(
                "Order %(order)s cannot be shipped: its delivery address lacks "
                "%(missing)s. Check the order in the Tata CLiQ seller portal. Once "
                "the marketplace has the address, the next sync imports the order, "
                "or click Process again to fetch it now.",
                order=order.order_no,
                missing=", ".join(missing),
            ),
        )

    @api.model
    def _check_seller(self, run, order, line):
        seller_id = (line.seller_id or "").strip()
        channel = run.channel
        if not seller_id or seller_id == channel.seller_id:
            return None
        return Problem(
            "other",
            line.transaction_id,
            _(
                "Transaction %(transaction)s of order %(order)s is for seller "
                "%(seller)s, not for seller %(channel_seller)s of channel "
                "%(channel)s, so it was not imported. Check the order in the Tata "
                "CLiQ seller portal and ask the account manager to correct it, "
                "then click Process again.",
                transaction=line.transaction_id,
                order=order.order_no,
                seller=seller_id,
                channel_seller=channel.seller_id,
                channel=channel.name,
            ),
        )

    @api.model
    def _resolve_product(self, run, order, line):
        channel = run.channel
        lookup = run.cached(
            ("product", (line.article_number or "").strip().lower()),
            lambda: channel._find_product(line.article_number),
        )
        if lookup.product:
            return lookup.product, None
        kind = "ambiguous_product" if lookup.ambiguous else "unmapped_sku"
        message = _(
            "Transaction %(transaction)s of order %(order)s: %(reason)s",
            transaction=line.transaction_id,
            order=order.order_no,
            reason=lookup.message,
        )
        return lookup.product, Problem(kind, line.transaction_id, message)

    @api.model
    def _resolve_warehouse(self, run, order, line):
        channel = run.channel
        warehouse = run.cached(
            ("warehouse", (line.slave_id or "").strip().lower()),
            lambda: channel._get_warehouse_for_slave(line.slave_id),
        )
        if warehouse:
            return warehouse, None
        message = _(
            "Transaction %(transaction)s of order %(order)s is allocated to slave "
            "id %(slave)s, which has no location on channel %(channel)s. Add a "
            "location for %(slave)s with the warehouse that ships it, then click "
            "Process again.",
            transaction=line.transaction_id,
            order=order.order_no,
            slave=line.slave_id,
            channel=channel.name,
        )
        return warehouse, Problem("unknown_slave", line.transaction_id, message)

    # Grouping

    @api.model
    def _group_lines_normal(self, lines, warehouses):
        """Return one group per transaction.

        A free gift joins the sale order of its paid line when both arrive
        together and ship from the same warehouse, so the gift leaves in the
        same parcel. Otherwise (paid line imported earlier, or another
        warehouse) the gift gets a sale order of its own, at zero.
        """

        def warehouse_key(line):
            return warehouses[line.transaction_id].id or None

        by_transaction = {line.transaction_id: line for line in lines}
        joined = set()
        for line in lines:
            parent = by_transaction.get(line.parent_transaction_id)
            if (
                line.is_freebie
                and parent is not None
                and not parent.is_freebie
                and warehouse_key(parent) == warehouse_key(line)
            ):
                joined.add(line.transaction_id)
        groups = []
        for line in lines:
            if line.transaction_id in joined:
                continue
            gifts = [
                gift
                for gift in lines
                if gift.transaction_id in joined
                and gift.parent_transaction_id == line.transaction_id
            ]
            groups.append(
                LineGroup(
                    line.transaction_id,
                    warehouses[line.transaction_id],
                    [line, *gifts],
                )
            )
        return groups

    @api.model
    def _group_lines_order_wise(self, order, lines, warehouses):
        """Return one group per warehouse.

        Order-wise means one sale order per marketplace order, but a sale order
        ships from one warehouse. So an order whose lines are allocated to
        slave ids of different warehouses becomes one sale order per warehouse,
        and all of them carry the same order number.
        """
        groups = {}
        for line in lines:
            warehouse = warehouses[line.transaction_id]
            key = warehouse.id or None
            if key not in groups:
                groups[key] = LineGroup(order.order_no, warehouse, [])
            groups[key].lines.append(line)
        return list(groups.values())

    # Customers

    @api.model
    def _get_partners(self, run, order):
        """Return the customer and its invoice and delivery contacts."""
        delivery = order.delivery_address
        billing = order.billing_address
        customer = self._find_or_create_customer(run, billing)
        invoice = self._find_or_create_contact(run, customer, billing, "invoice")
        shipping = self._find_or_create_contact(run, customer, delivery, "delivery")
        for address, contact in ((delivery, shipping), (billing, invoice)):
            if (address.state_code or "").strip() and not contact.state_id:
                # The address stays usable (the pincode locates it), but the
                # state decides between CGST+SGST and IGST, so it is reported.
                _logger.warning(
                    "Tata CLiQ order %s on channel %s (id %s): state %r of the "
                    "%s address is not a known GST state code or state of "
                    "country %s; contact %s (id %s) has no state",
                    order.order_no,
                    run.channel.name,
                    run.channel.id,
                    address.state_code,
                    address.address_type or "",
                    address.country or "IN",
                    contact.display_name,
                    contact.id,
                )
        return customer, invoice, shipping

    @api.model
    def _customer_key(self, address):
        """Return the key that identifies a marketplace customer.

        The email address when the marketplace sent one; else the last ten
        digits of the phone number, the case-folded name and the pincode. The
        marketplace often masks the email ("NA"), and a phone alone is shared
        by families, so the fallback needs all three.
        """
        email = (address.email or "").strip().lower()
        if "@" in email:
            return f"email:{email}"
        phone = re.sub(r"\D", "", address.phone or "")[-10:]
        name = " ".join((address.name or "").split()).casefold()
        pincode = (address.pincode or "").replace(" ", "")
        return f"phone:{phone}|{name}|{pincode}"

    @api.model
    def _find_or_create_customer(self, run, address):
        key = self._customer_key(address)
        Partner = self.env["res.partner"].with_context(active_test=False)
        customer = run.cache.get(("customer", key))
        if customer is None:
            customer = Partner.search(
                [("tatacliq_customer_key", "=", key), ("parent_id", "=", False)],
                order="id",
                limit=1,
            )
        if not customer:
            vals = self._prepare_address_vals(run, address)
            vals.update({"tatacliq_customer_key": key, "customer_rank": 1})
            customer = Partner.create(vals)
        run.cache[("customer", key)] = customer
        return customer

    @api.model
    def _find_or_create_contact(self, run, customer, address, contact_type):
        vals = self._prepare_address_vals(run, address)
        # The phone is left out: the marketplace writes one number in several
        # ways (+91, spaces), while the address identifies the contact.
        match_fields = ("name", "street", "street2", "zip", "city")
        for contact in customer.with_context(active_test=False).child_ids:
            if contact.type == contact_type and all(
                (contact[name] or False) == (vals.get(name) or False)
                for name in match_fields
            ):
                return contact
        vals.update({"type": contact_type, "parent_id": customer.id})
        return self.env["res.partner"].create(vals)

    @api.model
    def _prepare_address_vals(self, run, address):
        country = self._get_country(run, address.country)
        email = (address.email or "").strip()
        street2 = ", ".join(
            part for part in (address.address2, address.address3) if part
        )
        if address.landmark:
            street2 = ", ".join(part for part in (street2, address.landmark) if part)
        return {
            "name": address.name or _("Tata CLiQ customer"),
            "phone": address.phone or False,
            "email": email if "@" in email else False,
            "street": address.address1 or False,
            "street2": street2 or False,
            "city": address.city or False,
            "zip": address.pincode or False,
            "country_id": country.id or False,
            "state_id": self._get_state(run, country, address.state_code).id or False,
        }

    @api.model
    def _get_country(self, run, iso_code):
        code = (iso_code or "IN").strip().upper() or "IN"
        Country = self.env["res.country"]
        # Some addresses carry the country name ("India") instead of its code.
        return run.cached(
            ("country", code),
            lambda: (
                Country.search([("code", "=", code)], limit=1)
                or Country.search([("name", "=ilike", escape_psql(code))], limit=1)
            ),
        )

    @api.model
    def _get_state(self, run, country, gst_code):
        """Return the state of a GST state code (``27``), or an empty recordset.

        A two-letter state code (``MH``) is accepted too. An unknown code leaves
        the state empty: the address stays usable and the pincode locates it.
        """
        State = self.env["res.country.state"]
        code = (gst_code or "").strip().upper()
        if not code or country.code != "IN":
            return State
        if code.isdigit():
            code = GST_STATE_CODES.get(code.zfill(2))
            if not code:
                return State
        # Some addresses carry the state name ("Maharashtra") instead of a code.
        return run.cached(
            ("state", code),
            lambda: (
                State.search(
                    [("country_id", "=", country.id), ("code", "=", code)], limit=1
                )
                or State.search(
                    [
                        ("country_id", "=", country.id),
                        ("name", "=ilike", escape_psql(code)),
                    ],
                    limit=1,
                )
            ),
        )

    # Prices and taxes

    @api.model
    def _get_pricelist(self, run):
        """Return an INR pricelist of the channel's company, created if needed.

        Prices come from the marketplace and are never computed from the
        pricelist (see sale.order.line); the pricelist only sets the currency.
        """
        return run.cached("pricelist", self._find_or_create_inr_pricelist)

    @api.model
    def _find_or_create_inr_pricelist(self):
        company = self.env.company
        inr = self.env.ref("base.INR")
        pricelist = self.env["product.pricelist"].search(
            [("currency_id", "=", inr.id), ("company_id", "in", [company.id, False])],
            order="company_id, sequence, id",
            limit=1,
        )
        if pricelist:
            return pricelist
        if not inr.active:
            inr.active = True
        return self.env["product.pricelist"].create(
            {
                "name": _("Tata CLiQ (INR)"),
                "currency_id": inr.id,
                "company_id": company.id,
            }
        )

    @api.model
    def _line_tax_components(self, line):
        """Return the (tax type, rate) pairs of a line, in percent.

        The hsnTax split is authoritative: the line-level taxType does not
        always agree with it. Without a split, the rate is derived from the
        line's tax value and snapped to the nearest GST rate.
        """
        components = [
            (tax.tax_type.strip().upper(), tax.rate)
            for tax in line.hsn_taxes
            if tax.rate
        ]
        if components or not line.tax_value:
            return components
        base = line.apportioned_price - line.tax_value
        if base <= 0:
            return []
        derived = line.tax_value / base * 100
        rate = min(GST_SLABS, key=lambda slab: abs(slab - derived))
        tax_type = (line.tax_type or "IGST").strip().upper()
        if tax_type in ("IGST", "GST"):
            return [("IGST", rate)]
        half = (rate / 2).quantize(Decimal("0.001")).normalize()
        return [("CGST", half), ("SGST", half)]

    @api.model
    def _get_taxes(self, run, line):
        """Return the price-included GST taxes matching the line's hsnTax split.

        CGST with SGST (or UTGST) at the same rate becomes one group tax of
        the two halves, IGST and any other type a tax of its own. The taxes
        are found by name in the channel's company and created when missing.
        """
        components = self._line_tax_components(line)
        taxes = self.env["account.tax"]
        remaining = list(components)
        cgst = [item for item in remaining if item[0] == "CGST"]
        for item in cgst:
            partner = next(
                (
                    other
                    for other in remaining
                    if other[0] in STATE_TAX_TYPES and other[1] == item[1]
                ),
                None,
            )
            if partner is None:
                continue
            remaining.remove(item)
            remaining.remove(partner)
            taxes |= self._get_group_tax(run, item[1], partner[0])
        for tax_type, rate in remaining:
            taxes |= self._get_single_tax(run, tax_type, rate, "sale")
        return taxes

    @api.model
    def _get_single_tax(self, run, tax_type, rate, type_tax_use):
        name = f"{tax_type} {format_rate(rate)}% incl."
        return run.cached(
            ("tax", name, type_tax_use),
            lambda: self._find_or_create_tax(
                {
                    "name": name,
                    "description": f"{tax_type} {format_rate(rate)}%",
                    "amount_type": "percent",
                    "amount": float(rate),
                    "type_tax_use": type_tax_use,
                }
            ),
        )

    @api.model
    def _get_group_tax(self, run, half_rate, state_tax_type):
        # NOTE: Odoo rounds each half on its own, so a line's tax can be 0.01
        # away from the marketplace's taxValue (110.59 + 110.59 against
        # 221.19). The line total stays exact because the price includes tax.
        total = format_rate(Decimal(half_rate) * 2)
        name = f"GST {total}% incl. (CGST+{state_tax_type})"

        def find_or_create():
            children = self._get_single_tax(
                run, "CGST", half_rate, "none"
            ) | self._get_single_tax(run, state_tax_type, half_rate, "none")
            return self._find_or_create_tax(
                {
                    "name": name,
                    "description": f"GST {total}%",
                    "amount_type": "group",
                    "amount": 0.0,
                    "type_tax_use": "sale",
                    "children_tax_ids": [Command.set(children.ids)],
                }
            )

        return run.cached(("tax", name, "sale"), find_or_create)

    @api.model
    def _find_or_create_tax(self, vals):
        company = self.env.company
        Tax = self.env["account.tax"]
        tax = Tax.search(
            [
                ("company_id", "=", company.id),
                ("name", "=", vals["name"]),
                ("type_tax_use", "=", vals["type_tax_use"]),
                ("amount_type", "=", vals["amount_type"]),
                ("price_include_override", "=", "tax_included"),
            ],
            limit=1,
        )
        if tax:
            return tax
        vals = dict(
            vals,
            company_id=company.id,
            price_include_override="tax_included",
            tax_group_id=self._get_tax_group().id,
        )
        tax = Tax.create(vals)
        _logger.info(
            "Created tax %s (id %s) for company %s", tax.name, tax.id, company.id
        )
        return tax

    @api.model
    def _get_tax_group(self):
        company = self.env.company
        Group = self.env["account.tax.group"]
        group = Group.search(
            [("company_id", "=", company.id), ("name", "=", "GST")], limit=1
        )
        if not group:
            group = Group.create({"name": "GST", "company_id": company.id})
        return group

    @api.model
    def _unit_price(self, line):
        """Return the tax-included unit price of a line as a ``Decimal``.

        ``apportionedPrice`` is the amount for the whole line. Lines of one
        unit are the norm (two units arrive as two transactions).
        """
        quantity = max(line.quantity or 1, 1)
        price = line.apportioned_price / quantity
        # NOTE: when the quantity does not divide the amount to the paisa, the
        # line total can differ from the marketplace amount by up to
        # quantity x 0.005. No such payload has been seen.
        return price.quantize(PAISA, rounding=ROUND_HALF_UP)

    # Sale orders

    @api.model
    def _create_sale_order(self, run, order, group, products, partners):
        vals = self._prepare_sale_order_vals(run, order, group, partners)
        line_vals = [
            self._prepare_line_vals(run, order, line, products[line.transaction_id])
            for line in group.lines
        ]
        line_vals += self._prepare_charge_line_vals(order, group)
        vals["order_line"] = [Command.create(values) for values in line_vals]
        sale_order = self.env["sale.order"].create(vals)
        self._link_freebies(run, sale_order, group)
        sale_order.action_confirm()
        # Confirming stamps the confirmation time on date_order; the order date
        # of the marketplace is the one reports and customers expect.
        if vals.get("date_order"):
            sale_order.date_order = vals["date_order"]
        _logger.info(
            "Imported Tata CLiQ order %s (%s) as sale order %s (id %s) in "
            "warehouse %s with %s line(s)",
            order.order_no,
            group.reference,
            sale_order.name,
            sale_order.id,
            group.warehouse.code,
            len(group.lines),
        )
        return sale_order

    @api.model
    def _prepare_sale_order_vals(self, run, order, group, partners):
        channel = run.channel
        customer, invoice, shipping = partners
        if group.reference == order.order_no:
            client_ref = order.order_no
        else:
            client_ref = f"{order.order_no} / {group.reference}"
        payment = order.payments[0] if order.payments else None
        allocation_dates = [
            line.allocation_date for line in group.lines if line.allocation_date
        ]
        ship_by_dates = [line.ship_by_date for line in group.lines if line.ship_by_date]
        order_date = to_naive_utc(order.order_date)
        return {
            "partner_id": customer.id,
            "partner_invoice_id": invoice.id,
            "partner_shipping_id": shipping.id,
            "company_id": channel.company_id.id,
            "warehouse_id": group.warehouse.id,
            "pricelist_id": self._get_pricelist(run).id,
            "team_id": channel.team_id.id or False,
            "client_order_ref": client_ref,
            "origin": _("Tata CLiQ %(order)s", order=order.order_no),
            "date_order": order_date or fields.Datetime.now(),
            "commitment_date": to_naive_utc(min(ship_by_dates))
            if ship_by_dates
            else False,
            "tatacliq_channel_id": channel.id,
            "tatacliq_order_no": order.order_no,
            "tatacliq_order_date": order_date,
            "tatacliq_allocation_date": to_naive_utc(min(allocation_dates))
            if allocation_dates
            else False,
            "tatacliq_payment_mode": payment.mode if payment else False,
        }

    @api.model
    def _prepare_line_vals(self, run, order, line, product):
        status_label = STATUS_CODES.get(line.status or "", (None, line.status))[1]
        vals = {
            "product_id": product.id,
            "product_uom_qty": max(line.quantity or 1, 1),
            # Set explicitly, and never recomputed for marketplace lines, so a
            # pricelist rule cannot put a price on a free gift or a discount
            # on a paid line.
            "price_unit": float(self._unit_price(line)),
            "discount": 0.0,
            "tax_id": [Command.set(self._get_taxes(run, line).ids)],
            "tatacliq_line_kind": "product",
            "tatacliq_transaction_id": line.transaction_id,
            "tatacliq_line_signature": line_signature(line),
            "tatacliq_slave_id": line.slave_id or False,
            "tatacliq_status_code": line.status or False,
            "tatacliq_status_name": status_label or False,
            "tatacliq_allocation_date": to_naive_utc(line.allocation_date),
            "tatacliq_ship_by_date": to_naive_utc(line.ship_by_date),
            "tatacliq_fulfillment_type": line.fulfillment_type or False,
            "tatacliq_delivery_mode": line.delivery_mode or False,
            "tatacliq_transport_mode": line.transport_mode or False,
            "tatacliq_logistics_id": line.logistics_id or False,
            "tatacliq_is_cod": line.is_cod,
            "tatacliq_shipping_charge": float(line.apportioned_shipping_charge),
            "tatacliq_cod_charge": float(line.apportioned_cod_price),
            "tatacliq_gift_message": line.gift_message or False,
            "tatacliq_is_freebie": line.is_freebie,
            "tatacliq_hsn_code": line.hsn_code or False,
        }
        if line.is_freebie:
            if line.apportioned_price:
                _logger.warning(
                    "Free gift %s of order %s has a price of %s; the marketplace "
                    "price is kept so the order total matches",
                    line.transaction_id,
                    order.order_no,
                    line.apportioned_price,
                )
            vals["name"] = _(
                "%(product)s (free gift with %(parent)s)",
                product=product.display_name,
                parent=line.parent_transaction_id or _("the order"),
            )
        return vals

    @api.model
    def _prepare_charge_line_vals(self, order, group):
        """Return the shipping and cash-on-delivery charge lines of a group.

        Each charge is the sum of the group's apportioned charges. The payload
        has no tax split for charges, so the lines carry no tax and the order
        total stays equal to what the customer paid.
        """
        shipping = sum(
            (line.apportioned_shipping_charge for line in group.lines), Decimal(0)
        )
        cod = sum((line.apportioned_cod_price for line in group.lines), Decimal(0))
        charges = (
            (
                "shipping",
                "tatacliq_connector.product_tatacliq_shipping",
                shipping,
                _("Shipping charge of Tata CLiQ order %(order)s", order=order.order_no),
            ),
            (
                "cod",
                "tatacliq_connector.product_tatacliq_cod",
                cod,
                _(
                    "Cash on delivery charge of Tata CLiQ order %(order)s",
                    order=order.order_no,
                ),
            ),
        )
        vals_list = []
        for kind, xmlid, amount, label in charges:
            if not amount:
                continue
            vals_list.append(
                {
                    "product_id": self.env.ref(xmlid).id,
                    "name": label,
                    "product_uom_qty": 1,
                    "price_unit": float(amount.quantize(PAISA)),
                    "discount": 0.0,
                    "tax_id": [Command.set([])],
                    "tatacliq_line_kind": kind,
                }
            )
        return vals_list

    @api.model
    def _link_freebies(self, run, sale_order, group):
        """Point each free gift line at its paid line, here or in an earlier order."""
        parents = {
            line.transaction_id: line.parent_transaction_id
            for line in group.lines
            if line.is_freebie and line.parent_transaction_id
        }
        if not parents:
            return
        by_transaction = {
            line.tatacliq_transaction_id: line
            for line in sale_order.order_line
            if line.tatacliq_transaction_id
        }
        for transaction_id, parent_transaction_id in parents.items():
            parent = by_transaction.get(parent_transaction_id)
            if not parent:
                parent = self.env["sale.order.line"].search(
                    [
                        ("tatacliq_channel_id", "=", run.channel.id),
                        ("tatacliq_transaction_id", "=", parent_transaction_id),
                    ],
                    order="id desc",
                    limit=1,
                )
            if parent:
                by_transaction[transaction_id].tatacliq_freebie_parent_id = parent
