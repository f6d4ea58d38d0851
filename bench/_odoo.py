"""Odoo environments on fresh database copies, for the scripts in bench/.

A benchmark needs the connector installed in a database it may fill and
throw away. ``connector_template`` copies the template database of
``scripts/odoo_env.py`` (sale_management, sale_stock and stock_delivery with
demo data) and installs tatacliq_connector into the copy once per benchmark
run. ``fresh_database`` then hands out one copy of that per measurement, and
``environment`` opens an Odoo environment on it inside this process, so the
measured code runs with the timer and profiler of the benchmark.

Odoo and PostgreSQL are found as the test runner finds them: ODOO_SRC, an
importable ``odoo`` package or /opt/odoo-18.0, and the PG* variables with
the defaults 127.0.0.1, 5432, odoo, odoo. Database names start with
``DB_PREFIX``; ``drop_databases`` drops what a run created.

``sandbox_process`` runs the sandbox marketplace in a child process, so its
HTTP work runs outside the measured interpreter, as a real marketplace would.

Typical use::

    odoo = _odoo.load_odoo(log_file=_odoo.VAR_DIR / "bench-x-odoo.log")
    template = _odoo.connector_template(odoo, "tcq_bench_x_tmpl")
    with _odoo.fresh_database(template, "tcq_bench_x_run"):
        with _odoo.environment("tcq_bench_x_run") as env:
            ...
"""

import contextlib
import cProfile
import dataclasses
import io
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import odoo_env  # noqa: E402

VAR_DIR = odoo_env.VAR_DIR
DB_PREFIX = "tcq_bench_"
# Installing the connector into a copy of the template took 9 to 20 s on a
# shared 2-core machine, so ten minutes means the install hangs.
INSTALL_TIMEOUT = 600
SANDBOX_START_TIMEOUT = 30
# An Odoo log record at ERROR or CRITICAL level (see odoo/netsvc.py).
ODOO_ERROR_LINE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


class BenchError(Exception):
    """The benchmark cannot run: Odoo, PostgreSQL or the sandbox is not usable."""


# -- Odoo in this process ------------------------------------------------------


def find_odoo() -> odoo_env.Odoo:
    """Return the Odoo 18.0 to use; raise BenchError when there is none."""
    try:
        odoo = odoo_env.find_odoo()
    except odoo_env.OdooSetupError as exc:
        raise BenchError(str(exc)) from exc
    if odoo is None:
        raise BenchError(
            "No Odoo 18.0 found: set ODOO_SRC=/path/to/odoo or unpack it at "
            f"{odoo_env.DEFAULT_ODOO_SRC}."
        )
    return odoo


def load_odoo(log_file: Path | None = None, log_level: str = "info"):
    """Find Odoo, make it importable and configure it; return the ``Odoo``.

    The PG* settings go into this process's environment, where libpq reads
    the password, so it never appears on a command line. ``log_file``
    receives Odoo's log at ``log_level``; without it Odoo logs to stderr.
    Logging stays on at the level a server uses, because log lines written
    per record are part of what an import costs.
    """
    odoo = find_odoo()
    try:
        odoo_env.check_postgres()
    except odoo_env.OdooSetupError as exc:
        raise BenchError(str(exc)) from exc
    os.environ.update(odoo_env.pg_env())
    if str(odoo.src) not in sys.path:
        sys.path.insert(0, str(odoo.src))

    from odoo.tools import config

    # server_args names a database; any name works here because every
    # environment names its own.
    args = [
        *odoo_env.server_args(odoo, "postgres"),
        "--max-cron-threads",
        "0",
        "--log-level",
        log_level,
    ]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--logfile", str(log_file)]
    config.parse_config(args, setup_logging=True)
    return odoo


@contextlib.contextmanager
def environment(dbname: str, user_xmlid: str = "base.user_admin", su: bool = False):
    """Yield an Odoo environment on ``dbname`` as ``user_xmlid``.

    The cursor is committed when the block ends without an error and rolled
    back otherwise. Leaving the block closes the database's connections, so
    the database can be dropped right after.
    """
    import odoo
    from odoo.modules.registry import Registry

    registry = Registry(dbname)
    try:
        with registry.cursor() as cr:
            root = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            uid = root.ref(user_xmlid).id
            context = root["res.users"].browse(uid).context_get()
            yield odoo.api.Environment(cr, uid, context, su=su)
    finally:
        close_connections(dbname)


def close_connections(dbname: str) -> None:
    """Forget the registry of ``dbname`` and close this process's connections."""
    if "odoo" not in sys.modules:
        return
    import odoo.sql_db
    from odoo.modules.registry import Registry

    Registry.delete(dbname)
    odoo.sql_db.close_db(dbname)


# -- Databases -----------------------------------------------------------------


def connector_template(
    odoo: odoo_env.Odoo, name: str, modules: tuple[str, ...] = (odoo_env.ADDON,)
) -> str:
    """Create database ``name``: the dependency template with ``modules`` installed.

    The dependency template is built first when missing (see
    ``odoo_env.ensure_template``). The modules are installed by an Odoo
    process of their own, with demo data as in the test databases. Returns
    ``name``; raises BenchError with the log's first error when the install
    fails.
    """
    check_name(name)
    try:
        base = odoo_env.ensure_template(odoo, VAR_DIR / "odoo-template.log")
        odoo_env.drop_db(name)
        odoo_env.copy_db(base, name)
    except odoo_env.OdooSetupError as exc:
        raise BenchError(str(exc)) from exc

    log_path = VAR_DIR / f"{name}-install.log"
    # Odoo appends to --logfile, and errors of an earlier run must not count.
    log_path.unlink(missing_ok=True)
    command = [
        *odoo.command(),
        *odoo_env.server_args(odoo, name),
        "-i",
        ",".join(modules),
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads",
        "0",
        "--log-level",
        "warn",
        "--logfile",
        str(log_path),
    ]
    print(f"Installing {', '.join(modules)} into {name} (copy of {base})", flush=True)
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            env=odoo_env.pg_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
            cwd=REPO_ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        drop_databases([name])
        raise BenchError(
            f"installing {', '.join(modules)} into {name} timed out after "
            f"{INSTALL_TIMEOUT} s; see {log_path}"
        ) from exc
    log_text = log_path.read_text(errors="replace") if log_path.exists() else ""
    errors = [line for line in log_text.splitlines() if ODOO_ERROR_LINE.match(line)]
    if result.returncode != 0 or errors:
        drop_databases([name])
        first = errors[0] if errors else (result.stderr.strip() or "no log")
        raise BenchError(
            f"installing {', '.join(modules)} into {name} failed (exit code "
            f"{result.returncode}): {first[:500]}. Full log: {log_path}"
        )
    print(f"Installed in {time.monotonic() - started:.0f} s.", flush=True)
    return name


@contextlib.contextmanager
def fresh_database(template: str, name: str, keep: bool = False):
    """Yield ``name``, a copy of ``template``, dropped at the end unless ``keep``."""
    check_name(name)
    try:
        with odoo_env.scratch_db(template, name, keep=keep):
            try:
                yield name
            finally:
                close_connections(name)
    except odoo_env.OdooSetupError as exc:
        raise BenchError(str(exc)) from exc


@contextlib.contextmanager
def fresh_environment(template: str, name: str, keep: bool = False, su: bool = False):
    """Yield an admin environment on ``name``, a new copy of ``template``.

    Combines ``fresh_database`` and ``environment``: the cursor is committed
    at the end of the block, then the database is dropped unless ``keep``.
    """
    with fresh_database(template, name, keep=keep), environment(name, su=su) as env:
        yield env


def tship_channel_values(
    env, sandbox_url, seller, slave_id, warehouse, api_version, mappings
) -> dict:
    """Return the shared create values of a benchmark TSHIP channel.

    The channel logs in as ``seller`` (a sandbox ``Seller``) at
    ``sandbox_url``, has one location ``slave_id`` at ``warehouse`` and maps
    each ``(article number, product)`` pair of ``mappings``.
    """
    return {
        "company_id": env.company.id,
        "fulfillment_model": "tship",
        "base_url": sandbox_url,
        "warehouse_id": warehouse.id,
        "api_version": api_version,
        "seller_id": seller.seller_id,
        "seller_code": seller.seller_code,
        "username": seller.username,
        "password": seller.password,
        "api_key": seller.api_key,
        "api_secret": seller.api_secret,
        "location_ids": [
            (
                0,
                0,
                {
                    "slave_id": slave_id,
                    "name": "Main warehouse",
                    "warehouse_id": warehouse.id,
                },
            )
        ],
        "mapping_ids": [
            (0, 0, {"article_number": sku, "product_id": product.id})
            for sku, product in mappings
        ],
    }


def drop_databases(names) -> None:
    """Drop the databases ``names`` and their filestores; missing ones are fine."""
    for name in names:
        check_name(name)
        close_connections(name)
        odoo_env.drop_db(name)


def check_name(name: str) -> None:
    """Raise BenchError unless ``name`` is a benchmark database name."""
    if not name.startswith(DB_PREFIX):
        raise BenchError(
            f"Database name {name!r} does not start with {DB_PREFIX!r}; benchmark "
            "scripts create and drop only databases with that prefix."
        )


# -- Sandbox marketplace ------------------------------------------------------------


class SandboxProcess:
    """A sandbox marketplace running in a child process on 127.0.0.1."""

    def __init__(self, process: subprocess.Popen, url: str):
        self.process = process
        self.url = url

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        """Call an admin route (``/_sandbox/...``) and return its JSON response."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")


@contextlib.contextmanager
def sandbox_process(log_path: Path | None = None):
    """Yield a ``SandboxProcess`` with the demo seller on a free loopback port.

    Its output goes to ``log_path`` (default ``var/bench-sandbox.log``). The
    process is stopped with SIGTERM, then killed if it is still running
    after 10 seconds.
    """
    log_path = log_path or VAR_DIR / "bench-sandbox.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = odoo_env.free_port()
    command = [
        sys.executable,
        "-m",
        "tatacliq_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "WARNING",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            sandbox = SandboxProcess(process, f"http://127.0.0.1:{port}")
            _wait_for_sandbox(sandbox, log_path)
            yield sandbox
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_sandbox(sandbox: SandboxProcess, log_path: Path) -> None:
    deadline = time.monotonic() + SANDBOX_START_TIMEOUT
    while time.monotonic() < deadline:
        if sandbox.process.poll() is not None:
            raise BenchError(
                f"The sandbox marketplace exited with code "
                f"{sandbox.process.returncode} at start; see {log_path}"
            )
        try:
            sandbox.admin("GET", "state")
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError(
        f"The sandbox marketplace did not respond on {sandbox.url} within "
        f"{SANDBOX_START_TIMEOUT} s; see {log_path}"
    )


# -- Measuring -------------------------------------------------------------------


@dataclasses.dataclass
class Timing:
    """Elapsed wall-clock time and CPU time of this process, in seconds.

    The CPU time leaves out PostgreSQL and child processes, so comparing it
    with the wall time shows how much of a run was spent waiting.
    """

    wall: float = 0.0
    cpu: float = 0.0

    def __str__(self):
        return f"{self.wall:8.2f} s wall, {self.cpu:8.2f} s CPU"

    @classmethod
    def median(cls, timings):
        return cls(
            statistics.median(t.wall for t in timings),
            statistics.median(t.cpu for t in timings),
        )


@contextlib.contextmanager
def timed():
    """Yield a ``Timing`` that contains the block's durations once it ends."""
    timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield timing
    finally:
        timing.wall = time.perf_counter() - wall
        timing.cpu = time.process_time() - cpu


@contextlib.contextmanager
def profiled(path: Path):
    """Profile the block with cProfile and write the statistics to ``path``."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield profiler
    finally:
        profiler.disable()
        path.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(path))


def profile_summary(path: Path, sort: str = "cumulative", limit: int = 30) -> str:
    """Return the ``limit`` top functions of a profile file sorted by ``sort``."""
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(limit)
    return out.getvalue()


def machine_summary() -> str:
    """Return cores, memory, load average, Python and PostgreSQL versions."""
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text()
        total_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        memory = f", {total_kib / 1024 / 1024:.0f} GiB RAM"
    load = ""
    with contextlib.suppress(OSError):
        load = ", load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
    postgres = ""
    with contextlib.suppress(odoo_env.OdooSetupError):
        postgres = ", PostgreSQL " + odoo_env.psql("SHOW server_version").strip()
    return (
        f"{os.cpu_count()} cores{memory}{load}, Python "
        f"{platform.python_version()}{postgres}"
    )
