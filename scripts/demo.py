"""Run the sandbox marketplace and an Odoo demo database wired to it.

Starts the sandbox on 127.0.0.1:8870 with generated orders. Creates the
database tatacliq_demo as a copy of the template database, replacing an old
demo database, and installs tatacliq_connector with its demo channel. Then
serves Odoo on 127.0.0.1:8069, runs one order sync over JSON-RPC and prints a
summary. Both servers keep running until Ctrl-C or SIGTERM, unless
--no-serve is given.
"""

import argparse
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import odoo_env  # noqa: E402

DEMO_DB = "tatacliq_demo"
ODOO_PORT = 8069
# The demo channel's base URL in the addon's demo data points at this port.
SANDBOX_PORT = 8870
SANDBOX_SFTP_PORT = 8871
DEMO_CHANNEL_XMLID = ("tatacliq_connector", "demo_channel_tship")
LOGIN = "admin"
PASSWORD = "admin"  # Odoo's default admin password on a demo database.
# Real-shaped marketplace orders shipped with the sandbox, on top of the
# generated ones.
SANDBOX_SEED_FILE = (
    odoo_env.REPO_ROOT / "tatacliq_sandbox" / "samples" / "orders-v2.json"
)


class DemoError(Exception):
    """A demo step failed; the message names the step and the next action."""


class Stop(Exception):
    """SIGTERM arrived; unwinds to the cleanup code like Ctrl-C does."""


def _raise_stop(signum, frame):
    raise Stop()


def wait_for_http(url: str, process: subprocess.Popen, timeout: float, name: str):
    """Wait until ``url`` responds with any HTTP status, or raise DemoError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{name} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # Any HTTP status means the server is up.
        except OSError:
            time.sleep(0.5)
    raise DemoError(f"{name} did not respond on {url} within {timeout:.0f} s")


class JsonRpc:
    """Minimal client for Odoo's /jsonrpc endpoint."""

    def __init__(self, url: str, db: str):
        self.url = f"{url}/jsonrpc"
        self.db = db
        self.uid = None
        self._id = 0

    def _call(self, service: str, method: str, *args):
        self._id += 1
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": self._id,
            "params": {"service": service, "method": method, "args": list(args)},
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            body = json.load(response)
        if body.get("error"):
            error = body["error"]
            message = error.get("data", {}).get("message") or error.get("message")
            raise DemoError(f"Odoo {service}.{method} failed: {message}")
        return body["result"]

    def login(self, login: str, password: str) -> int:
        self.uid = self._call("common", "authenticate", self.db, login, password, {})
        if not self.uid:
            raise DemoError(f"login {login!r} was rejected by database {self.db}")
        return self.uid

    def execute(self, model: str, method: str, *args, **kwargs):
        return self._call(
            "object",
            "execute_kw",
            self.db,
            self.uid,
            PASSWORD,
            model,
            method,
            list(args),
            kwargs,
        )


def sandbox_command(args: argparse.Namespace) -> list[str]:
    """Return the sandbox command: demo seller, sample orders, generated orders."""
    command = [sys.executable, "-m", "tatacliq_sandbox"]
    command += ["--port", str(args.sandbox_port), "--sftp-port", str(args.sftp_port)]
    command += ["--generate", "40", "--seed", "7"]
    if SANDBOX_SEED_FILE.is_file():
        command += ["--seed-file", str(SANDBOX_SEED_FILE)]
    return command


def start(command: list[str], log_path: Path, env=None) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        # A new session keeps Ctrl-C away from the child, so this script
        # decides the order of shutdown.
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=odoo_env.REPO_ROOT,
            env=env,
            start_new_session=True,
        )


def stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        print(f"{name} ignored SIGTERM for 15 s; killing it.")
        process.kill()
        process.wait()


def install_addon(odoo: odoo_env.Odoo, dbname: str, log_path: Path) -> None:
    command = [
        *odoo.command(),
        *odoo_env.server_args(odoo, dbname),
        "-i",
        odoo_env.ADDON,
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads",
        "0",
    ]
    with open(log_path, "w") as log:
        result = subprocess.run(
            command,
            env=odoo_env.pg_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    errors = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if " ERROR " in line or " CRITICAL " in line
    ]
    if result.returncode != 0 or errors:
        first = errors[0] if errors else f"exit code {result.returncode}"
        raise DemoError(f"installing {odoo_env.ADDON} failed: {first}. Log: {log_path}")


def postpone_sync_cron(dbname: str) -> None:
    """Move the next run of every channel's order sync action 15 minutes ahead.

    Otherwise the cron, due as soon as the server starts, can import the
    orders just before the demo's own sync, which then reports none.
    """
    odoo_env.psql(
        "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') "
        "+ interval '15 minutes' WHERE id IN "
        "(SELECT order_cron_id FROM tatacliq_channel)",
        dbname,
    )


def find_channel(rpc: JsonRpc) -> int:
    module, name = DEMO_CHANNEL_XMLID
    rows = rpc.execute(
        "ir.model.data",
        "search_read",
        [("module", "=", module), ("name", "=", name)],
        fields=["res_id"],
    )
    if rows:
        return rows[0]["res_id"]
    ids = rpc.execute("tatacliq.channel", "search", [], limit=1)
    if not ids:
        raise DemoError(
            f"no tatacliq.channel in {rpc.db}: the addon's demo data did not "
            f"create {module}.{name}"
        )
    return ids[0]


def point_channel_at_sandbox(rpc: JsonRpc, channel_id: int, args) -> None:
    """Point the channel at the sandbox when it runs on non-default ports."""
    values = {}
    if args.sandbox_port != SANDBOX_PORT:
        values["base_url"] = f"http://127.0.0.1:{args.sandbox_port}"
    if args.sftp_port != SANDBOX_SFTP_PORT:
        channel = rpc.execute("tatacliq.channel", "read", [channel_id], ["sftp_host"])
        if channel[0]["sftp_host"]:
            values.update(sftp_host="127.0.0.1", sftp_port=args.sftp_port)
    if values:
        rpc.execute("tatacliq.channel", "write", [channel_id], values)


def sync_and_summarize(rpc: JsonRpc, channel_id: int, odoo_url: str) -> None:
    # Test the connection first, as a user would, so the dashboard shows the
    # channel's connection status instead of "Not tested".
    rpc.execute("tatacliq.channel", "action_test_connection", [channel_id])
    started = time.monotonic()
    rpc.execute("tatacliq.channel", "action_sync_orders", [channel_id])
    elapsed = time.monotonic() - started

    channel = rpc.execute(
        "tatacliq.channel",
        "read",
        [channel_id],
        fields=[
            "name",
            "base_url",
            "last_sync_imported",
            "last_sync_exceptions",
            "connection_state",
            "last_sync_duration",
        ],
    )[0]
    order_count = rpc.execute(
        "sale.order",
        "search_count",
        [("tatacliq_channel_id", "=", channel_id)],
    )
    print()
    print(f"Channel:         {channel['name']} (id {channel_id})")
    print(f"Connection:      {channel['connection_state']}")
    print(f"Lines imported:  {channel['last_sync_imported']}")
    print(f"Exceptions:      {channel['last_sync_exceptions']}")
    print(
        f"Sync time:       {channel['last_sync_duration']} s recorded by the "
        f"channel, {elapsed:.1f} s over JSON-RPC"
    )
    print(f"Sale orders:     {order_count} linked to the channel")
    print(f"Open:            {odoo_url}/odoo (login {LOGIN} / {PASSWORD})")
    print(f"Sandbox:         {channel['base_url']}")


def run(args: argparse.Namespace, odoo: odoo_env.Odoo) -> None:
    odoo_env.check_scratch_name(args.db)
    for port in (args.sandbox_port, args.sftp_port, args.odoo_port):
        if odoo_env.port_in_use(port):
            raise DemoError(
                f"port {port} on 127.0.0.1 is already in use; stop the process "
                "that holds it (an earlier demo or sandbox?) and retry"
            )

    odoo_env.check_postgres()
    template = odoo_env.ensure_template(odoo, odoo_env.VAR_DIR / "odoo-template.log")

    processes: list[tuple[str, subprocess.Popen]] = []
    try:
        sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
        sandbox_log = odoo_env.VAR_DIR / f"demo-sandbox-{args.db}.log"
        sandbox = start(sandbox_command(args), sandbox_log)
        processes.append(("sandbox", sandbox))
        wait_for_http(f"{sandbox_url}/", sandbox, 30, "sandbox")
        print(f"Sandbox marketplace up on {sandbox_url}")

        print(f"Creating database {args.db} from {template}...", flush=True)
        odoo_env.drop_db(args.db)
        odoo_env.copy_db(template, args.db)
        install_log = odoo_env.VAR_DIR / f"demo-install-{args.db}.log"
        print(f"Installing {odoo_env.ADDON} (log: {install_log})...", flush=True)
        install_addon(odoo, args.db, install_log)
        postpone_sync_cron(args.db)

        odoo_url = f"http://127.0.0.1:{args.odoo_port}"
        serve_log = odoo_env.VAR_DIR / f"demo-odoo-{args.db}.log"
        server = start(
            [
                *odoo.command(),
                *odoo_env.server_args(odoo, args.db),
                "--db-filter",
                f"^{args.db}$",
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(args.odoo_port),
            ],
            serve_log,
            env=odoo_env.pg_env(),
        )
        processes.append(("Odoo", server))
        wait_for_http(f"{odoo_url}/web/login", server, 120, "Odoo")
        print(f"Odoo up on {odoo_url} (log: {serve_log})", flush=True)

        rpc = JsonRpc(odoo_url, args.db)
        rpc.login(LOGIN, PASSWORD)
        channel_id = find_channel(rpc)
        point_channel_at_sandbox(rpc, channel_id, args)
        sync_and_summarize(rpc, channel_id, odoo_url)

        if args.no_serve:
            return
        print("\nServing until Ctrl-C.", flush=True)
        while all(process.poll() is None for _, process in processes):
            time.sleep(1)
        for name, process in processes:
            if process.poll() is not None:
                raise DemoError(f"{name} exited with code {process.returncode}")
    finally:
        # A second Ctrl-C or SIGTERM (``timeout`` forwards one to the whole
        # group) must not cut the cleanup short and orphan a server.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name, process in reversed(processes):
            stop(process, name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="stop both servers after printing the summary",
    )
    parser.add_argument(
        "--db",
        default=DEMO_DB,
        help="demo database, replaced if it exists (default: %(default)s)",
    )
    parser.add_argument(
        "--odoo-port",
        type=int,
        default=ODOO_PORT,
        help="HTTP port of the demo Odoo on 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--sandbox-port",
        type=int,
        default=SANDBOX_PORT,
        help="HTTP port of the sandbox on 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--sftp-port",
        type=int,
        default=SANDBOX_SFTP_PORT,
        help="SFTP port of the sandbox on 127.0.0.1 (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    try:
        odoo = odoo_env.find_odoo()
    except odoo_env.OdooSetupError as exc:
        print(f"Demo failed: {exc}", file=sys.stderr)
        return 1
    if odoo is None:
        print(
            "No Odoo 18.0 found: set ODOO_SRC=/path/to/odoo or unpack Odoo 18.0 "
            "Community at /opt/odoo-18.0 to run the demo; "
            f"`python -m tatacliq_sandbox --port {SANDBOX_PORT}` still runs the "
            "sandbox marketplace alone.",
            file=sys.stderr,
        )
        return 1

    signal.signal(signal.SIGTERM, _raise_stop)
    # A shell starts background jobs with SIGINT ignored; restore Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run(args, odoo)
    except (KeyboardInterrupt, Stop):
        print("\nStopped the sandbox and Odoo.")
    except (DemoError, odoo_env.OdooSetupError) as exc:
        print(f"Demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
