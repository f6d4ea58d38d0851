"""The marketplace's SFTP server for inventory files, on loopback, with paramiko.

Every SFTP user belongs to a seller, and the seller's home folder is the
user's ``/``::

    /inventory/upload/   the seller writes stock files here (the only writable folder)
    /inventory/result/   one result file per processed upload
    /inventory/report/   INVREPORT_<slaveId>.csv per location, fresh on every read
    /inventory/archive/  processed uploads

A consumer thread takes each complete ``.csv`` file from the upload folder,
applies its lines to the same inventory state as the HTTP API, writes
``<stem>.result.csv`` and moves the upload to the archive. A file is complete
once it carries the ``.csv`` suffix and no session has it open for writing,
so a ``<name>.csv.part`` file is never read.
"""

from __future__ import annotations

import base64
import csv
import errno
import hmac
import io
import logging
import os
import posixpath
import queue
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from .handlers import inventory

_logger = logging.getLogger(__name__)


class _PeerResetFilter(logging.Filter):
    """Drop paramiko's error record for a client that reset its connection.

    paramiko logs a reset at ERROR, but clients that close their socket right
    after closing the SFTP channel are normal for a server, and an error line
    makes Odoo's test runner fail a run in which nothing failed.
    """

    def filter(self, record):
        if record.getMessage().startswith("Socket exception: Connection reset"):
            _logger.debug("SFTP client reset its connection: %s", record.getMessage())
            return False
        return True


logging.getLogger(f"{__name__}.transport").addFilter(_PeerResetFilter())

UPLOAD_DIR = "/inventory/upload"
RESULT_DIR = "/inventory/result"
REPORT_DIR = "/inventory/report"
ARCHIVE_DIR = "/inventory/archive"
FOLDERS = (UPLOAD_DIR, RESULT_DIR, REPORT_DIR, ARCHIVE_DIR)
PART_SUFFIX = ".part"
RESULT_SUFFIX = ".result.csv"
UPLOAD_FIELDS = ("SKU", "SlaveID", "Inventory", "SafetyStock")
REQUIRED_FIELDS = ("SKU", "SlaveID", "Inventory")
RESULT_FIELDS = ("SKU", "SlaveID", "Status", "ErrorMessage")
REJECTED = "REJECTED"
# The marketplace's limit on lines per upload file (defined, like the layout).
MAX_FILE_LINES = 100_000

DEMO_SELLER_ID = "273570"
DEMO_SFTP_USER = "demo.sftp"
DEMO_SFTP_PASSWORD = "demo-sftp-password"

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class SftpUser:
    username: str
    seller_id: str
    password: str | None = None
    public_keys: list = field(default_factory=list)  # key blobs (bytes)

    def __repr__(self):
        return f"SftpUser({self.username!r}, seller {self.seller_id})"


def generate_key_pem() -> str:
    """Return a new unencrypted Ed25519 private key in OpenSSH format."""
    # paramiko cannot write Ed25519 private keys, so cryptography builds it.
    private = ed25519.Ed25519PrivateKey.generate()
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode("ascii")


def generate_host_key() -> paramiko.Ed25519Key:
    """Return a new Ed25519 host key."""
    return paramiko.Ed25519Key.from_private_key(io.StringIO(generate_key_pem()))


def load_or_create_host_key(path: str | os.PathLike | None) -> paramiko.PKey:
    """Load the host key from ``path``, creating it (mode 0600) when missing.

    Without a path the key is generated for this process only, so clients
    must pin ``SftpServer.host_key_line`` again after each start.
    """
    if path is None:
        return generate_host_key()
    path = Path(path)
    if not path.exists():
        pem = generate_key_pem()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(pem)
        _logger.info("SFTP host key created in %s", path)
        return paramiko.Ed25519Key.from_private_key(io.StringIO(pem))
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key_file(str(path))
        except paramiko.SSHException:
            continue
    raise ValueError(
        f"SFTP host key file {path} contains no unencrypted Ed25519, ECDSA or "
        "RSA private key; remove it to have a new key generated."
    )


def public_key_blob(line: str) -> bytes:
    """Return the key blob of an ``ssh-ed25519 AAAA...`` public key line."""
    parts = line.split()
    if len(parts) < 2:
        raise ValueError(
            f"Invalid public key line {line[:40]!r}; expected 'type base64 [comment]'."
        )
    return base64.b64decode(parts[1], validate=True)


class SftpServer:
    """A paramiko SFTP server on 127.0.0.1 for the sandbox's sellers."""

    def __init__(
        self,
        sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        root_dir: str | os.PathLike | None = None,
        host_key_file: str | os.PathLike | None = None,
        scan_interval: float = 1.0,
    ):
        self.sandbox = sandbox
        self.host = host
        self.requested_port = port
        self.scan_interval = scan_interval
        # A sandbox may name a key file so the demo keeps one host key across
        # restarts and a channel pins it once.
        if host_key_file is None:
            host_key_file = getattr(sandbox, "sftp_host_key_file", None)
        self.host_key = load_or_create_host_key(host_key_file)
        self._own_root = root_dir is None
        self.root = Path(root_dir or tempfile.mkdtemp(prefix="tatacliq-sftp-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.users: dict[str, SftpUser] = {}
        self._lock = threading.Lock()
        self._process_lock = threading.Lock()
        # Open write handles per file, keyed by (device, inode) so that a file
        # renamed while open still counts as being written.
        self._writing: dict[tuple, int] = {}
        self._queue: queue.Queue = queue.Queue()
        self._socket: socket.socket | None = None
        self._transports: list[paramiko.Transport] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.port: int | None = None

    # Configuration -----------------------------------------------------------

    @property
    def host_key_line(self) -> str:
        """The public host key line a client pins (``ssh-ed25519 AAAA...``)."""
        return f"{self.host_key.get_name()} {self.host_key.get_base64()}"

    @property
    def fingerprint(self) -> str:
        return self.host_key.fingerprint

    def add_user(
        self,
        username: str,
        seller_id: str,
        *,
        password: str | None = None,
        public_keys=(),
    ) -> SftpUser:
        """Allow ``username`` to log in with a password and/or public key lines."""
        if not password and not public_keys:
            raise ValueError(
                f"SFTP user {username!r} needs a password or a public key."
            )
        user = SftpUser(
            username,
            str(seller_id),
            password,
            [public_key_blob(line) for line in public_keys],
        )
        with self._lock:
            self.users[username] = user
        self.home(user.seller_id)
        return user

    def find_user(self, username: str) -> SftpUser | None:
        """Return the user; the demo login exists while the demo seller does."""
        with self._lock:
            user = self.users.get(username)
        if (
            user is None
            and username == DEMO_SFTP_USER
            and DEMO_SELLER_ID in self.sandbox.state.sellers
        ):
            user = SftpUser(DEMO_SFTP_USER, DEMO_SELLER_ID, DEMO_SFTP_PASSWORD)
        return user

    def home(self, seller_id: str) -> Path:
        """Return the seller's home folder, creating its inventory folders."""
        home = self.root / str(seller_id)
        for folder in FOLDERS:
            (home / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        return home

    def reset(self) -> None:
        """Delete every file in the sellers' folders; users and folders stay."""
        with self._process_lock:
            for home in self.root.iterdir():
                for folder in FOLDERS:
                    path = home / folder.lstrip("/")
                    if not path.is_dir():
                        continue
                    for entry in path.iterdir():
                        if entry.is_file():
                            entry.unlink()

    # Lifecycle ---------------------------------------------------------------

    def start(self) -> SftpServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.requested_port))
        listener.listen(16)
        listener.settimeout(0.2)
        self._socket = listener
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        for target, name in (
            (self._accept_loop, "sftp-accept"),
            (self._consume_loop, "sftp-consumer"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        _logger.info(
            "Sandbox SFTP server listening on %s:%s (host key %s)",
            self.host,
            self.port,
            self.fingerprint,
        )
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)
        _logger.info("Sandbox SFTP server on %s:%s stopped", self.host, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, address = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            connection.settimeout(None)
            transport = paramiko.Transport(connection)
            # A child logger carries _PeerResetFilter for server transports only.
            transport.set_log_channel(f"{__name__}.transport")
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler(
                "sftp", paramiko.SFTPServer, _SftpInterface, self
            )
            with self._lock:
                self._transports = [t for t in self._transports if t.is_active()]
                self._transports.append(transport)
            try:
                transport.start_server(server=_Authenticator(self, address))
            except (paramiko.SSHException, EOFError, OSError) as exc:
                _logger.warning("SFTP handshake with %s failed: %s", address, exc)
                transport.close()

    # Upload processing ---------------------------------------------------------

    def _writing_started(self, file_id: tuple) -> None:
        with self._lock:
            self._writing[file_id] = self._writing.get(file_id, 0) + 1

    def _writing_ended(self, file_id: tuple) -> None:
        with self._lock:
            count = self._writing.get(file_id, 0) - 1
            if count > 0:
                self._writing[file_id] = count
            else:
                self._writing.pop(file_id, None)
        self._queue.put(file_id)

    def _is_writing(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        with self._lock:
            return (stat.st_dev, stat.st_ino) in self._writing

    def notify(self, path: Path) -> None:
        """Wake the consumer after an upload was renamed to ``.csv``."""
        self._queue.put(path)

    def _consume_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.get(timeout=self.scan_interval)
            except queue.Empty:
                pass
            if self._stopping.is_set():
                break
            try:
                self.process_pending()
            except Exception:
                # The consumer must outlive one bad file; the error is logged
                # and the next scan tries the remaining files.
                _logger.exception("SFTP upload processing failed")

    def pending_uploads(self) -> list[tuple[str, Path]]:
        """Return (seller id, path) of the complete uploads waiting to be read."""
        pending = []
        for home in sorted(self.root.iterdir()):
            upload = home / UPLOAD_DIR.lstrip("/")
            if not home.is_dir() or not upload.is_dir():
                continue
            for path in sorted(upload.iterdir()):
                if (
                    path.is_file()
                    and path.suffix == ".csv"
                    and not self._is_writing(path)
                ):
                    pending.append((home.name, path))
        return pending

    def process_pending(self) -> list[str]:
        """Process every complete upload now; return the processed file names."""
        processed = []
        with self._process_lock:
            for seller_id, path in self.pending_uploads():
                try:
                    self._process_file(seller_id, path)
                except OSError as exc:
                    # The seller removed or renamed the file since the scan,
                    # or the disk failed; the other uploads still go on.
                    _logger.warning(
                        "SFTP upload %s of seller %s not processed: %s",
                        path.name,
                        seller_id,
                        exc,
                    )
                    continue
                processed.append(path.name)
        return processed

    def _process_file(self, seller_id: str, path: Path) -> None:
        home = self.root / seller_id
        data = path.read_bytes()
        try:
            seller = self.sandbox.state.seller(seller_id)
        except KeyError:
            seller = None
        if seller is None:
            rows = [("", "", REJECTED, f"Unknown seller {seller_id}")]
        else:
            rows = self._apply_upload(seller, path.name, data)

        stem = path.name[: -len(".csv")]
        result_path = home / RESULT_DIR.lstrip("/") / (stem + RESULT_SUFFIX)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(RESULT_FIELDS)
        writer.writerows(rows)
        self._write_atomic(result_path, buffer.getvalue().encode("utf-8"))
        os.replace(path, home / ARCHIVE_DIR.lstrip("/") / path.name)

        failed = sum(1 for row in rows if row[2] != inventory.SUCCESS)
        _logger.info(
            "SFTP upload %s of seller %s: %s lines, %s failed",
            path.name,
            seller_id,
            len(rows),
            failed,
        )

    def _apply_upload(self, seller, name: str, data: bytes) -> list[tuple]:
        """Apply an upload file and return its result rows."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return [("", "", REJECTED, f"File {name} is not UTF-8 text: {exc}")]
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            return self._apply_rows(seller, name, reader)
        except csv.Error as exc:
            # Without a result the file would stay in the upload folder and
            # stop every later upload of the folder from being processed.
            return [
                (
                    "",
                    "",
                    REJECTED,
                    f"File {name} is not valid CSV after line {reader.line_num}: {exc}",
                )
            ]

    def _apply_rows(self, seller, name: str, reader) -> list[tuple]:
        header = next(reader, None)
        if not header:
            return [("", "", REJECTED, f"File {name} is empty; expected a header")]
        header = [column.strip() for column in header]
        missing = [column for column in REQUIRED_FIELDS if column not in header]
        if missing:
            return [
                (
                    "",
                    "",
                    REJECTED,
                    f"File {name} is missing the column(s) {', '.join(missing)}; "
                    f"expected the header {','.join(UPLOAD_FIELDS)}",
                )
            ]

        entries = []
        shape_errors = {}
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(entries) >= MAX_FILE_LINES:
                return [
                    (
                        "",
                        "",
                        REJECTED,
                        f"File {name} has more than {MAX_FILE_LINES} lines; "
                        "split it into several files",
                    )
                ]
            # A short line leaves its last columns empty, as spreadsheet
            # exports do; the item check then names a missing Inventory. A
            # long line has values without a column and is refused.
            stripped = [value.strip() for value in values]
            entry = dict(zip(header, stripped, strict=False))
            if len(values) > len(header):
                shape_errors[len(entries)] = (
                    f"Line {reader.line_num} has {len(values)} fields; expected "
                    f"{len(header)} ({','.join(header)})"
                )
            entries.append(entry)
        if not entries:
            return [("", "", REJECTED, f"File {name} has no inventory lines")]

        valid = [
            entry for index, entry in enumerate(entries) if index not in shape_errors
        ]
        results = iter(
            inventory.apply_items(
                self.sandbox.state, seller, valid, source="SFTP", reference=name
            )
        )
        rows = []
        for index, entry in enumerate(entries):
            if index in shape_errors:
                rows.append(
                    (
                        entry.get("SKU", ""),
                        entry.get("SlaveID", ""),
                        inventory.FAILURE,
                        shape_errors[index],
                    )
                )
                continue
            result = next(results)
            rows.append(
                (
                    result["SKU"],
                    result["SlaveID"],
                    result["status"],
                    result["errorMessage"],
                )
            )
        return rows

    def _write_atomic(self, path: Path, data: bytes) -> None:
        # Written outside every home folder, then renamed in, so a client never
        # sees a half-written result or report.
        spool = self.root / ".spool"
        spool.mkdir(exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=spool)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)

    # Reports -----------------------------------------------------------------

    def refresh_reports(self, seller_id: str) -> None:
        """Write ``INVREPORT_<slaveId>.csv`` for every location of the seller."""
        try:
            seller = self.sandbox.state.seller(seller_id)
        except KeyError:
            return
        folder = self.root / seller_id / REPORT_DIR.lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        for slave_id in seller.slave_ids:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(inventory.REPORT_FIELDS)
            for item in inventory.report_items(self.sandbox.state, seller, slave_id):
                writer.writerow([item[name] for name in inventory.REPORT_FIELDS])
            self._write_atomic(
                folder / f"INVREPORT_{slave_id}.csv", buffer.getvalue().encode("utf-8")
            )


class _Authenticator(paramiko.ServerInterface):
    """Password and public key login against ``SftpServer.users``."""

    def __init__(self, server: SftpServer, address):
        self.server = server
        self.address = address
        self.user: SftpUser | None = None

    def get_allowed_auths(self, username):
        user = self.server.find_user(username)
        methods = []
        if user is None or user.password:
            methods.append("password")
        if user is None or user.public_keys:
            methods.append("publickey")
        return ",".join(methods)

    def check_auth_password(self, username, password):
        user = self.server.find_user(username)
        if (
            user is not None
            and user.password
            and hmac.compare_digest(user.password.encode(), (password or "").encode())
        ):
            self.user = user
            _logger.info("SFTP login of %s from %s (password)", username, self.address)
            return paramiko.AUTH_SUCCESSFUL
        _logger.warning(
            "SFTP password rejected for user %s from %s", username, self.address
        )
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        user = self.server.find_user(username)
        if user is not None and any(
            hmac.compare_digest(key.asbytes(), blob) for blob in user.public_keys
        ):
            # paramiko calls this first to ask whether the key is acceptable
            # and verifies the signature itself before the login completes.
            self.user = user
            return paramiko.AUTH_SUCCESSFUL
        _logger.warning(
            "SFTP public key %s rejected for user %s from %s",
            key.fingerprint,
            username,
            self.address,
        )
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def __init__(self, server: SftpServer, flags: int, file_id: tuple | None):
        super().__init__(flags)
        self.server = server
        self.file_id = file_id  # (device, inode) of a file open for writing

    def stat(self):
        try:
            return paramiko.SFTPAttributes.from_stat(os.fstat(self._file().fileno()))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def chattr(self, attr):
        return paramiko.SFTP_OP_UNSUPPORTED

    def _file(self):
        return getattr(self, "writefile", None) or self.readfile

    def close(self):
        super().close()
        if self.file_id is not None:
            file_id, self.file_id = self.file_id, None
            self.server._writing_ended(file_id)


class _SftpInterface(paramiko.SFTPServerInterface):
    """File operations confined to the logged-in seller's home folder."""

    def __init__(self, authenticator: _Authenticator, server: SftpServer, *args):
        super().__init__(authenticator, *args)
        self.server = server
        self.user = authenticator.user
        self.home = server.home(self.user.seller_id)

    def _virtual(self, path) -> str:
        if isinstance(path, bytes):
            path = path.decode("utf-8")
        # normpath of an absolute path drops every ".." above "/", so the result
        # stays inside the home folder.
        return posixpath.normpath(posixpath.join("/", path))

    def _local(self, virtual: str) -> Path:
        return self.home / virtual.lstrip("/") if virtual != "/" else self.home

    @staticmethod
    def _in_folder(virtual: str, folder: str) -> bool:
        return posixpath.dirname(virtual) == folder

    def _refresh_if_report(self, virtual: str) -> None:
        if virtual == REPORT_DIR or self._in_folder(virtual, REPORT_DIR):
            self.server.refresh_reports(self.user.seller_id)

    def canonicalize(self, path):
        return self._virtual(path)

    def list_folder(self, path):
        virtual = self._virtual(path)
        self._refresh_if_report(virtual)
        local = self._local(virtual)
        try:
            entries = []
            for name in sorted(os.listdir(local)):
                attributes = paramiko.SFTPAttributes.from_stat(
                    os.stat(local / name), name
                )
                entries.append(attributes)
            return entries
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def stat(self, path):
        virtual = self._virtual(path)
        self._refresh_if_report(virtual)
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._local(virtual)))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    lstat = stat

    def open(self, path, flags, attr):
        virtual = self._virtual(path)
        local = self._local(virtual)
        writing = bool(flags & WRITE_FLAGS)
        if writing and not self._in_folder(virtual, UPLOAD_DIR):
            return paramiko.SFTP_PERMISSION_DENIED
        if not writing:
            self._refresh_if_report(virtual)

        try:
            descriptor = os.open(local, flags | getattr(os, "O_BINARY", 0), 0o640)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"

        file = os.fdopen(descriptor, mode)
        file_id = None
        if writing:
            stat = os.fstat(descriptor)
            file_id = (stat.st_dev, stat.st_ino)
            self.server._writing_started(file_id)
        handle = _Handle(self.server, flags, file_id)
        if writing:
            handle.writefile = file
            if flags & os.O_RDWR:
                handle.readfile = file
        else:
            handle.readfile = file
        return handle

    def remove(self, path):
        virtual = self._virtual(path)
        if not self._in_folder(virtual, UPLOAD_DIR):
            return paramiko.SFTP_PERMISSION_DENIED
        try:
            os.remove(self._local(virtual))
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)
        return paramiko.SFTP_OK

    def rename(self, oldpath, newpath):
        return self._rename(oldpath, newpath, overwrite=False)

    def posix_rename(self, oldpath, newpath):
        return self._rename(oldpath, newpath, overwrite=True)

    def _rename(self, oldpath, newpath, *, overwrite: bool):
        old, new = self._virtual(oldpath), self._virtual(newpath)
        if not (self._in_folder(old, UPLOAD_DIR) and self._in_folder(new, UPLOAD_DIR)):
            return paramiko.SFTP_PERMISSION_DENIED
        source, target = self._local(old), self._local(new)
        try:
            if overwrite:
                os.replace(source, target)
            else:
                # SFTP version 3 rename fails when the target exists; link and
                # unlink make the check and the move one step.
                os.link(source, target)
                os.unlink(source)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                return paramiko.SFTP_FAILURE
            return paramiko.SFTPServer.convert_errno(exc.errno)
        if target.suffix == ".csv":
            self.server.notify(target)
        return paramiko.SFTP_OK

    def mkdir(self, path, attr):
        return paramiko.SFTP_PERMISSION_DENIED

    def rmdir(self, path):
        return paramiko.SFTP_PERMISSION_DENIED

    def chattr(self, path, attr):
        return paramiko.SFTP_OP_UNSUPPORTED

    def symlink(self, target_path, path):
        return paramiko.SFTP_OP_UNSUPPORTED

    def readlink(self, path):
        return paramiko.SFTP_OP_UNSUPPORTED
