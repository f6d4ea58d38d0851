"""Shared fixtures: a fresh sandbox marketplace per test and plain HTTP helpers.

``sandbox`` starts a ``Sandbox.demo()`` on a free loopback port for one test.
``sandbox_api`` calls it with ``requests`` (not the connector's client), so
tests of the sandbox do not depend on the client. ``make_api`` builds the same
helpers for another seller. ``demo_credentials`` contains the demo seller's
logins. ``make_client`` builds demo seller clients of whichever ``sandbox``
fixture the test uses, and logs their calls in ``records``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import xmltodict
from sandbox_orders import DEMO_CREDENTIALS

import tatacliq_sandbox
from tatacliq import Client
from tatacliq_sandbox import Sandbox, demo_seller

SAMPLE_ORDERS = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"


class SandboxApi:
    """Plain HTTP calls to a sandbox, by route name, for one seller."""

    def __init__(self, sandbox: Sandbox, credentials: dict, timeout: float = 10.0):
        self.sandbox = sandbox
        self.credentials = credentials
        self.timeout = timeout
        self.session = requests.Session()

    def token_response(self, **overrides) -> requests.Response:
        """POST the token request; ``overrides`` replace body fields or ``auth``."""
        auth = overrides.pop(
            "auth", (self.credentials["api_key"], self.credentials["api_secret"])
        )
        body = {
            "username": self.credentials["username"],
            "password": self.credentials["password"],
            "sellerCode": self.credentials["seller_code"],
            "callerName": "tatacliq_connector_tests",
            **overrides,
        }
        return self.session.post(
            self.sandbox.url + "/security/createJWTToken",
            auth=auth,
            json=body,
            timeout=self.timeout,
        )

    def token(self) -> str:
        response = self.token_response()
        response.raise_for_status()
        return response.json()["jwtToken"]

    def call(
        self,
        route_name: str,
        *,
        version: str = "V2",
        body: dict | None = None,
        root: str = "request",
        query: dict | None = None,
        token: str | None = None,
        seller_id: str | None = None,
        **params,
    ) -> requests.Response:
        """Call a route by name; ``body`` is sent as JSON (V2) or XML (V1)."""
        route = self.sandbox.routes[route_name]
        url = self.sandbox.route_url(
            route_name, seller_id or self.credentials["seller_id"], version, **params
        )
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        data = None
        if body is not None:
            if version == "V1":
                data = xmltodict.unparse({root: body}).encode("utf-8")
                headers["Content-Type"] = "application/xml"
            else:
                data = json.dumps(body).encode("utf-8")
                headers["Content-Type"] = "application/json"
        return self.session.request(
            route.method,
            url,
            params=query,
            data=data,
            headers=headers,
            timeout=self.timeout,
        )

    def close(self) -> None:
        self.session.close()


@pytest.fixture(scope="session")
def demo_credentials() -> dict:
    """Return the demo seller's logins (client keyword arguments) and slave ids."""
    seller = demo_seller()
    return {**seller.credentials(), "slave_ids": list(seller.slave_ids)}


@pytest.fixture
def sandbox():
    """Yield a started demo sandbox with fresh state, stopped after the test."""
    with Sandbox.demo() as box:
        yield box


@pytest.fixture
def sandbox_api(sandbox, demo_credentials):
    """Yield plain HTTP helpers bound to ``sandbox`` and the demo seller."""
    api = SandboxApi(sandbox, demo_credentials)
    yield api
    api.close()


@pytest.fixture
def make_api():
    """Return a factory of ``SandboxApi`` for (sandbox, credentials); closed after."""
    apis = []

    def make(sandbox: Sandbox, credentials: dict) -> SandboxApi:
        api = SandboxApi(sandbox, credentials)
        apis.append(api)
        return api

    yield make
    for api in apis:
        api.close()


@pytest.fixture(scope="session")
def sample_orders_path() -> Path:
    """Return the sample order file in the marketplace JSON shape."""
    return SAMPLE_ORDERS


@pytest.fixture
def records():
    """Return the list that clients of ``make_client`` append their calls to."""
    return []


@pytest.fixture
def make_client(sandbox, records):
    """Return a factory of demo seller clients; ``options`` override settings."""
    clients = []

    def make(**options):
        settings = {
            **DEMO_CREDENTIALS,
            "version": "V2",
            "timeout": (2.0, 5.0),
            "backoff": 0.01,
            "on_call": records.append,
            **options,
        }
        client = Client(sandbox.url, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
