"""The sandbox clock: real time plus an offset that tests can set and advance.

Token expiry, allocation dates, ship-by dates and feed dates all read this
clock, so a test can move a day forward without waiting.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

# India has kept UTC+05:30 all year since 1945, so a fixed offset is exact.
INDIA = timezone(timedelta(hours=5, minutes=30), "IST")
INDIA_FORMAT = "%Y-%m-%d %H:%M:%S"


class Clock:
    """Aware UTC time with an adjustable offset, or frozen at a fixed instant."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        if start is not None:
            self.set(start, frozen=frozen)
        elif frozen:
            self._frozen_at = datetime.now(timezone.utc)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(timezone.utc) + self._offset

    def set(self, when: datetime, *, frozen: bool = False) -> datetime:
        """Move the clock to ``when`` (naive values are India time)."""
        when = as_utc(when)
        with self._lock:
            if frozen:
                self._frozen_at = when
            else:
                self._frozen_at = None
                self._offset = when - datetime.now(timezone.utc)
        return when

    def advance(self, delta: timedelta | float = 0, **units) -> datetime:
        """Move the clock forward by a timedelta, seconds, or ``hours=...`` units."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        delta += timedelta(**units)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta
        return self.now()

    def reset(self) -> None:
        """Return to real time."""
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def india_now(self) -> str:
        return india_time(self.now())


def as_utc(when: datetime) -> datetime:
    """Return ``when`` as aware UTC; a naive value is taken as India time."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=INDIA)
    return when.astimezone(timezone.utc)


def india_time(when: datetime | None) -> str:
    """Format an instant the way the marketplace sends dates: India time, no offset."""
    if when is None:
        return "null"
    return as_utc(when).astimezone(INDIA).strftime(INDIA_FORMAT)


def parse_india_time(value: str | None) -> datetime | None:
    """Parse ``YYYY-MM-DD HH:MM:SS`` (India time) or ISO 8601; None when missing.

    Raises ``ValueError`` naming the value for any other form.
    """
    if value is None or value.strip() in ("", "null", "NA"):
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"Invalid date {value!r}; use YYYY-MM-DD HH:MM:SS (India time) or ISO 8601."
        )
    try:
        return as_utc(parsed)
    except OverflowError:
        # 0001-01-01 in India time is before the first datetime in UTC.
        raise ValueError(f"Invalid date {value!r}; it is out of range in UTC.")
