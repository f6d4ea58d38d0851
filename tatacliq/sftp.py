"""Inventory exchange over SFTP: upload a stock file, read its result and reports.

The folder layout and file schemas are defined by this project (the
marketplace does not publish them); docs/PROTOCOL.md describes them. In short:

- ``/inventory/upload/INV_<sellerId>_<YYYYMMDDTHHMMSSZ>_<seq>.csv`` with the
  header ``SKU,SlaveID,Inventory,SafetyStock``. The file is written as
  ``<name>.part`` and renamed when complete, so the marketplace never reads a
  partial file.
- ``/inventory/result/<stem>.result.csv`` with ``SKU,SlaveID,Status,
  ErrorMessage``, one line per uploaded line. ``Status`` is ``SUCCESS``,
  ``FAILURE`` or, for a file rejected as a whole, ``REJECTED``.
- ``/inventory/report/INVREPORT_<slaveId>.csv`` with the marketplace's stock
  at one location.

The server's host key is pinned: the connection is closed before any
credential is sent unless the key it presents is the configured one.
Passwords and private keys are never logged and never appear in messages.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import itertools
import logging
import posixpath
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timezone

import paramiko

from .errors import AuthenticationError, TataCliqError, TransientError
from .inventory import (
    FAILURE,
    ITEM_FIELDS,
    REPORT_FIELDS,
    SUCCESS,
    InventoryItem,
    InventoryItemResult,
    InventoryPushResult,
    InventoryRecord,
    coerce_items,
    decode_record,
    failure_error,
)

_logger = logging.getLogger(__name__)

DEFAULT_UPLOAD_DIR = "/inventory/upload/"
DEFAULT_RESULT_DIR = "/inventory/result/"
DEFAULT_REPORT_DIR = "/inventory/report/"
PART_SUFFIX = ".part"
RESULT_SUFFIX = ".result.csv"
RESULT_FIELDS = ("SKU", "SlaveID", "Status", "ErrorMessage")
REJECTED = "REJECTED"
# Maximum size of a result or report file read, in bytes. An upload has at
# most 100,000 lines, so its result file is about 10 MB (an estimate at 100
# bytes a line).
MAX_FILE_BYTES = 64 * 1024 * 1024
# Maximum length of a server error quoted in a message.
MAX_DETAIL_LENGTH = 300
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# Seconds between two looks for a result file while waiting for it.
POLL_INTERVAL = 0.5

# Host key algorithms the client may accept for each pinned key type. An RSA
# key signs with SHA-2 under its own algorithm names (RFC 8332); paramiko 4 and
# later no longer accept SHA-1 "ssh-rsa" signatures.
KEY_ALGORITHMS = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256"),
}
PRIVATE_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


class SftpError(TataCliqError):
    """An SFTP exchange failed; ``path`` is the remote path involved, if any."""

    next_step = (
        "Check the SFTP settings of the channel (host, port, user, folders) and "
        "the connector log."
    )

    def __init__(self, message, *, path: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.path = path


class SftpHostKeyError(SftpError):
    """The server presented a host key other than the pinned one."""

    next_step = (
        "Ask the Tata CLiQ account manager for the SFTP host key fingerprint. "
        "If it matches the fingerprint in this message, paste the key line "
        "into the channel's SFTP host key field; otherwise do not connect."
    )

    def __init__(self, message, *, fingerprint=None, key_line=None, **kwargs):
        super().__init__(message, **kwargs)
        self.fingerprint = fingerprint
        self.key_line = key_line


class SftpConnectionError(SftpError, TransientError):
    """The server could not be reached or the connection broke."""

    next_step = (
        "Check the SFTP host and port. Nothing else to fix if they are right: "
        "the next scheduled run tries again."
    )


class SftpAuthenticationError(SftpError, AuthenticationError):
    """The server rejected the user name, password or private key."""

    next_step = (
        "Check the SFTP user, password and private key of the channel with the "
        "details from the Tata CLiQ account manager."
    )


class SftpResultPendingError(SftpError, TransientError):
    """The result file of an upload is not there yet."""

    next_step = (
        "The marketplace has not processed the file yet. Nothing to fix: the "
        "result is read again on the next run."
    )


class SftpFileRejectedError(SftpError):
    """The marketplace rejected an uploaded file as a whole."""

    next_step = (
        "Read the marketplace message, correct the cause and push the inventory again."
    )


def fingerprint(key_blob: bytes) -> str:
    """Return the OpenSSH SHA256 fingerprint of a public key blob."""
    digest = hashlib.sha256(key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_host_key(line: str) -> tuple[str, bytes]:
    """Parse a public key line into its key type and key blob.

    Accepts ``ssh-ed25519 AAAA... comment`` as in a ``.pub`` file and a
    known_hosts line with host names in front. Raises ``SftpHostKeyError``
    for anything else.
    """
    tokens = (line or "").split()
    for index, token in enumerate(tokens[:-1]):
        if token not in KEY_ALGORITHMS:
            continue
        try:
            blob = base64.b64decode(tokens[index + 1], validate=True)
        except (binascii.Error, ValueError):
            break
        # The blob starts with its own type name; a mismatch is a pasting error.
        type_length = int.from_bytes(blob[:4], "big")
        if blob[4 : 4 + type_length].decode("ascii", "replace") != token:
            break
        return token, blob
    raise SftpHostKeyError(
        f"The pinned SFTP host key {_shorten(line)!r} is not a public key line. "
        "Expected a line such as 'ssh-ed25519 AAAAC3Nza...' (types: "
        f"{', '.join(KEY_ALGORITHMS)})."
    )


def load_private_key(pem_text: str, passphrase: str | None = None) -> paramiko.PKey:
    """Load an Ed25519, ECDSA or RSA private key from its PEM or OpenSSH text.

    Raises ``SftpAuthenticationError`` without quoting the key when the text
    is not a readable private key or the passphrase is wrong.
    """
    for key_class in PRIVATE_KEY_CLASSES:
        try:
            return key_class.from_private_key(
                io.StringIO(pem_text), password=passphrase
            )
        except paramiko.PasswordRequiredException:
            raise SftpAuthenticationError(
                "The SFTP private key is encrypted; set its passphrase on the channel."
            )
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise SftpAuthenticationError(
        "The SFTP private key cannot be read: expected an unencrypted Ed25519, "
        "ECDSA or RSA key in PEM or OpenSSH format (or the passphrase is wrong)."
    )


def _detail(exc: BaseException) -> str:
    """Return an exception's text for a message, cut to ``MAX_DETAIL_LENGTH``.

    A server that sends garbage in place of the SSH banner gets it quoted by
    paramiko, so the text can be arbitrarily long.
    """
    return _shorten(exc, MAX_DETAIL_LENGTH)


def check_name_part(value: str, name: str) -> str:
    """Return ``value`` when it can be part of a remote file name.

    Raises ``SftpError`` for a value with a path separator, ``..`` or a
    control character, which would make the name point at another file.
    """
    text = str(value or "")
    if (
        not text
        or "/" in text
        or "\\" in text
        or ".." in text
        or any(ord(char) < 32 or ord(char) == 127 for char in text)
    ):
        raise SftpError(
            f"Invalid {name} {text!r} for an SFTP file name: it must not be empty "
            "or contain '/', '\\', '..' or control characters. Correct it on the "
            "channel or its locations."
        )
    return text


def _shorten(text, limit=60) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[:limit] + "..."


def result_name(name: str) -> str:
    """Return the result file name of an upload: ``<stem>.result.csv``."""
    base = posixpath.basename(name)
    if base.endswith(PART_SUFFIX):
        base = base[: -len(PART_SUFFIX)]
    if base.endswith(".csv"):
        base = base[: -len(".csv")]
    return base + RESULT_SUFFIX


def report_name(slave_id: str) -> str:
    return f"INVREPORT_{check_name_part(slave_id, 'slave id')}.csv"


def write_inventory_csv(items: Iterable[InventoryItem]) -> bytes:
    """Return the upload file of ``items``: UTF-8 CSV with CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ITEM_FIELDS)
    for item in items:
        payload = item.to_payload()
        writer.writerow([payload[name] for name in ITEM_FIELDS])
    return buffer.getvalue().encode("utf-8")


def _read_csv(data: bytes, expected: tuple, path: str) -> list[dict]:
    """Return the rows of a CSV file as dicts; raise ``SftpError`` for garbage.

    A row with more values than the header, a NUL character or a value above
    the csv module's field size limit names its line in the error.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SftpError(f"SFTP file {path} is not UTF-8 text: {exc}.", path=path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or ()
    except csv.Error as exc:
        raise SftpError(f"SFTP file {path} has an unreadable header: {exc}.", path=path)
    if not fieldnames:
        raise SftpError(
            f"SFTP file {path} is empty; expected the header {','.join(expected)}.",
            path=path,
        )
    missing = [name for name in expected if name not in fieldnames]
    if missing:
        raise SftpError(
            f"SFTP file {path} has the header {_shorten(fieldnames, 200)}; the "
            f"columns {', '.join(missing)} are missing.",
            path=path,
        )
    repeated = sorted({name for name in fieldnames if fieldnames.count(name) > 1})
    if repeated:
        raise SftpError(
            f"SFTP file {path} lists the column(s) {', '.join(repeated)} twice in "
            "its header.",
            path=path,
        )
    rows = []
    try:
        for row in reader:
            _check_row(row, reader.line_num, path)
            # Blank lines (a trailing newline, an editor's empty last line)
            # carry no item.
            if any((value or "").strip() for value in row.values()):
                rows.append(row)
    except csv.Error as exc:
        raise SftpError(
            f"SFTP file {path} is not valid CSV after line {reader.line_num}: {exc}.",
            path=path,
        )
    return rows


def _check_row(row: dict, line: int, path: str) -> None:
    # DictReader puts values beyond the header under the key None.
    extra = row.pop(None, None)
    if extra:
        raise SftpError(
            f"SFTP file {path} line {line} has {len(row) + len(extra)} values; "
            f"the header has {len(row)}: {_shorten(extra, 100)} left over.",
            path=path,
        )
    if any("\0" in (value or "") for value in row.values()):
        raise SftpError(
            f"SFTP file {path} line {line} contains a NUL character.", path=path
        )


class SftpExchange:
    """One SFTP session with the marketplace for inventory files.

    Use it as a context manager or call ``close()``; every method connects on
    first use. ``host_key`` is the server's public key line, pinned: the
    connection is closed before authenticating when the server presents any
    other key, and an empty ``host_key`` never connects past the key check.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str | None = None,
        private_key: str | None = None,
        host_key: str | None = None,
        upload_dir: str = DEFAULT_UPLOAD_DIR,
        result_dir: str = DEFAULT_RESULT_DIR,
        timeout: float = 30.0,
        *,
        report_dir: str = DEFAULT_REPORT_DIR,
        seller_id: str | None = None,
        private_key_passphrase: str | None = None,
    ):
        if not password and not private_key:
            raise SftpAuthenticationError(
                f"No SFTP password or private key is set for user {username!r}; "
                "set one of them on the channel."
            )
        self.host = host
        self.port = int(port)
        self.username = username
        self.upload_dir = upload_dir or DEFAULT_UPLOAD_DIR
        self.result_dir = result_dir or DEFAULT_RESULT_DIR
        self.report_dir = report_dir or DEFAULT_REPORT_DIR
        self.timeout = timeout
        # The file name carries the seller id. Without one, the SFTP user name
        # is used.
        self.seller_id = check_name_part(seller_id or username, "seller id")
        self.host_key = host_key
        self._pinned = parse_host_key(host_key) if host_key else None
        self._password = password
        self._private_key = private_key
        self._passphrase = private_key_passphrase
        self._transport: paramiko.Transport | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._sequence = itertools.count(1)

    def __repr__(self):
        # No credential in the representation: it ends up in tracebacks and logs.
        return f"<SftpExchange {self.username}@{self.host}:{self.port}>"

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    # Connection ------------------------------------------------------------

    def connect(self) -> None:
        """Open the session: check the host key, then authenticate."""
        if self._sftp is not None:
            return
        transport = self._open_transport()
        try:
            self._check_host_key(transport)
            self._authenticate(transport)
            sftp = paramiko.SFTPClient.from_transport(transport)
            sftp.get_channel().settimeout(self.timeout)
        except TataCliqError:
            transport.close()
            raise
        except (paramiko.SSHException, OSError) as exc:
            transport.close()
            raise SftpConnectionError(
                f"SFTP session with {self.host}:{self.port} failed: {_detail(exc)}."
            )
        self._transport = transport
        self._sftp = sftp
        _logger.info(
            "SFTP connected to %s:%s as %s", self.host, self.port, self.username
        )

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
            self._sftp = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _open_transport(self) -> paramiko.Transport:
        try:
            sock = socket.create_connection(
                (self.host, self.port), timeout=self.timeout
            )
        except OSError as exc:
            raise SftpConnectionError(
                f"Cannot connect to SFTP server {self.host}:{self.port}: {exc}."
            )
        transport = paramiko.Transport(sock)
        transport.banner_timeout = self.timeout
        transport.handshake_timeout = self.timeout
        transport.auth_timeout = self.timeout
        if self._pinned is not None:
            # Ask only for the pinned key's type, so a server with several
            # host keys presents the one that was pinned.
            transport.get_security_options().key_types = KEY_ALGORITHMS[self._pinned[0]]
        try:
            transport.start_client(timeout=self.timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            transport.close()
            if self._pinned is not None and "incompatible" in str(exc).lower():
                raise SftpHostKeyError(
                    f"SFTP server {self.host}:{self.port} offers no host key of "
                    f"the pinned type {self._pinned[0]} ({_detail(exc)}).",
                )
            raise SftpConnectionError(
                f"SSH handshake with {self.host}:{self.port} failed: {_detail(exc)}."
            )
        return transport

    def _check_host_key(self, transport: paramiko.Transport) -> None:
        key = transport.get_remote_server_key()
        blob = key.asbytes()
        seen = fingerprint(blob)
        key_line = f"{key.get_name()} {base64.b64encode(blob).decode('ascii')}"
        if self._pinned is None:
            raise SftpHostKeyError(
                f"No SFTP host key is pinned for {self.host}:{self.port}; the "
                f"server presented {key.get_name()} {seen}. Connection closed "
                "before login.",
                fingerprint=seen,
                key_line=key_line,
            )
        if blob != self._pinned[1]:
            raise SftpHostKeyError(
                f"SFTP host key mismatch for {self.host}:{self.port}: the server "
                f"presented {key.get_name()} {seen}, the pinned key is "
                f"{self._pinned[0]} {fingerprint(self._pinned[1])}. Connection "
                "closed before login.",
                fingerprint=seen,
                key_line=key_line,
            )

    def _authenticate(self, transport: paramiko.Transport) -> None:
        try:
            if self._private_key:
                key = load_private_key(self._private_key, self._passphrase)
                transport.auth_publickey(self.username, key)
            else:
                transport.auth_password(self.username, self._password)
        except paramiko.AuthenticationException as exc:
            method = "private key" if self._private_key else "password"
            raise SftpAuthenticationError(
                f"SFTP server {self.host}:{self.port} rejected user "
                f"{self.username!r} with a {method} ({type(exc).__name__})."
            )

    def sftp_client(self) -> paramiko.SFTPClient:
        """Return the connected paramiko ``SFTPClient``, connecting on first use."""
        self.connect()
        return self._sftp

    # Files -----------------------------------------------------------------

    def _exists(self, path: str) -> bool:
        try:
            self.sftp_client().stat(path)
        except FileNotFoundError:
            return False
        return True

    def _new_name(self) -> str:
        """Return an upload name no file in the upload or result folder uses."""
        stamp = datetime.now(timezone.utc).strftime(TIMESTAMP_FORMAT)
        while True:
            name = f"INV_{self.seller_id}_{stamp}_{next(self._sequence):04d}.csv"
            path = posixpath.join(self.upload_dir, name)
            in_use = (
                path,
                path + PART_SUFFIX,
                posixpath.join(self.result_dir, result_name(name)),
            )
            if not any(self._exists(candidate) for candidate in in_use):
                return name

    def upload_inventory(self, rows: Iterable) -> str:
        """Upload one inventory file and return its name in the upload folder.

        ``rows`` are ``InventoryItem`` objects or mappings with ``sku``,
        ``slave_id``, ``inventory`` and ``safety_stock``. The file is written
        as ``<name>.part``, its size checked, then renamed to ``<name>``.
        Raises ``ValueError`` for invalid or repeated items, ``SftpError``
        when the upload fails (the ``.part`` file is then removed).
        """
        items = coerce_items(rows)
        if not items:
            raise ValueError("No inventory rows to upload.")
        data = write_inventory_csv(items)
        sftp = self.sftp_client()

        for _attempt in range(10):
            name = self._new_name()
            path = posixpath.join(self.upload_dir, name)
            part = path + PART_SUFFIX
            try:
                with sftp.open(part, "wb") as remote:
                    remote.write(data)
                size = sftp.stat(part).st_size
                if size != len(data):
                    raise SftpError(
                        f"SFTP upload {part} is {size} bytes on the server instead "
                        f"of {len(data)}.",
                        path=part,
                    )
                sftp.rename(part, path)
            except (OSError, SftpError) as exc:
                self._remove_quietly(part)
                if isinstance(exc, OSError) and self._exists(path):
                    # Another upload took the name between the check and the
                    # rename; take the next sequence number.
                    continue
                if isinstance(exc, SftpError):
                    raise
                raise SftpError(f"SFTP upload of {path} failed: {exc}.", path=path)
            _logger.info("SFTP uploaded %s with %s rows", path, len(items))
            return name
        raise SftpError(
            f"SFTP upload to {self.upload_dir} found no free file name after 10 "
            "attempts; clean up the upload folder.",
            path=self.upload_dir,
        )

    def _remove_quietly(self, path: str) -> None:
        try:
            self._sftp.remove(path)
        except FileNotFoundError:
            pass
        except OSError:
            _logger.warning("SFTP could not remove the partial upload %s", path)

    def _read(self, path: str) -> bytes:
        try:
            with self.sftp_client().open(path, "rb") as remote:
                data = remote.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise SftpError(f"SFTP read of {path} failed: {exc}.", path=path)
        if len(data) > MAX_FILE_BYTES:
            raise SftpError(
                f"SFTP file {path} is larger than {MAX_FILE_BYTES} bytes; the "
                "connector does not read it. Ask the account manager why.",
                path=path,
            )
        return data

    def read_result(self, name: str, wait_seconds: float = 0) -> InventoryPushResult:
        """Read the result file of an upload, waiting up to ``wait_seconds``.

        Returns one result per line of the result file; results read this way
        carry no ``item``. Raises ``SftpResultPendingError`` when the file is
        not there in time and ``SftpFileRejectedError`` when the marketplace
        rejected the whole file.
        """
        path = posixpath.join(self.result_dir, result_name(name))
        deadline = time.monotonic() + max(wait_seconds, 0)
        while True:
            try:
                data = self._read(path)
                break
            except FileNotFoundError:
                if time.monotonic() >= deadline:
                    raise SftpResultPendingError(
                        f"No SFTP result file {path} yet after waiting "
                        f"{wait_seconds:g} s for upload {name}.",
                        path=path,
                    )
                time.sleep(POLL_INTERVAL)

        push = InventoryPushResult(batch_count=1)
        for number, row in enumerate(_read_csv(data, RESULT_FIELDS, path), start=2):
            status = (row.get("Status") or "").strip().upper()
            message = (row.get("ErrorMessage") or "").strip() or None
            if status == REJECTED:
                raise SftpFileRejectedError(
                    f"The marketplace rejected upload {name}: {message}", path=path
                )
            if status not in (SUCCESS, FAILURE):
                raise SftpError(
                    f"SFTP result file {path} line {number} has the status "
                    f"{status!r}; expected SUCCESS, FAILURE or REJECTED.",
                    path=path,
                )
            missing = [name for name in ("SKU", "SlaveID") if not row[name].strip()]
            if missing:
                raise SftpError(
                    f"SFTP result file {path} line {number} has no "
                    f"{' and no '.join(missing)}.",
                    path=path,
                )
            error = failure_error(message) if status == FAILURE else None
            push.results.append(
                InventoryItemResult(
                    sku=(row.get("SKU") or "").strip(),
                    slave_id=(row.get("SlaveID") or "").strip(),
                    status=status,
                    error_message=error.message if error else None,
                    error=error,
                    batch=1,
                )
            )
        _logger.info(
            "SFTP result %s: %s accepted, %s failed",
            path,
            len(push.succeeded),
            len(push.failed),
        )
        return push

    def read_report(self, slave_id: str) -> dict[str, InventoryRecord]:
        """Read the marketplace's stock at one location from its report file."""
        path = posixpath.join(self.report_dir, report_name(slave_id))
        try:
            data = self._read(path)
        except FileNotFoundError:
            raise SftpError(
                f"No SFTP inventory report {path}; check the slave id "
                f"{slave_id!r} against the channel's locations.",
                path=path,
            )
        records = {}
        for row in _read_csv(data, REPORT_FIELDS[:3], path):
            record = decode_record(row, slave_id)
            records[record.sku] = record
        return records


def fetch_host_key(host: str, port: int, timeout: float = 10.0) -> tuple[str, str]:
    """Return the server's host key line and its SHA256 fingerprint.

    Nothing is sent but the SSH handshake. Show the fingerprint to a person
    who compares it with the one the marketplace gave before pinning the key.
    """
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except OSError as exc:
        raise SftpConnectionError(
            f"Cannot connect to SFTP server {host}:{port}: {exc}."
        )
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise SftpConnectionError(
            f"SSH handshake with {host}:{port} failed: {_detail(exc)}."
        )
    finally:
        transport.close()
    blob = key.asbytes()
    line = f"{key.get_name()} {base64.b64encode(blob).decode('ascii')}"
    return line, fingerprint(blob)
