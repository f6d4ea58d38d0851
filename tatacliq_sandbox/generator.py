"""Realistic Indian marketplace orders, the same for the same seed and clock.

Orders carry Indian names, GST state codes with matching cities and
pincodes, cash on delivery and prepaid payments, gifts, freebies, the four
fulfilment models, the seller's slave ids and courier codes. Amounts are
strings with two decimals. ``apportionedPrice`` includes GST, and the
``hsnTax`` split (CGST + SGST within a state, CGST + UTGST within a union
territory without a legislature, IGST across states) adds up to
``taxValue`` to the paisa.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from tatacliq.models import FULFILLMENT_TYPES

from .auth import Seller
from .clock import INDIA, india_time

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class City:
    name: str
    pincodes: tuple
    localities: tuple


# GST state codes with a few cities each; pincodes and localities are real
# places in those cities.
STATES: dict[str, tuple[str, tuple[City, ...]]] = {
    "01": (
        "Jammu and Kashmir",
        (City("Srinagar", ("190001", "190015"), ("Rajbagh", "Lal Chowk")),),
    ),
    "02": (
        "Himachal Pradesh",
        (City("Shimla", ("171001", "171002"), ("The Mall", "Sanjauli")),),
    ),
    "03": (
        "Punjab",
        (
            City("Ludhiana", ("141001", "141012"), ("Model Town", "Sarabha Nagar")),
            City("Amritsar", ("143001", "143006"), ("Ranjit Avenue", "Lawrence Road")),
        ),
    ),
    "04": (
        "Chandigarh",
        (City("Chandigarh", ("160017", "160022"), ("Sector 17", "Sector 22")),),
    ),
    "05": (
        "Uttarakhand",
        (City("Dehradun", ("248001", "248006"), ("Rajpur Road", "Ballupur")),),
    ),
    "06": (
        "Haryana",
        (
            City(
                "Gurugram",
                ("122001", "122002", "122018"),
                ("DLF Phase 2", "Sushant Lok", "Sohna Road"),
            ),
            City("Faridabad", ("121001", "121006"), ("Sector 15", "NIT")),
        ),
    ),
    "07": (
        "Delhi",
        (
            City(
                "New Delhi",
                ("110001", "110017", "110024"),
                ("Connaught Place", "Malviya Nagar", "Lajpat Nagar"),
            ),
            City("Delhi", ("110085", "110092"), ("Rohini", "Preet Vihar")),
        ),
    ),
    "08": (
        "Rajasthan",
        (
            City(
                "Jaipur",
                ("302001", "302017", "302021"),
                ("C Scheme", "Malviya Nagar", "Vaishali Nagar"),
            ),
            City("Jodhpur", ("342001", "342003"), ("Sardarpura", "Shastri Nagar")),
        ),
    ),
    "09": (
        "Uttar Pradesh",
        (
            City("Lucknow", ("226001", "226010"), ("Hazratganj", "Gomti Nagar")),
            City("Noida", ("201301", "201304"), ("Sector 18", "Sector 62")),
            City("Kanpur", ("208001", "208002"), ("Civil Lines", "Swaroop Nagar")),
        ),
    ),
    "10": (
        "Bihar",
        (City("Patna", ("800001", "800013"), ("Fraser Road", "Boring Road")),),
    ),
    "18": (
        "Assam",
        (City("Guwahati", ("781001", "781005"), ("Pan Bazaar", "Dispur")),),
    ),
    "19": (
        "West Bengal",
        (
            City(
                "Kolkata",
                ("700001", "700019", "700091"),
                ("BBD Bagh", "Ballygunge", "Salt Lake"),
            ),
        ),
    ),
    "20": (
        "Jharkhand",
        (City("Ranchi", ("834001", "834008"), ("Main Road", "Harmu")),),
    ),
    "21": (
        "Odisha",
        (City("Bhubaneswar", ("751001", "751024"), ("Kharavela Nagar", "Patia")),),
    ),
    "22": (
        "Chhattisgarh",
        (City("Raipur", ("492001", "492007"), ("Civil Lines", "Shankar Nagar")),),
    ),
    "23": (
        "Madhya Pradesh",
        (
            City("Indore", ("452001", "452010"), ("Rajwada", "Vijay Nagar")),
            City("Bhopal", ("462001", "462016"), ("New Market", "Arera Colony")),
        ),
    ),
    "24": (
        "Gujarat",
        (
            City(
                "Ahmedabad",
                ("380001", "380009", "380015"),
                ("Lal Darwaja", "Navrangpura", "Satellite"),
            ),
            City("Surat", ("395003", "395007"), ("Chowk Bazaar", "Vesu")),
            City("Vadodara", ("390001", "390007"), ("Raopura", "Alkapuri")),
        ),
    ),
    "27": (
        "Maharashtra",
        (
            City(
                "Mumbai",
                ("400001", "400050", "400076"),
                ("Fort", "Bandra West", "Powai"),
            ),
            City(
                "Pune",
                ("411001", "411038", "411014"),
                ("Camp", "Kothrud", "Viman Nagar"),
            ),
            City("Nagpur", ("440001", "440010"), ("Sitabuldi", "Dharampeth")),
        ),
    ),
    "29": (
        "Karnataka",
        (
            City(
                "Bengaluru",
                ("560001", "560034", "560066"),
                ("MG Road", "Koramangala", "Whitefield"),
            ),
            City(
                "Mysuru", ("570001", "570009"), ("Devaraja Mohalla", "Jayalakshmipuram")
            ),
        ),
    ),
    "30": ("Goa", (City("Panaji", ("403001", "403002"), ("Altinho", "Miramar")),)),
    "32": (
        "Kerala",
        (
            City(
                "Kochi",
                ("682001", "682016", "682024"),
                ("Fort Kochi", "Ernakulam South", "Edappally"),
            ),
            City("Thiruvananthapuram", ("695001", "695004"), ("Palayam", "Pattom")),
        ),
    ),
    "33": (
        "Tamil Nadu",
        (
            City(
                "Chennai",
                ("600001", "600040", "600017"),
                ("George Town", "Anna Nagar", "T Nagar"),
            ),
            City("Coimbatore", ("641002", "641018"), ("RS Puram", "Race Course")),
        ),
    ),
    "36": (
        "Telangana",
        (
            City(
                "Hyderabad",
                ("500001", "500034", "500081"),
                ("Abids", "Banjara Hills", "Madhapur"),
            ),
        ),
    ),
    "37": (
        "Andhra Pradesh",
        (
            City(
                "Visakhapatnam", ("530017", "530003"), ("MVP Colony", "Dwaraka Nagar")
            ),
            City("Vijayawada", ("520010", "520002"), ("Benz Circle", "Governorpet")),
        ),
    ),
}
# Union territories without a legislature charge UTGST in place of SGST.
UTGST_TERRITORIES = frozenset({"04", "26", "31", "35", "38"})

FIRST_NAMES = (
    "Aarav",
    "Aditi",
    "Ananya",
    "Arjun",
    "Asha",
    "Deepa",
    "Divya",
    "Farhan",
    "Gaurav",
    "Harpreet",
    "Ishaan",
    "Kavya",
    "Lakshmi",
    "Manoj",
    "Meera",
    "Mohammed",
    "Neha",
    "Nikhil",
    "Pooja",
    "Pradeep",
    "Priya",
    "Rahul",
    "Rajesh",
    "Ravi",
    "Rohan",
    "Sanjay",
    "Shreya",
    "Siddharth",
    "Sneha",
    "Suresh",
    "Tanvi",
    "Vikram",
    "Zoya",
    "Anil",
    "Bhavna",
    "Chitra",
)
LAST_NAMES = (
    "Agarwal",
    "Banerjee",
    "Bhat",
    "Chatterjee",
    "Das",
    "Desai",
    "Fernandes",
    "Gupta",
    "Iyer",
    "Jain",
    "Joshi",
    "Kapoor",
    "Khan",
    "Kulkarni",
    "Kumar",
    "Menon",
    "Mehta",
    "Mishra",
    "Nair",
    "Patel",
    "Pillai",
    "Rao",
    "Reddy",
    "Sharma",
    "Singh",
    "Sinha",
    "Verma",
    "Yadav",
    "Ghosh",
    "Shetty",
)
BUILDINGS = (
    "Sai Krupa Apartments",
    "Shanti Niketan",
    "Green Park Residency",
    "Lotus Heights",
    "Sunrise Towers",
    "Ganga Sadan",
    "Palm Grove",
    "Silver Oak Society",
    "Vrindavan Enclave",
    "Royal Palms",
)
STREETS = (
    "Main Road",
    "Station Road",
    "Temple Street",
    "2nd Cross",
    "Ring Road",
    "Link Road",
)
LANDMARKS = (
    "Near City Mall",
    "Opposite SBI Bank",
    "Behind Bus Stand",
    "Near Shiv Mandir",
    "Next to Apollo Pharmacy",
)
GIFT_MESSAGES = (
    "Happy birthday!",
    "Happy Diwali from all of us",
    "Congratulations on the new job",
    "Happy anniversary, with love",
    "Best wishes for the wedding",
)
PREPAID_MODES = ("Prepaid", "UPI", "Credit Card", "Debit Card", "Net Banking")
WAREHOUSE_COURIERS = ("DL", "BD", "EE", "EK", "XC", "GT")
LUXURY_COURIERS = ("BD", "FD")
FREE_SHIPPING_FROM = Decimal("499.00")


@dataclass(frozen=True)
class Product:
    """A catalogue entry; ``gst_rate`` None means the textile or footwear slab."""

    sku: str
    price: Decimal
    mrp: Decimal
    hsn: str
    gst_rate: Decimal | None = None
    precious: bool = False
    fragile: bool = False
    freebie: bool = False

    def rate(self) -> Decimal:
        if self.gst_rate is not None:
            return self.gst_rate
        return slab_rate(self.hsn, self.price)


def slab_rate(hsn: str, price: Decimal) -> Decimal:
    """Return the GST rate of garments (HSN 61, 62) and footwear (64) by price.

    NOTE: these are the slabs in force from 2022 until September 2025.
    Garments pay 5% up to INR 1000 a piece and 12% above. Footwear pays 12%
    up to INR 1000 and 18% above.
    """
    if hsn.startswith("64"):
        return Decimal("12") if price <= 1000 else Decimal("18")
    return Decimal("5") if price <= 1000 else Decimal("12")


def _product(sku, price, mrp, hsn, rate=None, **flags) -> Product:
    return Product(
        sku,
        Decimal(price),
        Decimal(mrp),
        hsn,
        None if rate is None else Decimal(rate),
        **flags,
    )


DEFAULT_CATALOGUE = (
    _product("KURTA-BLU-M", "1299.00", "1999.00", "6211"),
    _product("KURTA-BLU-L", "1299.00", "1999.00", "6211"),
    _product("TSHIRT-WHT-M", "499.00", "799.00", "6109"),
    _product("JEANS-SLIM-32", "1799.00", "2799.00", "6203"),
    _product("SAREE-SILK-RED", "4499.00", "6999.00", "5007", "5"),
    _product("SNEAKER-WHT-9", "2999.00", "4499.00", "6404"),
    _product("WALLET-BRN", "799.00", "999.00", "4202", "18"),
    _product("HANDBAG-TAN", "2499.00", "3999.00", "4202", "18"),
    _product("WATCH-ANLG-BLK", "3495.00", "4995.00", "9102", "18"),
    _product("EARBUDS-BT", "1999.00", "3999.00", "8518", "18"),
    _product("PERFUME-50ML", "1450.00", "1950.00", "3303", "18"),
    _product("GOLD-PENDANT", "18999.00", "21999.00", "7113", "3", precious=True),
    _product("GLASS-VASE", "899.00", "1299.00", "7013", "18", fragile=True),
    _product("POUCH-FREE", "0.00", "199.00", "4202", "18", freebie=True),
    _product("SOCKS-FREE", "0.00", "149.00", "6115", freebie=True),
)


def catalogue_from(skus) -> tuple[Product, ...]:
    """Return products for ``skus``: Products, dicts of Product fields, or SKUs.

    A bare SKU string gets a price, MRP and garment HSN code derived from the
    SKU itself, so the same SKU has the same price in every order.
    """
    products = []
    for item in skus:
        if isinstance(item, Product):
            products.append(item)
        elif isinstance(item, dict):
            products.append(_product(**item))
        else:
            sku_rng = random.Random(f"sku:{item}")
            price = Decimal(
                sku_rng.choice((299, 499, 799, 999, 1299, 1499, 1999, 2499, 2999))
            )
            mrp = (price * Decimal(sku_rng.choice(("1.25", "1.5", "2")))).quantize(
                Decimal("1"), ROUND_HALF_UP
            )
            products.append(
                Product(str(item), price.quantize(PAISA), mrp.quantize(PAISA), "6109")
            )
    if not products:
        raise ValueError("The SKU list is empty; give at least one SKU.")
    return tuple(products)


def apportion(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` by ``weights`` to the paisa; the last share takes the rest."""
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    shares = [
        (total * weight / weight_sum).quantize(PAISA, ROUND_HALF_UP)
        for weight in weights[:-1]
    ]
    shares.append(total - sum(shares, ZERO))
    return shares


def tax_included(amount: Decimal, rate: Decimal) -> Decimal:
    """Return the GST contained in a tax-inclusive ``amount`` at ``rate`` percent."""
    return (amount * rate / (Decimal(100) + rate)).quantize(PAISA, ROUND_HALF_UP)


def hsn_taxes(
    tax: Decimal, rate: Decimal, origin_state: str, destination_state: str
) -> list[dict]:
    """Split ``tax`` into the hsnTax entries of the place of supply rules."""
    if tax == 0:
        return []
    if origin_state != destination_state:
        return [{"taxType": "IGST", "taxRate": _money(rate), "taxValue": _money(tax)}]
    half_rate = rate / 2
    # The central half is rounded up and the state half takes the rest, so the
    # two add up to the tax exactly.
    state_part = (tax / 2).quantize(PAISA, ROUND_DOWN)
    central_part = tax - state_part
    state_type = "UTGST" if destination_state in UTGST_TERRITORIES else "SGST"
    return [
        {
            "taxType": "CGST",
            "taxRate": _money(half_rate),
            "taxValue": _money(central_part),
        },
        {
            "taxType": state_type,
            "taxRate": _money(half_rate),
            "taxValue": _money(state_part),
        },
    ]


def generate_orders(
    seller: Seller,
    count: int,
    *,
    seed=0,
    now: datetime,
    skus=None,
    fulfillment_types=None,
    slave_ids=None,
    cod_share: float = 0.35,
    gift_share: float = 0.15,
    freebie_share: float = 0.2,
    intrastate_share: float = 0.3,
    exists=None,
) -> list[dict]:
    """Return ``count`` order payloads for ``seller`` in the marketplace JSON shape.

    ``skus`` replaces the default catalogue (see ``catalogue_from``);
    ``fulfillment_types`` limits the models (default all four); ``slave_ids``
    limits the locations. ``exists(value)`` returns True for an order number
    or transaction id that is already used, so repeated calls stay unique.
    Dates are relative to ``now``.
    """
    if count < 0:
        raise ValueError(f"Invalid order count {count}; use 0 or more.")
    types = tuple(fulfillment_types or FULFILLMENT_TYPES)
    unknown = set(types) - set(FULFILLMENT_TYPES)
    if unknown:
        raise ValueError(
            f"Unknown fulfilment type(s) {', '.join(sorted(unknown))}; use "
            f"{', '.join(FULFILLMENT_TYPES)}."
        )
    if not seller.slave_ids and not slave_ids:
        raise ValueError(
            f"Seller {seller.seller_id} has no slave ids; add at least one."
        )
    builder = _OrderBuilder(
        seller,
        random.Random(f"{seller.seller_id}:{seed}"),
        now,
        catalogue_from(skus) if skus else DEFAULT_CATALOGUE,
        types,
        tuple(slave_ids) if slave_ids else None,
        {
            "cod": cod_share,
            "gift": gift_share,
            "freebie": freebie_share,
            "intrastate": intrastate_share,
        },
        exists or (lambda _value: False),
    )
    return [builder.order() for _ in range(count)]


class _OrderBuilder:
    def __init__(self, seller, rng, now, catalogue, types, slave_ids, shares, exists):
        self.seller = seller
        self.rng = rng
        self.now = now
        self.paid_products = [p for p in catalogue if not p.freebie] or list(catalogue)
        self.freebies = [p for p in catalogue if p.freebie] or list(catalogue)
        self.types = types
        self.slave_ids = slave_ids
        self.shares = shares
        self.exists = exists
        self.issued: set[str] = set()
        digits = "".join(ch for ch in seller.seller_id if ch.isdigit())
        if len(digits) != 6:
            digits = str(
                int(hashlib.sha256(seller.seller_id.encode()).hexdigest(), 16) % 10**6
            )
        self.txn_prefix = digits.zfill(6)

    # One order ------------------------------------------------------------------

    def order(self) -> dict:
        rng = self.rng
        fulfillment = rng.choice(self.types)
        slave_id = self._slave(fulfillment)
        origin_state = self.seller.slave_state(slave_id)
        destination_state = self._destination_state(origin_state)
        state_name, cities = STATES[destination_state]
        city = rng.choice(cities)
        delivery_mode = self._delivery_mode(fulfillment)

        products = self._products(fulfillment)
        allocated, ordered = self._dates()
        is_cod = rng.random() < self.shares["cod"] and not any(
            p.precious for p in products
        )

        prices = [p.price for p in products]
        discounts = [ZERO] * len(products)
        if rng.random() < 0.25:
            coupon = (sum(prices) * Decimal(rng.choice((5, 10, 15))) / 100).quantize(
                Decimal("1"), ROUND_HALF_UP
            )
            discounts = apportion(coupon, prices)
        apportioned = [
            price - discount for price, discount in zip(prices, discounts, strict=True)
        ]
        subtotal = sum(apportioned, ZERO)
        shipping = self._shipping_charge(delivery_mode, subtotal)
        cod_charge = (
            rng.choice((ZERO, Decimal("49.00"), Decimal("50.00"))) if is_cod else ZERO
        )
        shipping_shares = apportion(shipping, apportioned)
        cod_shares = apportion(cod_charge, apportioned)

        base = self._unique(
            lambda: f"{rng.randint(10**9, 10**10 - 1)}", width=len(products) + 1
        )
        gift_index = 0 if rng.random() < self.shares["gift"] else None
        courier = self._courier(fulfillment, delivery_mode)
        lines = []
        for index, product in enumerate(products):
            lines.append(
                self._line(
                    f"{self.txn_prefix}{base}{index + 1}",
                    product,
                    apportioned[index],
                    shipping_shares[index],
                    cod_shares[index],
                    is_cod=is_cod,
                    gift_message=rng.choice(GIFT_MESSAGES)
                    if index == gift_index
                    else None,
                    fulfillment=fulfillment,
                    delivery_mode=delivery_mode,
                    courier=courier,
                    slave_id=slave_id,
                    origin_state=origin_state,
                    destination_state=destination_state,
                    allocated=allocated,
                )
            )
        freebie = self._freebie(
            lines,
            fulfillment,
            delivery_mode,
            courier,
            slave_id,
            origin_state,
            destination_state,
            allocated,
            base,
            is_cod,
        )
        if freebie:
            lines.append(freebie)

        total = subtotal + shipping + cod_charge
        delivery = self._address("DA", city, destination_state)
        addresses = [delivery]
        billing_choice = rng.random()
        if billing_choice < 0.7:
            addresses.append(dict(delivery, addressType="BA"))
        elif billing_choice < 0.8:
            other_state = rng.choice(sorted(STATES))
            addresses.append(
                self._address("BA", rng.choice(STATES[other_state][1]), other_state)
            )
        payment_date = india_time(ordered + timedelta(seconds=rng.randint(3, 90)))
        order_no = self._unique(
            lambda: (
                f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-"
                f"{rng.randint(100000, 999999)}"
            )
        )
        return {
            "orderType": "01",
            "orderNo": order_no,
            "orderDate": india_time(ordered),
            "addressInfo": addresses,
            "paymentInfo": [
                {
                    "paymentCost": _money(total),
                    "paymentMode": "COD" if is_cod else rng.choice(PREPAID_MODES),
                    "paymentStatus": "P" if is_cod else "S",
                    "paymentInfo": "NA",
                    "paymentDate": "null" if is_cod else payment_date,
                }
            ],
            "orderLine": lines,
        }

    def _line(
        self,
        txn,
        product,
        apportioned,
        shipping,
        cod,
        *,
        is_cod,
        gift_message,
        fulfillment,
        delivery_mode,
        courier,
        slave_id,
        origin_state,
        destination_state,
        allocated,
        parent=None,
    ):
        rate = product.rate()
        tax = tax_included(apportioned, rate)
        taxes = hsn_taxes(tax, rate, origin_state, destination_state)
        ship_by = self._ship_by(allocated, delivery_mode)
        return {
            "transactionId": txn,
            "shipByDate": india_time(ship_by),
            "allocationDate": india_time(allocated),
            "omsStatusCode": "001",
            "sellerID": self.seller.seller_id,
            "articleNumber": product.sku,
            "quantity": "1",
            "price": _money(ZERO if parent else product.price),
            "mrp": _money(product.mrp),
            "isCOD": _flag(is_cod),
            "apportionedPrice": _money(apportioned),
            "apportionedCODPrice": _money(cod),
            "apportionedShippingCharge": _money(shipping),
            "taxType": _tax_type(taxes),
            "taxValue": _money(tax),
            "isaGift": _flag(gift_message is not None),
            "giftMessage": gift_message or "null",
            "giftPrice": "0.00",
            "isAFreebie": _flag(parent is not None),
            "parentTransactionID": parent or "null",
            "deliveryMode": delivery_mode,
            "transportMode": self._transport_mode(delivery_mode),
            "fulfillmentType": fulfillment,
            "isPrecious": _flag(product.precious),
            "isFragile": _flag(product.fragile),
            "p1SlaveId": slave_id,
            "p1LogisticsID": courier,
            "returnLogisticsID": courier if fulfillment != "SSHIP" else "NA",
            "gst": {
                "slavegstin": self.seller.gstin(slave_id),
                "destinationStateCode": destination_state,
                "hsnCode": product.hsn,
                "hsnTax": taxes,
            },
        }

    def _freebie(
        self,
        lines,
        fulfillment,
        delivery_mode,
        courier,
        slave_id,
        origin_state,
        destination_state,
        allocated,
        base,
        is_cod,
    ):
        if len(lines) >= 3 or self.rng.random() >= self.shares["freebie"]:
            return None
        parent = self.rng.choice(lines)["transactionId"]
        product = self.rng.choice(self.freebies)
        line = self._line(
            f"{self.txn_prefix}{base}{len(lines) + 1}",
            product,
            ZERO,
            ZERO,
            ZERO,
            is_cod=is_cod,
            gift_message=None,
            fulfillment=fulfillment,
            delivery_mode=delivery_mode,
            courier=courier,
            slave_id=slave_id,
            origin_state=origin_state,
            destination_state=destination_state,
            allocated=allocated,
            parent=parent,
        )
        return line

    # Choices ----------------------------------------------------------------------

    def _slave(self, fulfillment: str) -> str:
        pool = self.seller.stores if fulfillment == "OMNI" else self.seller.warehouses
        if self.slave_ids:
            pool = tuple(s for s in pool if s in self.slave_ids) or self.slave_ids
        return self.rng.choice(pool)

    def _destination_state(self, origin_state: str) -> str:
        if origin_state in STATES and self.rng.random() < self.shares["intrastate"]:
            return origin_state
        return self.rng.choice(sorted(STATES))

    def _delivery_mode(self, fulfillment: str) -> str:
        if fulfillment == "OMNI":
            return self.rng.choices(("HD", "SDD", "CNC"), weights=(50, 25, 25))[0]
        return self.rng.choices(("HD", "ED"), weights=(80, 20))[0]

    def _transport_mode(self, delivery_mode: str) -> str:
        if delivery_mode == "ED":
            return "AIR"
        if delivery_mode in ("SDD", "CNC"):
            return "SUR"
        return self.rng.choices(("SUR", "AIR"), weights=(80, 20))[0]

    def _courier(self, fulfillment: str, delivery_mode: str) -> str:
        if fulfillment == "SSHIP" or delivery_mode == "CNC":
            return "NA"
        if delivery_mode == "SDD":
            return "SF"
        if fulfillment == "LUXURY":
            return self.rng.choice(LUXURY_COURIERS)
        return self.rng.choice(WAREHOUSE_COURIERS)

    def _products(self, fulfillment: str) -> list[Product]:
        count = self.rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        pool = self.paid_products
        if fulfillment != "LUXURY":
            pool = [p for p in pool if not p.precious] or pool
        products = [self.rng.choice(pool) for _ in range(count)]
        if count >= 2 and self.rng.random() < 0.15:
            # Two units of one SKU arrive as two lines.
            products[1] = products[0]
        return products

    def _shipping_charge(self, delivery_mode: str, subtotal: Decimal) -> Decimal:
        if delivery_mode == "ED":
            return Decimal("99.00")
        if delivery_mode == "SDD":
            return Decimal("49.00")
        if delivery_mode == "HD" and subtotal < FREE_SHIPPING_FROM:
            return Decimal("49.00")
        return ZERO

    def _dates(self) -> tuple[datetime, datetime]:
        rng = self.rng
        allocated = self.now - timedelta(minutes=rng.randint(5, 6 * 60))
        if rng.random() < 0.1:
            # Late allocation: the order sat for days before reaching the seller.
            ordered = allocated - timedelta(
                days=rng.randint(2, 6), minutes=rng.randint(0, 600)
            )
        else:
            ordered = allocated - timedelta(minutes=rng.randint(1, 30))
        return allocated.replace(microsecond=0), ordered.replace(microsecond=0)

    def _ship_by(self, allocated: datetime, delivery_mode: str) -> datetime:
        days = 0 if delivery_mode == "SDD" else 2
        local = allocated.astimezone(INDIA).date() + timedelta(days=days)
        return datetime.combine(local, time(23, 59, 59), INDIA)

    def _address(self, address_type: str, city: City, state_code: str) -> dict:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        address = {"addressType": address_type}
        if rng.random() < 0.8:
            address.update(firstName=first, lastName=last)
        else:
            address["name"] = f"{first} {last}"
        phone = f"{rng.choice('6789')}{rng.randint(0, 999999999):09d}"
        email = (
            f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com"
            if rng.random() < 0.75
            else "NA"
        )
        address.update(
            phone=phone,
            email=email,
            address1=(
                f"{rng.choice(('Flat', 'House No.', 'Plot'))} {rng.randint(1, 450)}, "
                f"{rng.choice(BUILDINGS)}"
            ),
            address2=rng.choice(city.localities),
            address3=rng.choice(STREETS) if rng.random() < 0.5 else "null",
            landmark=rng.choice(LANDMARKS)
            if rng.random() < 0.5
            else rng.choice(("NA", "null")),
            city=city.name,
            state=state_code,
            pincode=rng.choice(city.pincodes),
            country="IN",
        )
        return address

    def _unique(self, make, width: int = 1) -> str:
        """Return a new value from ``make`` that no order or line uses yet.

        ``width`` reserves that many transaction ids built from the value.
        """
        for _ in range(1000):
            value = make()
            candidates = (
                [value]
                if width == 1
                else [
                    f"{self.txn_prefix}{value}{index}" for index in range(1, width + 1)
                ]
            )
            if not any(c in self.issued or self.exists(c) for c in candidates):
                self.issued.update(candidates)
                return value
        raise RuntimeError(
            "No free order number or transaction id found in 1000 draws."
        )


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(PAISA, ROUND_HALF_UP))


def _flag(value: bool) -> str:
    return "Y" if value else "N"


def _tax_type(taxes: list[dict]) -> str:
    if not taxes:
        return "NA"
    return "+".join(tax["taxType"] for tax in taxes)
