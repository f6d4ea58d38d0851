"""Path matching built from the connector's own route table.

Each ``Route.path`` template becomes a regular expression: ``{fmt}`` matches
``JSON`` or ``XML``, ``{version}`` matches ``1.0`` or ``2.0``, and every other
placeholder becomes a named group of one path segment. The client and the
sandbox therefore read the same table, and a route override applies to both.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from urllib.parse import unquote

from tatacliq.routes import Route

PLACEHOLDER_PATTERNS = {"fmt": "JSON|XML", "version": r"1\.0|2\.0"}


def compile_path(template: str) -> re.Pattern:
    """Return the regular expression matching every path ``template`` produces.

    A trailing slash is optional, as most servers treat it.
    """
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(
        template.rstrip("/")
    ):
        parts.append(re.escape(literal))
        if name is not None:
            pattern = PLACEHOLDER_PATTERNS.get(name, "[^/]+")
            parts.append(f"(?P<{name}>{pattern})")
    return re.compile("^" + "".join(parts) + "/?$")


@dataclass(frozen=True)
class Match:
    route: Route | None
    params: dict
    allowed_methods: tuple = ()  # set when the path matched but the method did not


class RouteTable:
    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self._compiled = [
            (route, compile_path(route.path)) for route in routes.values()
        ]

    def match(self, method: str, path: str) -> Match | None:
        """Return the route for ``method`` and ``path``, or None for an unknown path."""
        allowed = []
        for route, pattern in self._compiled:
            found = pattern.match(path)
            if not found:
                continue
            if route.method.upper() != method.upper():
                allowed.append(route.method.upper())
                continue
            params = {key: unquote(value) for key, value in found.groupdict().items()}
            return Match(route, params)
        if allowed:
            return Match(None, {}, tuple(sorted(set(allowed))))
        return None

    def url_path(self, route_name: str, version: str = "V2", **params) -> str:
        """Return the path of ``route_name`` for ``version`` ("V1" or "V2")."""
        route = self.routes[route_name]
        values = {
            "fmt": "XML" if version == "V1" else "JSON",
            "version": "1.0" if version == "V1" else "2.0",
        }
        values.update(params)
        return route.path.format(**values)
