"""Fault injection per route name: the failures a real marketplace produces.

Kinds and their options:

- ``5xx``: respond with ``status`` (default 503) with an error body.
- ``429``: respond with 429 and ``Retry-After: retry_after`` (seconds, default 1).
- ``slow``: wait ``delay`` seconds (default 2.0), then respond normally.
- ``truncate``: respond normally but send only the first ``keep`` bytes of the
  body (default half), with a matching Content-Length, so the client sees a
  complete response whose body does not parse.
- ``malformed``: respond 200 with ``body`` (default an HTML gateway page).
- ``expire_token``: revoke the token the call presents and respond 401.
- ``disconnect``: close the connection without a response.

``5xx`` and ``disconnect`` take ``after_handling=True`` to run the handler
first, so the marketplace's state changes although the client sees a failure
(the case that tests a client's idempotency). ``times`` is how many matching
calls the fault applies to; ``times=None`` keeps it until cleared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

FAULT_KINDS = (
    "5xx",
    "429",
    "slow",
    "truncate",
    "malformed",
    "expire_token",
    "disconnect",
)
OPTIONS = {
    "5xx": {"status", "after_handling"},
    "429": {"retry_after"},
    "slow": {"delay"},
    "truncate": {"keep"},
    "malformed": {"body", "content_type"},
    "expire_token": set(),
    "disconnect": {"after_handling"},
}
DEFAULT_MALFORMED_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center></body></html>"
)


@dataclass
class Fault:
    route: str
    kind: str
    times: int | None = 1
    options: dict = field(default_factory=dict)
    used: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def as_dict(self) -> dict:
        return {
            "route": self.route,
            "kind": self.kind,
            "times": self.times,
            "used": self.used,
            "options": self.options,
        }


class FaultInjector:
    """Pending faults, applied first-in first-out to calls of their route."""

    def __init__(self, route_names):
        self._route_names = set(route_names)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self, route_name: str, kind: str, times: int | None = 1, **options
    ) -> Fault:
        """Add a fault; raises ``ValueError`` for an unknown route, kind or option."""
        if route_name not in self._route_names:
            raise ValueError(
                f"Unknown route {route_name!r} for a fault; known routes: "
                f"{', '.join(sorted(self._route_names))}."
            )
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"Unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}."
            )
        unknown = set(options) - OPTIONS[kind]
        if unknown:
            raise ValueError(
                f"Unknown option(s) {', '.join(sorted(unknown))} for fault {kind!r}; "
                f"allowed: {', '.join(sorted(OPTIONS[kind])) or 'none'}."
            )
        if kind == "expire_token" and route_name == "token":
            raise ValueError(
                "Fault expire_token applies to calls that send a token, not to "
                "the token route itself."
            )
        if kind == "5xx":
            status = int(options.get("status", 503))
            if not 500 <= status <= 599:
                raise ValueError(
                    f"Invalid status {status} for a 5xx fault; use 500-599."
                )
            options["status"] = status
        if times is not None:
            times = int(times)
            if times < 1:
                raise ValueError(f"Invalid times {times}; use 1 or more, or None.")
        fault = Fault(route_name, kind, times, dict(options))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, route_name: str) -> Fault | None:
        """Return the fault that applies to this call of ``route_name`` and count it."""
        with self._lock:
            for fault in self._faults:
                if fault.route == route_name and not fault.exhausted:
                    fault.used += 1
                    if fault.exhausted:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self, route_name: str | None = None) -> None:
        with self._lock:
            self._faults = [
                fault
                for fault in self._faults
                if route_name is not None and fault.route != route_name
            ]

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
