"""The sandbox marketplace: an HTTP server on loopback over real state.

``Sandbox`` ties the parts together: the clock, the state, the token store,
the fault injector, the call log, the route table shared with the client, and
the handlers registered by the modules under ``tatacliq_sandbox/handlers/``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tatacliq.routes import Route, build_routes

from . import codec, handlers
from .auth import Seller, TokenStore, demo_seller
from .clock import Clock
from .errors import ApiError
from .faults import DEFAULT_MALFORMED_BODY, Fault, FaultInjector
from .handlers.returns import ReturnsSandboxMixin
from .registry import HANDLERS, Reply, Request
from .routing import RouteTable
from .state import LineState, OrderState, State

_logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/_sandbox"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
PDF_TYPE = "application/pdf"
# Request bodies above this size are rejected with 413; inventory pushes of a few
# thousand items stay far below it.
MAX_BODY_BYTES = 20 * 1024 * 1024
IDLE_CONNECTION_SECONDS = 60
# Request body fields the call log never keeps.
SECRET_FIELDS = ("password", "apiSecret", "api_secret")


@dataclass
class CallRecord:
    """One request the sandbox handled (or dropped, for a disconnect fault)."""

    at: datetime
    route: str | None
    method: str
    path: str
    status: int | None  # None when the connection was closed without a response
    seller_id: str | None = None
    version: str | None = None
    fault: str | None = None
    query: dict = field(default_factory=dict)
    body: object = None

    def as_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "route": self.route,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "sellerId": self.seller_id,
            "version": self.version,
            "fault": self.fault,
        }


class CallLog(list):
    """The list of ``CallRecord`` of handled requests, with filters for tests."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self.append(call)

    def for_route(self, route_name: str) -> list[CallRecord]:
        with self._lock:
            return [call for call in self if call.route == route_name]

    def routes(self) -> list[str | None]:
        with self._lock:
            return [call.route for call in self]


@dataclass
class Response:
    status: int
    content: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict = field(default_factory=dict)
    disconnect: bool = False


class Sandbox(ReturnsSandboxMixin):
    """A Tata CLiQ marketplace on 127.0.0.1 for tests and the demo.

    ``port=0`` binds a free port (read ``port`` or ``url`` after ``start``).
    ``route_overrides`` takes the same mapping as a channel's route overrides,
    so the sandbox can mirror a channel that moved a route. ``sftp_port``
    starts the SFTP exchange too, when ``tatacliq_sandbox.sftp_server`` is present.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        sftp_port: int | None = None,
        *,
        clock: Clock | None = None,
        route_overrides: dict | None = None,
        sftp_host_key_file: str | Path | None = None,
    ):
        _check_loopback(host)
        handlers.load()
        self.host = host
        self.requested_port = port
        self.sftp_port = sftp_port
        # The SFTP server keeps its host key in this file when one is named,
        # so a client that pinned the key still trusts it after a restart.
        self.sftp_host_key_file = sftp_host_key_file
        self.clock = clock or Clock()
        self.state = State(self.clock)
        self.tokens = TokenStore(self.clock)
        self.routes: dict[str, Route] = build_routes(route_overrides)
        self.route_table = RouteTable(self.routes)
        self.faults = FaultInjector(self.routes)
        self.calls = CallLog()
        self.sftp = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @classmethod
    def demo(cls, *args, **kwargs) -> Sandbox:
        """Return a sandbox with the demo seller (seller id 273570) added."""
        sandbox = cls(*args, **kwargs)
        sandbox.add_seller(demo_seller())
        return sandbox

    # Lifecycle -----------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer(
            (self.host, self.requested_port), _make_handler(self)
        )
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"tatacliq-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self.sftp_port is not None:
            self._start_sftp()
        _logger.info("Sandbox marketplace listening on %s", self.url)
        return self

    def _start_sftp(self) -> None:
        try:
            from .sftp_server import SftpServer
        except ImportError:
            self.stop()
            raise RuntimeError(
                f"SFTP port {self.sftp_port} was requested but this sandbox has no "
                "SFTP server (tatacliq_sandbox.sftp_server is missing); start without "
                "sftp_port."
            )
        self.sftp = SftpServer(self, self.host, self.sftp_port)
        self.sftp.start()

    def stop(self) -> None:
        self._stopping.set()
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        _logger.info("Sandbox marketplace stopped")

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The sandbox is not started; call start() first.")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Sellers and data ------------------------------------------------------------

    def add_seller(self, seller: Seller) -> Seller:
        return self.state.add_seller(seller)

    def seller(self, seller_id: str) -> Seller:
        return self.state.seller(seller_id)

    def seed(self, seller_id: str, payload: dict | list) -> list[str]:
        """Store the orders of a marketplace payload ``{"order": [...]}``.

        Returns the order numbers in payload order. Raises ``ValueError`` for
        a payload without orders or with an invalid order.
        """
        orders = payload.get("order") if isinstance(payload, dict) else payload
        if isinstance(orders, dict):
            orders = [orders]
        if not orders:
            raise ValueError('Seed payload has no orders; send {"order": [...]}.')
        return [self.state.add_order(seller_id, order).order_no for order in orders]

    def seed_file(self, seller_id: str, path: str | Path) -> list[str]:
        """Seed from a JSON file in the marketplace order format."""
        with open(path, encoding="utf-8") as handle:
            return self.seed(seller_id, json.load(handle))

    def generate(self, seller_id: str, count: int, seed=0, **options) -> list[str]:
        """Generate ``count`` realistic orders for the seller; returns their numbers.

        Options are those of ``generator.generate_orders`` (``skus``,
        ``fulfillment_types``, ``slave_ids``, ``cod_share``, ...). The same
        seed and clock give the same orders.
        """
        from .generator import generate_orders

        seller = self.seller(seller_id)
        with self.state.lock:
            payloads = generate_orders(
                seller,
                count,
                seed=seed,
                now=self.clock.now(),
                exists=self._id_exists,
                **options,
            )
            return [
                self.state.add_order(seller_id, order).order_no for order in payloads
            ]

    def _id_exists(self, value: str) -> bool:
        return value in self.state.orders or value in self.state.lines

    def line(self, transaction_id) -> LineState:
        """Return the live state of a line; raises ``KeyError`` when unknown."""
        line = self.state.line(str(transaction_id))
        if line is None:
            raise KeyError(f"Unknown transaction id {transaction_id}.")
        return line

    def order(self, order_no: str) -> OrderState:
        order = self.state.order(order_no)
        if order is None:
            raise KeyError(f"Unknown order {order_no}.")
        return order

    def transition(self, transaction_id, status: str, *, note: str = "", force=False):
        """Move a line as the marketplace would on its own (courier scan, portal)."""
        return self.state.transition(
            str(transaction_id), status, note=note, by_seller=False, force=force
        )

    def reset(self) -> None:
        """Drop orders, tokens, faults and the call log; sellers and the clock stay."""
        self.state.reset()
        self.tokens.clear()
        self.faults.clear()
        self.calls.clear()
        if self.sftp is not None:
            self.sftp.reset()

    def route_url(
        self, route_name: str, seller_id: str | None = None, version="V2", **params
    ) -> str:
        """Return the full URL of a route, for tests that call it with plain HTTP."""
        if seller_id is not None:
            params["seller_id"] = seller_id
        return self.url + self.route_table.url_path(route_name, version, **params)

    # Request handling ------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers, body: bytes) -> Response:
        """Handle one HTTP request. The HTTP layer only reads and writes bytes."""
        split = urlsplit(raw_path)
        path = split.path
        query = {
            key: values[-1]
            for key, values in parse_qs(split.query, keep_blank_values=True).items()
        }
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            from .admin import handle_admin

            status, payload = handle_admin(self, method, path, query, body)
            return Response(status, json.dumps(payload, ensure_ascii=False).encode())

        match = self.route_table.match(method, path)
        if match is None or match.route is None:
            version = "V1" if ("AV_1.0" in path or "_XML_" in path) else "V2"
            if match is None:
                error = ApiError(f"No route for {method} {path}", 404)
            else:
                error = ApiError(
                    f"Method {method} is not allowed on {path}; use "
                    f"{', '.join(match.allowed_methods)}.",
                    405,
                    headers={"Allow": ", ".join(match.allowed_methods)},
                )
            response = _error_response(error, version)
            self.calls.record(
                CallRecord(
                    self.clock.now(), None, method, path, response.status, query=query
                )
            )
            return response

        route = match.route
        version = "V1" if match.params.get("version") == "1.0" else "V2"
        if route.response == "json":
            version = "V2"
        fault = self.faults.take(route.name)
        request = Request(
            sandbox=self,
            route=route,
            method=method,
            path=path,
            version=version,
            params={
                k: v for k, v in match.params.items() if k not in ("fmt", "version")
            },
            query=query,
            body=None,
            raw_body=body,
            headers={name.lower(): value for name, value in headers.items()},
        )
        response = self._serve(request, match.params.get("fmt"), fault)
        self.calls.record(
            CallRecord(
                self.clock.now(),
                route.name,
                method,
                path,
                None if response.disconnect else response.status,
                seller_id=request.seller_id,
                version=version,
                fault=fault.kind if fault else None,
                query=query,
                body=_redact(request.body),
            )
        )
        return response

    def _serve(
        self, request: Request, fmt: str | None, fault: Fault | None
    ) -> Response:
        kind = fault.kind if fault else None
        options = fault.options if fault else {}
        if kind == "slow":
            self._stopping.wait(float(options.get("delay", 2.0)))
        if kind == "429":
            retry_after = str(options.get("retry_after", 1))
            error = ApiError(
                "Too many requests; retry after the Retry-After seconds.",
                429,
                headers={"Retry-After": retry_after},
            )
            return _error_response(error, request.version)
        after_handling = bool(options.get("after_handling"))
        if kind == "5xx" and not after_handling:
            return _error_response(_fault_error(options), request.version)
        if kind == "disconnect" and not after_handling:
            return Response(0, disconnect=True)

        response = self._run_handler(request, fmt, expire_token=kind == "expire_token")

        if kind == "5xx":
            return _error_response(_fault_error(options), request.version)
        if kind == "disconnect":
            return Response(0, disconnect=True)
        if kind == "truncate":
            keep = options.get("keep")
            keep = len(response.content) // 2 if keep is None else int(keep)
            response.content = response.content[:keep]
        elif kind == "malformed":
            content = options.get("body", DEFAULT_MALFORMED_BODY)
            if isinstance(content, str):
                content = content.encode()
            response = Response(
                200, content, options.get("content_type", response.content_type)
            )
        return response

    def _run_handler(
        self, request: Request, fmt: str | None, *, expire_token: bool
    ) -> Response:
        spec = HANDLERS.get(request.route.name)
        try:
            if spec is None:
                raise ApiError(
                    f"Route {request.route.name} is not served by this sandbox yet.",
                    501,
                )
            if spec.auth:
                self._authenticate(request)
            if expire_token and request.token is not None:
                self.tokens.revoke(request.token.token)
                raise ApiError("Token expired; request a new token.", 401)
            expected_fmt = "XML" if request.version == "V1" else "JSON"
            if fmt is not None and fmt != expected_fmt:
                raise ApiError(
                    f"Payload type {fmt} does not match API version "
                    f"{'1.0' if request.version == 'V1' else '2.0'}; use "
                    f"AVT_{expected_fmt}_ with that version."
                )
            try:
                request.body = codec.decode(request.raw_body, request.version)
            except ValueError as error:
                raise ApiError(str(error))
            result = spec.func(request)
            return _reply_response(result, request.version, spec.root)
        except ApiError as error:
            _logger.info(
                "Sandbox route %s returned %s for seller %s: %s (transactions %s)",
                request.route.name,
                error.status,
                request.seller_id,
                error.message,
                ", ".join(error.transaction_ids) or "none",
            )
            return _error_response(error, request.version)
        except Exception:
            _logger.exception(
                "Sandbox handler of route %s failed on %s",
                request.route.name,
                request.path,
            )
            return _error_response(
                ApiError(
                    "Internal error of the sandbox marketplace; see its log.", 500
                ),
                request.version,
            )

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                "Missing bearer token; get one from /security/createJWTToken and "
                "send it as 'Authorization: Bearer <token>'.",
                401,
            )
        record, problem = self.tokens.lookup(token.strip())
        if problem:
            raise ApiError(f"{problem}; request a new token.", 401)
        request.token = record
        seller = self.state.sellers.get(record.seller_id)
        if seller is None:
            raise ApiError("Invalid token; request a new token.", 401)
        path_seller = request.params.get("seller_id")
        if path_seller is not None and path_seller != seller.seller_id:
            raise ApiError(
                f"The token of seller {seller.seller_id} cannot access seller "
                f"{path_seller}; use a token of that seller.",
                403,
            )
        request.seller = seller


def _fault_error(options: dict) -> ApiError:
    status = int(options.get("status", 503))
    return ApiError(
        f"Marketplace service unavailable (HTTP {status}); retry later.", status
    )


def _reply_response(result, version: str, root: str) -> Response:
    if isinstance(result, (bytes, bytearray)):
        return Response(200, bytes(result), PDF_TYPE)
    if isinstance(result, Reply):
        if result.content is not None:
            return Response(
                result.status,
                result.content,
                result.content_type or PDF_TYPE,
                dict(result.headers),
            )
        content, content_type = _encode(
            result.payload or {}, version, result.root or root
        )
        return Response(result.status, content, content_type, dict(result.headers))
    content, content_type = _encode(result or {}, version, root)
    return Response(200, content, content_type)


def _error_response(error: ApiError, version: str) -> Response:
    content, content_type = _encode(error.body(), version, "error")
    return Response(error.status, content, content_type, dict(error.headers))


def _encode(payload: dict, version: str, root: str) -> tuple[bytes, str]:
    if version == "V1":
        return codec.encode(payload, "V1", root), XML_TYPE
    return codec.encode(payload, "V2", root), JSON_TYPE


def _redact(body):
    if isinstance(body, dict):
        return {
            key: "***" if key in SECRET_FIELDS else _redact(value)
            for key, value in body.items()
        }
    if isinstance(body, list):
        return [_redact(item) for item in body]
    return body


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"Sandbox host {host!r} is not a loopback address; the sandbox serves "
            "127.0.0.1 only."
        )


def _make_handler(sandbox: Sandbox):
    class SandboxHTTPRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TataCliqSandbox/1.0"
        # Idle keep-alive connections close after this many seconds, so their
        # threads end soon after the sandbox stops.
        timeout = IDLE_CONNECTION_SECONDS

        def do_GET(self):
            self._answer()

        def do_POST(self):
            self._answer()

        def do_PUT(self):
            self._answer()

        def do_DELETE(self):
            self._answer()

        def _answer(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                self._write(
                    _error_response(
                        ApiError(
                            "Invalid Content-Length "
                            f"{self.headers.get('Content-Length')!r}; send the "
                            "body size in bytes.",
                            400,
                        ),
                        "V2",
                    )
                )
                self.close_connection = True
                return
            if length > MAX_BODY_BYTES:
                self._write(
                    _error_response(
                        ApiError(f"Request body of {length} bytes is too large.", 413),
                        "V2",
                    )
                )
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            response = sandbox.handle(self.command, self.path, self.headers, body)
            if response.disconnect:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._write(response)

        def _write(self, response: Response):
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.content)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(response.content)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its timeout); nothing is left to answer.
                self.close_connection = True

        def log_message(self, format, *args):
            _logger.debug("%s - %s", self.address_string(), format % args)

    return SandboxHTTPRequestHandler
