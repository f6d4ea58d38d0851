"""SFTP inventory exchange against the sandbox's paramiko server on 127.0.0.1."""

import io
import logging
import os
import socket
import stat
import time

import paramiko
import pytest
from sandbox_orders import DEMO_CREDENTIALS

from tatacliq import Client, clear_token_cache
from tatacliq.errors import AuthenticationError, ProductDelistedError, TransientError
from tatacliq.inventory import InventoryItem
from tatacliq.sftp import (
    SftpAuthenticationError,
    SftpConnectionError,
    SftpError,
    SftpExchange,
    SftpFileRejectedError,
    SftpHostKeyError,
    SftpResultPendingError,
    fetch_host_key,
    result_name,
)
from tatacliq_sandbox.handlers.inventory import delist, stock_record
from tatacliq_sandbox.server import Sandbox
from tatacliq_sandbox.sftp_server import (
    DEMO_SFTP_PASSWORD,
    DEMO_SFTP_USER,
    SftpServer,
    generate_host_key,
    generate_key_pem,
)

SELLER_ID = "273570"
WAREHOUSE, STORE_1, STORE_2 = "273570-WH01", "273570-ST01", "273570-ST02"
UPLOAD = "/inventory/upload/"
RESULT = "/inventory/result/"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0, sftp_port=0) as box:
        box.sftp.scan_interval = 0.2
        yield box


@pytest.fixture(autouse=True)
def fresh_state(sandbox):
    sandbox.reset()
    sandbox.sftp.reset()
    sandbox.seller(SELLER_ID).delisted_skus.clear()
    clear_token_cache()
    yield


@pytest.fixture
def exchange_factory(sandbox):
    exchanges = []

    def make(**options):
        settings = {
            "host": "127.0.0.1",
            "port": sandbox.sftp.port,
            "username": DEMO_SFTP_USER,
            "password": DEMO_SFTP_PASSWORD,
            "host_key": sandbox.sftp.host_key_line,
            "timeout": 5.0,
            "seller_id": SELLER_ID,
            **options,
        }
        exchange = SftpExchange(**settings)
        exchanges.append(exchange)
        return exchange

    yield make
    for exchange in exchanges:
        exchange.close()


@pytest.fixture
def exchange(exchange_factory):
    return exchange_factory()


def public_line(pem):
    key = paramiko.Ed25519Key.from_private_key(io.StringIO(pem))
    return f"{key.get_name()} {key.get_base64()}"


def stock(sandbox, sku, slave_id):
    return stock_record(sandbox.state, SELLER_ID, sku, slave_id)


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_upload_result_applied(sandbox, exchange):
    delist(sandbox.seller(SELLER_ID), "SAREE-OLD")
    rows = [
        InventoryItem("KURTA-BLU-M", WAREHOUSE, 10, 2),
        InventoryItem("SAREE-OLD", WAREHOUSE, 3),
        {"sku": "KURTA-BLU-M", "slave_id": "273570-XX99", "inventory": 1},
        {"sku": "KURTA-BLU-M", "slave_id": STORE_2, "inventory": 6.0},
    ]

    name = exchange.upload_inventory(rows)
    result = exchange.read_result(name, wait_seconds=5)

    assert name.startswith(f"INV_{SELLER_ID}_")
    assert name.endswith("_0001.csv")
    assert [r.status for r in result.results] == [
        "SUCCESS",
        "FAILURE",
        "FAILURE",
        "SUCCESS",
    ]
    delisted = result.result_for("SAREE-OLD", WAREHOUSE)
    assert isinstance(delisted.error, ProductDelistedError)
    assert delisted.delisted
    unknown = result.result_for("KURTA-BLU-M", "273570-XX99")
    assert "Unknown SlaveID 273570-XX99" in unknown.error_message
    record = stock(sandbox, "KURTA-BLU-M", WAREHOUSE)
    assert (record.inventory, record.safety_stock) == (10, 2)
    assert record.source == "SFTP"
    assert record.reference == name
    assert stock(sandbox, "KURTA-BLU-M", STORE_2).inventory == 6
    assert stock(sandbox, "SAREE-OLD", WAREHOUSE) is None


def test_upload_file_layout(sandbox, exchange):
    name = exchange.upload_inventory([InventoryItem('A,B "quoted"', WAREHOUSE, 2)])
    exchange.read_result(name, wait_seconds=5)

    home = sandbox.sftp.home(SELLER_ID)
    archived = (home / "inventory" / "archive" / name).read_bytes()
    assert archived == (
        b'SKU,SlaveID,Inventory,SafetyStock\r\n"A,B ""quoted""",273570-WH01,2,0\r\n'
    )
    assert not (home / "inventory" / "upload" / name).exists()
    result = (home / "inventory" / "result" / result_name(name)).read_text()
    assert result.splitlines()[0] == "SKU,SlaveID,Status,ErrorMessage"
    assert stock(sandbox, 'A,B "quoted"', WAREHOUSE).inventory == 2


def test_upload_names_unique(exchange):
    first = exchange.upload_inventory([InventoryItem("A", WAREHOUSE, 1)])
    second = exchange.upload_inventory([InventoryItem("A", WAREHOUSE, 2)])

    assert first != second
    assert exchange.read_result(second, wait_seconds=5).ok


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "No inventory rows"),
        (
            [InventoryItem("A", WAREHOUSE, 1), InventoryItem("A", WAREHOUSE, 2)],
            "SKU A is listed twice",
        ),
        ([{"sku": "A", "slave_id": WAREHOUSE, "inventory": -1}], "0 or more"),
    ],
)
def test_upload_rejects_invalid_rows(sandbox, exchange, rows, message):
    with pytest.raises(ValueError, match=message):
        exchange.upload_inventory(rows)

    assert exchange.sftp_client().listdir(UPLOAD) == []


def test_part_file_never_read(sandbox, exchange):
    sftp = exchange.sftp_client()
    name = "INV_273570_20261204T100000Z_0001.csv"
    with sftp.open(UPLOAD + name + ".part", "wb") as remote:
        remote.write(b"SKU,SlaveID,Inventory,SafetyStock\r\n")
        remote.write(b"PARTIAL,273570-WH01,5,0\r\n")

    assert sandbox.sftp.process_pending() == []
    time.sleep(sandbox.sftp.scan_interval * 3)  # several consumer scans
    assert name + ".part" in sftp.listdir(UPLOAD)
    assert result_name(name) not in sftp.listdir(RESULT)
    assert stock(sandbox, "PARTIAL", WAREHOUSE) is None
    with pytest.raises(SftpResultPendingError):
        exchange.read_result(name, wait_seconds=0)

    sftp.rename(UPLOAD + name + ".part", UPLOAD + name)
    result = exchange.read_result(name, wait_seconds=5)

    assert result.ok
    assert stock(sandbox, "PARTIAL", WAREHOUSE).inventory == 5


def test_csv_open_for_writing_not_read(sandbox, exchange):
    sftp = exchange.sftp_client()
    name = "INV_273570_20261204T100000Z_0002.csv"
    remote = sftp.open(UPLOAD + name, "wb")
    remote.write(b"SKU,SlaveID,Inventory,SafetyStock\r\nHALF,273570-WH01,")
    remote.flush()

    assert sandbox.sftp.process_pending() == []
    time.sleep(sandbox.sftp.scan_interval * 3)
    assert stock(sandbox, "HALF", WAREHOUSE) is None

    remote.write(b"9,1\r\n")
    remote.close()
    result = exchange.read_result(name, wait_seconds=5)

    assert result.ok
    assert stock(sandbox, "HALF", WAREHOUSE).inventory == 9


def test_result_lists_line_errors(sandbox, exchange):
    sftp = exchange.sftp_client()
    name = "INV_273570_20261204T100000Z_0003.csv"
    content = (
        "SKU,SlaveID,Inventory,SafetyStock\n"
        "GOOD-1,273570-WH01,4,1\n"
        "NEGATIVE,273570-WH01,-1,0\n"
        "\n"
        "WORDS,273570-WH01,ten,0\n"
        "SHORT,273570-WH01\n"
        "LONG,273570-WH01,1,0,extra\n"
        "GOOD-2,273570-ST01,3\n"
    )
    with sftp.open(UPLOAD + name, "wb") as remote:
        remote.write(content.encode())

    result = exchange.read_result(name, wait_seconds=5)

    by_sku = {r.sku: r for r in result.results}
    assert list(by_sku) == ["GOOD-1", "NEGATIVE", "WORDS", "SHORT", "LONG", "GOOD-2"]
    assert by_sku["GOOD-1"].ok
    assert by_sku["GOOD-2"].ok
    assert "Invalid Inventory '-1'" in by_sku["NEGATIVE"].error_message
    assert "Invalid Inventory 'ten'" in by_sku["WORDS"].error_message
    assert "Inventory is missing" in by_sku["SHORT"].error_message
    assert "has 5 fields; expected 4" in by_sku["LONG"].error_message
    assert stock(sandbox, "GOOD-1", WAREHOUSE).inventory == 4
    assert stock(sandbox, "GOOD-2", STORE_1).safety_stock == 0
    for sku in ("NEGATIVE", "WORDS", "SHORT", "LONG"):
        assert stock(sandbox, sku, WAREHOUSE) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"Article,Location,Qty\r\nA,273570-WH01,1\r\n", "is missing the column"),
        (b"SKU,SlaveID,Inventory,SafetyStock\r\n", "has no inventory lines"),
        (b"SKU,SlaveID,Inventory\r\n\xff\xfe,x,1\r\n", "is not UTF-8 text"),
    ],
)
def test_rejected_file_raises(sandbox, exchange, content, message):
    sftp = exchange.sftp_client()
    name = "INV_273570_20261204T100000Z_0004.csv"
    with sftp.open(UPLOAD + name, "wb") as remote:
        remote.write(content)

    with pytest.raises(SftpFileRejectedError, match=message):
        exchange.read_result(name, wait_seconds=5)


def test_result_pending_is_transient(exchange):
    started = time.monotonic()

    with pytest.raises(SftpResultPendingError) as caught:
        exchange.read_result("INV_273570_20990101T000000Z_0001.csv", wait_seconds=0.6)

    assert time.monotonic() - started >= 0.6
    assert isinstance(caught.value, TransientError)
    assert "INV_273570_20990101T000000Z_0001.result.csv" in caught.value.message


def test_report_file_matches_api(sandbox, exchange):
    client = Client(sandbox.url, **DEMO_CREDENTIALS, version="V2", backoff=0.01)
    client.push_inventory(
        [InventoryItem("KURTA-BLU-M", STORE_1, 10, 2), InventoryItem("B", STORE_1, 1)]
    )
    name = exchange.upload_inventory([InventoryItem("C", STORE_1, 5, 1)])
    exchange.read_result(name, wait_seconds=5)

    from_file = exchange.read_report(STORE_1)
    from_api = client.get_inventory_report(STORE_1)
    client.close()

    assert sorted(from_file) == ["B", "C", "KURTA-BLU-M"]
    assert from_file == from_api
    assert from_file["C"].available == 4


def test_report_folder_lists_locations(exchange):
    names = exchange.sftp_client().listdir("/inventory/report/")

    assert sorted(names) == [
        "INVREPORT_273570-ST01.csv",
        "INVREPORT_273570-ST02.csv",
        "INVREPORT_273570-WH01.csv",
    ]
    assert exchange.read_report(STORE_2) == {}


def test_report_unknown_slave_id(exchange):
    with pytest.raises(SftpError, match="273570-XX99"):
        exchange.read_report("273570-XX99")


def test_wrong_host_key_rejected(sandbox, exchange_factory, caplog):
    other = generate_host_key()
    pinned = f"{other.get_name()} {other.get_base64()}"
    exchange = exchange_factory(host_key=pinned)

    with caplog.at_level(logging.INFO), pytest.raises(SftpHostKeyError) as caught:
        exchange.connect()

    error = caught.value
    assert "host key mismatch" in error.message
    assert sandbox.sftp.fingerprint in error.message
    assert other.fingerprint in error.message
    assert error.fingerprint == sandbox.sftp.fingerprint
    assert error.key_line == sandbox.sftp.host_key_line
    assert not isinstance(error, TransientError)
    # The connection closed before login: the server saw no credential.
    assert "SFTP login" not in caplog.text
    assert "rejected for user" not in caplog.text


def test_empty_host_key_never_logs_in(sandbox, exchange_factory, caplog):
    exchange = exchange_factory(host_key="")

    with caplog.at_level(logging.INFO), pytest.raises(SftpHostKeyError) as caught:
        exchange.upload_inventory([InventoryItem("A", WAREHOUSE, 1)])

    assert "No SFTP host key is pinned" in caught.value.message
    assert caught.value.key_line == sandbox.sftp.host_key_line
    assert "SFTP login" not in caplog.text
    assert stock(sandbox, "A", WAREHOUSE) is None


@pytest.mark.parametrize(
    "line", ["not a key", "ssh-ed25519 !!!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGjg"]
)
def test_invalid_pinned_key_rejected(exchange_factory, line):
    with pytest.raises(SftpHostKeyError, match="is not a public key line"):
        exchange_factory(host_key=line)


def test_known_hosts_line_accepted(sandbox, exchange_factory):
    line = f"[127.0.0.1]:{sandbox.sftp.port} {sandbox.sftp.host_key_line}"
    exchange = exchange_factory(host_key=line)

    exchange.connect()

    assert exchange.sftp_client().listdir("/") == ["inventory"]


def test_fetch_host_key(sandbox):
    line, fingerprint = fetch_host_key("127.0.0.1", sandbox.sftp.port)

    assert line == sandbox.sftp.host_key_line
    assert fingerprint == sandbox.sftp.fingerprint


def test_rsa_host_key_pinned(sandbox, tmp_path):
    key = paramiko.RSAKey.generate(2048)
    key.write_private_key_file(str(tmp_path / "host_rsa"))
    server = SftpServer(sandbox, port=0, host_key_file=tmp_path / "host_rsa")
    with (
        server,
        SftpExchange(
            "127.0.0.1",
            server.port,
            DEMO_SFTP_USER,
            password=DEMO_SFTP_PASSWORD,
            host_key=server.host_key_line,
            timeout=5.0,
        ) as exchange,
    ):
        assert server.host_key_line.startswith("ssh-rsa ")
        assert exchange.sftp_client().listdir("/") == ["inventory"]


def test_wrong_password_rejected(exchange_factory, caplog):
    exchange = exchange_factory(password="wrong-sftp-password")

    with caplog.at_level(logging.DEBUG), pytest.raises(SftpAuthenticationError) as e:
        exchange.connect()

    assert isinstance(e.value, AuthenticationError)
    assert "rejected user 'demo.sftp' with a password" in e.value.message
    assert "wrong-sftp-password" not in caplog.text
    assert "wrong-sftp-password" not in repr(exchange)


def test_password_never_logged(exchange, caplog):
    with caplog.at_level(logging.DEBUG):
        name = exchange.upload_inventory([InventoryItem("A", WAREHOUSE, 1)])
        exchange.read_result(name, wait_seconds=5)

    assert DEMO_SFTP_PASSWORD not in caplog.text
    assert DEMO_SFTP_PASSWORD not in repr(exchange)


def test_public_key_login(sandbox, exchange_factory, caplog):
    pem = generate_key_pem()
    sandbox.sftp.add_user("key.user", SELLER_ID, public_keys=[public_line(pem)])
    exchange = exchange_factory(username="key.user", password=None, private_key=pem)

    with caplog.at_level(logging.DEBUG):
        name = exchange.upload_inventory([InventoryItem("KEYED", STORE_2, 3)])
        result = exchange.read_result(name, wait_seconds=5)

    assert result.ok
    assert stock(sandbox, "KEYED", STORE_2).inventory == 3
    assert pem.splitlines()[1] not in caplog.text


def test_unknown_public_key_rejected(sandbox, exchange_factory):
    allowed, other = generate_key_pem(), generate_key_pem()
    sandbox.sftp.add_user("key.user2", SELLER_ID, public_keys=[public_line(allowed)])
    exchange = exchange_factory(username="key.user2", password=None, private_key=other)

    with pytest.raises(SftpAuthenticationError, match="with a private key"):
        exchange.connect()


def test_unreadable_private_key(exchange_factory):
    exchange = exchange_factory(password=None, private_key="-----BEGIN nonsense")

    with pytest.raises(SftpAuthenticationError, match="cannot be read") as caught:
        exchange.connect()

    assert "nonsense" not in caught.value.message


def test_missing_credentials(exchange_factory):
    with pytest.raises(SftpAuthenticationError, match="No SFTP password"):
        exchange_factory(password=None)


def test_connection_refused_transient(exchange_factory):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    exchange = exchange_factory(port=port, timeout=2.0)

    with pytest.raises(SftpConnectionError) as caught:
        exchange.connect()

    assert isinstance(caught.value, TransientError)
    assert f"127.0.0.1:{port}" in caught.value.message


def test_home_folder_confined(sandbox, exchange):
    sftp = exchange.sftp_client()

    assert sftp.listdir("/../..") == ["inventory"]
    assert sftp.normalize("/inventory/../../..") == "/"
    with pytest.raises(FileNotFoundError):
        sftp.stat("/../../etc/passwd")


def test_folders_outside_upload_read_only(exchange):
    sftp = exchange.sftp_client()

    with pytest.raises(PermissionError):
        sftp.open("/inventory/result/forged.result.csv", "wb")
    with pytest.raises(PermissionError):
        sftp.open("/inventory/report/INVREPORT_273570-WH01.csv", "wb")
    with pytest.raises(PermissionError):
        sftp.remove("/inventory/report/INVREPORT_273570-WH01.csv")
    with pytest.raises(PermissionError):
        sftp.mkdir("/inventory/upload/sub")
    with pytest.raises(PermissionError):
        sftp.rename("/inventory/report/INVREPORT_273570-WH01.csv", UPLOAD + "x.csv")


def test_rename_onto_existing_fails(exchange):
    sftp = exchange.sftp_client()
    for name in ("a.part", "b.part"):
        with sftp.open(UPLOAD + name, "wb") as remote:
            remote.write(b"x")

    with pytest.raises(OSError):
        sftp.rename(UPLOAD + "a.part", UPLOAD + "b.part")

    assert sorted(sftp.listdir(UPLOAD)) == ["a.part", "b.part"]
    for name in ("a.part", "b.part"):
        sftp.remove(UPLOAD + name)


def test_sellers_see_own_home(sandbox, exchange_factory):
    from tatacliq_sandbox.auth import Seller

    sandbox.add_seller(
        Seller(
            "555001",
            "TCQ555001",
            "other.slave",
            "other-password",
            "other-key",
            "other-secret",
            slave_ids=("555001-WH01",),
        )
    )
    sandbox.sftp.add_user("other.sftp", "555001", password="other-sftp-password")
    other = exchange_factory(
        username="other.sftp", password="other-sftp-password", seller_id="555001"
    )
    mine = exchange_factory()

    name = other.upload_inventory([InventoryItem("THEIRS", "555001-WH01", 2)])
    assert other.read_result(name, wait_seconds=5).ok

    assert name not in mine.sftp_client().listdir("/inventory/archive/")
    assert stock_record(sandbox.state, "555001", "THEIRS", "555001-WH01") is not None
    result = mine.upload_inventory([InventoryItem("THEIRS", "555001-WH01", 2)])
    assert not mine.read_result(result, wait_seconds=5).ok


def test_reset_empties_folders(sandbox, exchange):
    name = exchange.upload_inventory([InventoryItem("A", WAREHOUSE, 1)])
    exchange.read_result(name, wait_seconds=5)

    sandbox.sftp.reset()

    sftp = exchange.sftp_client()
    assert sftp.listdir("/inventory/archive/") == []
    assert sftp.listdir(RESULT) == []
    assert sftp.listdir(UPLOAD) == []


def test_host_key_file_persisted(sandbox, tmp_path):
    path = tmp_path / "keys" / "sftp_host_ed25519"

    first = SftpServer(sandbox, port=0, host_key_file=path)
    second = SftpServer(sandbox, port=0, host_key_file=path)

    first.stop()
    second.stop()

    assert first.host_key_line == second.host_key_line
    assert first.host_key_line.startswith("ssh-ed25519 ")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
