"""Admin routes under ``/_sandbox/`` for the demo and manual use (JSON only).

Routes (request and response bodies are JSON):

- ``GET /_sandbox/state`` (query ``seller_id``): sellers, orders with their
  line states, pending faults and the clock.
- ``POST /_sandbox/reset``: drop orders, tokens, faults and calls; sellers stay.
- ``POST /_sandbox/seed`` ``{"seller_id", "order": [...]}``: store orders.
- ``POST /_sandbox/generate`` ``{"seller_id", "count", "seed", ...}``: generate
  orders; other keys are ``Sandbox.generate`` options.
- ``GET|POST|DELETE /_sandbox/faults`` ``{"route", "kind", "times", ...}``:
  list, add or clear faults (query ``route`` clears one route only).
- ``GET|POST /_sandbox/sellers`` (``Seller`` fields): list or add sellers.
- ``GET /_sandbox/lines/<transaction id>``: one line with its history.
- ``POST /_sandbox/lines/<transaction id>/status`` ``{"status", "note",
  "force"}``: move a line as the marketplace would, outside the seller's ERP.
- ``GET|DELETE /_sandbox/calls``: the call log, or clear it.
- customer cancellations and returns, deliveries, returns to origin,
  refunds, the hop limit and store stock: ``ADMIN_RESOURCES`` of
  ``tatacliq_sandbox.handlers.returns``.
- ``GET|POST /_sandbox/clock`` ``{"advance_seconds"}``, ``{"set", "frozen"}``
  or ``{"reset": true}``: read or move the clock.

``seller_id`` may be left out while the sandbox has exactly one seller.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from .auth import Seller
from .clock import india_time, parse_india_time
from .errors import ApiError
from .handlers.returns import ADMIN_RESOURCES

SELLER_FIELDS = {f.name for f in dataclasses.fields(Seller)}


def handle_admin(sandbox, method: str, path: str, query: dict, body: bytes):
    """Return (HTTP status, JSON payload) for one admin request."""
    try:
        data = json.loads(body) if body and body.strip() else {}
    except ValueError as error:
        return 400, ApiError(f"Admin request body is not valid JSON: {error}").body()
    if not isinstance(data, dict):
        return 400, ApiError("Admin request body must be a JSON object.").body()
    parts = [part for part in path.split("/") if part][1:]
    try:
        return 200, _dispatch(sandbox, method.upper(), parts, query, data)
    except ApiError as error:
        return error.status, error.body()
    except (ValueError, KeyError, TypeError) as error:
        message = error.args[0] if error.args else str(error)
        return 400, ApiError(str(message)).body()


def _dispatch(sandbox, method, parts, query, data):
    resource = parts[0] if parts else "state"
    if resource == "state" and method == "GET":
        return state_view(sandbox, query.get("seller_id"))
    if resource == "reset" and method == "POST":
        sandbox.reset()
        return {"status": "SUCCESS"}
    if resource == "seed" and method == "POST":
        seller_id = _seller_id(sandbox, data)
        return {"status": "SUCCESS", "orderNos": sandbox.seed(seller_id, data)}
    if resource == "generate" and method == "POST":
        return {"status": "SUCCESS", "orderNos": _generate(sandbox, data)}
    if resource == "faults":
        return _faults(sandbox, method, query, data)
    if resource == "sellers":
        return _sellers(sandbox, method, data)
    if resource == "lines" and len(parts) >= 2:
        return _lines(sandbox, method, parts[1:], data)
    if resource == "calls":
        if method == "DELETE":
            sandbox.calls.clear()
            return {"status": "SUCCESS"}
        return {"calls": [call.as_dict() for call in list(sandbox.calls)]}
    if resource == "clock":
        return _clock(sandbox, method, data)
    if resource in ADMIN_RESOURCES:
        return ADMIN_RESOURCES[resource](sandbox, method, parts[1:], data)
    raise ApiError(
        f"No admin route for {method} /_sandbox/{'/'.join(parts)}; see the "
        "tatacliq_sandbox.admin module for the list.",
        404,
    )


def state_view(sandbox, seller_id: str | None = None) -> dict:
    """Return sellers, orders with their line states, pending faults and the clock."""
    state = sandbox.state
    with state.lock:
        orders = []
        for order in sorted(state.orders.values(), key=lambda o: o.sequence):
            lines = state.order_lines(order)
            sellers = {line.seller_id for line in lines} | {
                h.seller_id for line in lines for h in line.past_holders
            }
            if seller_id and seller_id not in sellers:
                continue
            orders.append(
                {
                    "orderNo": order.order_no,
                    "sellerId": order.seller_id,
                    "orderDate": order.data.get("orderDate"),
                    "lines": [line.as_dict() for line in lines],
                }
            )
        sellers = [seller.public_dict() for seller in state.sellers.values()]
    return {
        "clock": india_time(sandbox.clock.now()),
        "sellers": sellers,
        "orders": orders,
        "faults": [fault.as_dict() for fault in sandbox.faults.pending()],
        "callCount": len(sandbox.calls),
    }


def _seller_id(sandbox, data: dict) -> str:
    seller_id = data.get("seller_id")
    if seller_id:
        sandbox.seller(str(seller_id))
        return str(seller_id)
    sellers = list(sandbox.state.sellers)
    if len(sellers) != 1:
        raise ApiError(
            f"Missing seller_id; the sandbox has {len(sellers)} sellers "
            f"({', '.join(sellers) or 'none'}), name one."
        )
    return sellers[0]


def _generate(sandbox, data: dict) -> list[str]:
    seller_id = _seller_id(sandbox, data)
    options = {k: v for k, v in data.items() if k not in ("seller_id", "count", "seed")}
    count = int(data.get("count", 1))
    return sandbox.generate(seller_id, count, seed=data.get("seed", 0), **options)


def _faults(sandbox, method, query, data):
    if method == "POST":
        options = {
            key: value
            for key, value in data.items()
            if key not in ("route", "kind", "times")
        }
        if "route" not in data or "kind" not in data:
            raise ApiError('A fault needs "route" and "kind".')
        fault = sandbox.faults.inject(
            data["route"], data["kind"], data.get("times", 1), **options
        )
        return {"status": "SUCCESS", "fault": fault.as_dict()}
    if method == "DELETE":
        sandbox.faults.clear(query.get("route") or data.get("route"))
        return {"status": "SUCCESS"}
    return {"faults": [fault.as_dict() for fault in sandbox.faults.pending()]}


def _sellers(sandbox, method, data):
    if method == "POST":
        unknown = set(data) - SELLER_FIELDS
        if unknown:
            raise ApiError(
                f"Unknown seller field(s) {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(SELLER_FIELDS))}."
            )
        seller = sandbox.add_seller(Seller(**data))
        return {"status": "SUCCESS", "seller": seller.public_dict()}
    return {"sellers": [s.public_dict() for s in sandbox.state.sellers.values()]}


def _lines(sandbox, method, parts, data):
    transaction_id = parts[0]
    line = sandbox.state.line(transaction_id)
    if line is None:
        raise ApiError(f"Transaction {transaction_id} not found", 404)
    if len(parts) == 2 and parts[1] == "status" and method == "POST":
        if not data.get("status"):
            raise ApiError('Missing "status", for example {"status": "HOTCOURI"}.')
        sandbox.transition(
            transaction_id,
            data["status"],
            note=data.get("note", "moved through the admin route"),
            force=bool(data.get("force")),
        )
    elif len(parts) != 1 or method != "GET":
        raise ApiError(f"No admin route for {method} on line {transaction_id}.", 404)
    with sandbox.state.lock:
        return line.as_dict()


def _clock(sandbox, method, data):
    if method == "POST":
        if "set" in data:
            when = parse_india_time(str(data["set"]))
            if when is None:
                raise ApiError('Missing date in "set"; use YYYY-MM-DD HH:MM:SS.')
            sandbox.clock.set(when, frozen=bool(data.get("frozen")))
        elif "advance_seconds" in data:
            sandbox.clock.advance(float(data["advance_seconds"]))
        elif data.get("reset"):
            sandbox.clock.reset()
        else:
            raise ApiError('Send "advance_seconds", "set" or "reset".')
    now: datetime = sandbox.clock.now()
    return {"now": now.isoformat(), "india": india_time(now)}
