"""Locate Odoo 18.0 and manage the PostgreSQL databases of the test and demo runs.

Shared by ``scripts/run_odoo_tests.py``, ``scripts/demo.py`` and the Makefile.
Only the standard library is used, so it runs under any Python 3.10+ before
the virtual environment exists.

Odoo is looked up in this order:

1. ``ODOO_SRC``: path to an Odoo 18.0 source tree (the folder holding
   ``odoo-bin``). ``ODOO_SRC=none`` turns the Odoo parts off on purpose.
2. An ``odoo`` package importable by the running interpreter.
3. ``/opt/odoo-18.0``, the location the README gives for unpacking Odoo.

Database settings come from the libpq variables PGHOST (default 127.0.0.1),
PGPORT (5432), PGUSER (odoo) and PGPASSWORD (odoo). The password reaches
``createdb``, ``psql`` and Odoo through the environment, never through a
command line, so ``ps`` does not show it.
"""

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
DEFAULT_ODOO_SRC = Path("/opt/odoo-18.0")
ODOO_SERIES = "18.0"
ADDON = "tatacliq_connector"
# The modules the connector depends on, installed once in the template
# database so that each run only installs the connector itself.
TEMPLATE_MODULES = ("sale_management", "sale_stock", "stock_delivery")
TEMPLATE_PREFIX = "tcq_tmpl_"
# Building the template installs three applications with demo data, which
# took 51 s on a 2-core machine; twenty minutes means the build hangs.
TEMPLATE_TIMEOUT = 1200

SKIP_MESSAGE = (
    "SKIPPED Odoo suite: no Odoo 18.0 found "
    "(set ODOO_SRC=/path/to/odoo or unpack it at /opt/odoo-18.0)"
)


class OdooSetupError(Exception):
    """Odoo or PostgreSQL is set up in a way the scripts cannot work with."""


@dataclass(frozen=True)
class Odoo:
    """An Odoo 18.0 installation: its source tree and how to start it."""

    src: Path
    version: str
    origin: str

    @property
    def odoo_bin(self) -> Path | None:
        path = self.src / "odoo-bin"
        return path if path.is_file() else None

    @property
    def requirements(self) -> Path | None:
        path = self.src / "requirements.txt"
        return path if path.is_file() else None

    @property
    def addons_path(self) -> str:
        """Return the --addons-path value: Odoo's addons, then this repository."""
        paths = [self.src / "addons", self.src / "odoo" / "addons"]
        existing = [str(path) for path in paths if path.is_dir()]
        return ",".join([*existing[:1], str(REPO_ROOT)])

    def command(self, python: str | None = None) -> list[str]:
        """Return the command prefix that starts this Odoo's server."""
        python = python or sys.executable
        if self.odoo_bin:
            return [python, str(self.odoo_bin)]
        # A pip-installed Odoo has no odoo-bin; its package runs as a module.
        return [python, "-m", "odoo"]


def read_version(src: Path) -> str:
    """Return the "MAJOR.MINOR" series of the Odoo tree at ``src``."""
    release = src / "odoo" / "release.py"
    try:
        text = release.read_text(encoding="utf-8")
    except OSError as exc:
        raise OdooSetupError(
            f"{src} is not an Odoo source tree: cannot read {release} ({exc}). "
            "Point ODOO_SRC at the folder that contains odoo-bin."
        ) from exc
    match = re.search(r"^version_info\s*=\s*\((\d+),\s*(\d+)", text, re.MULTILINE)
    if not match:
        raise OdooSetupError(
            f"{release} has no version_info line; "
            "point ODOO_SRC at an unmodified Odoo 18.0 tree."
        )
    return f"{match.group(1)}.{match.group(2)}"


def _checked(src: Path, origin: str) -> Odoo:
    version = read_version(src)
    if version != ODOO_SERIES:
        raise OdooSetupError(
            f"Odoo at {src} ({origin}) is version {version}; this addon needs "
            f"{ODOO_SERIES}. Set ODOO_SRC to an Odoo {ODOO_SERIES} tree."
        )
    return Odoo(src=src, version=version, origin=origin)


def find_odoo(default: Path = DEFAULT_ODOO_SRC) -> Odoo | None:
    """Return the Odoo to use, or None when none is installed.

    Raises OdooSetupError when ODOO_SRC names something that is not an Odoo
    18.0 tree, because a wrong explicit setting must not turn into a skip.
    """
    env_src = os.environ.get("ODOO_SRC", "").strip()
    if env_src.lower() == "none":
        return None
    if env_src:
        src = Path(env_src).expanduser().resolve()
        if not src.is_dir():
            raise OdooSetupError(
                f"ODOO_SRC={env_src} does not exist; point it at an Odoo "
                f"{ODOO_SERIES} source tree or unset it."
            )
        return _checked(src, "ODOO_SRC")

    spec = importlib.util.find_spec("odoo")
    if spec and spec.origin:
        return _checked(Path(spec.origin).resolve().parent.parent, "interpreter")

    if (default / "odoo" / "release.py").is_file():
        return _checked(default, "default location")
    return None


# -- PostgreSQL ---------------------------------------------------------------


@dataclass(frozen=True)
class DbSettings:
    host: str
    port: str
    user: str
    password: str


def db_settings() -> DbSettings:
    return DbSettings(
        host=os.environ.get("PGHOST") or "127.0.0.1",
        port=os.environ.get("PGPORT") or "5432",
        user=os.environ.get("PGUSER") or "odoo",
        password=os.environ.get("PGPASSWORD") or "odoo",
    )


def pg_env(settings: DbSettings | None = None) -> dict[str, str]:
    """Return os.environ with the libpq variables set, for child processes."""
    settings = settings or db_settings()
    env = dict(os.environ)
    env.update(
        PGHOST=settings.host,
        PGPORT=settings.port,
        PGUSER=settings.user,
        PGPASSWORD=settings.password,
    )
    return env


def _pg_run(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(
            args,
            env=pg_env(),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError as exc:
        raise OdooSetupError(
            f"{args[0]} not found; install the PostgreSQL client "
            "(Debian package postgresql-client)."
        ) from exc
    if check and result.returncode != 0:
        settings = db_settings()
        raise OdooSetupError(
            f"{' '.join(args)} failed on {settings.user}@{settings.host}:"
            f"{settings.port}: {result.stderr.strip()}. Check that PostgreSQL "
            "runs and that PGHOST/PGPORT/PGUSER/PGPASSWORD name a superuser."
        )
    return result


def psql(sql: str, dbname: str = "postgres") -> str:
    """Run one SQL statement and return its unaligned output."""
    return _pg_run(["psql", "-X", "-q", "-A", "-t", "-d", dbname, "-c", sql]).stdout


def check_postgres() -> None:
    """Raise OdooSetupError unless PostgreSQL accepts our login."""
    psql("SELECT 1")


def db_exists(name: str) -> bool:
    quoted = name.replace("'", "''")
    rows = psql(f"SELECT 1 FROM pg_database WHERE datname = '{quoted}'")
    return rows.strip() == "1"


def data_dir() -> Path:
    """Return Odoo's data dir; every run passes it as --data-dir."""
    configured = os.environ.get("ODOO_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".local" / "share" / "Odoo"


def filestore(name: str) -> Path:
    return data_dir() / "filestore" / name


def drop_db(name: str) -> None:
    """Drop a database and its filestore; missing ones are fine."""
    # --force ends sessions still attached, such as a killed Odoo's pool.
    _pg_run(["dropdb", "--if-exists", "--force", name])
    shutil.rmtree(filestore(name), ignore_errors=True)


def copy_db(template: str, name: str) -> None:
    """Create database ``name`` as a copy of ``template``, filestore included."""
    for attempt in range(5):
        result = _pg_run(["createdb", "-T", template, name], check=False)
        if result.returncode == 0:
            break
        # PostgreSQL refuses a template that has a session open on it, which
        # happens briefly while another run copies the same template.
        if "is being accessed by other users" not in result.stderr or attempt == 4:
            raise OdooSetupError(
                f"createdb -T {template} {name} failed: {result.stderr.strip()}"
            )
        time.sleep(2)
    source = filestore(template)
    target = filestore(name)
    shutil.rmtree(target, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, target)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def server_args(odoo: Odoo, dbname: str) -> list[str]:
    """Return the odoo-bin arguments shared by every run: database and paths."""
    settings = db_settings()
    return [
        "-d",
        dbname,
        "--db_host",
        settings.host,
        "--db_port",
        settings.port,
        "--db_user",
        settings.user,
        "--addons-path",
        odoo.addons_path,
        "--data-dir",
        str(data_dir()),
    ]


# -- Template database ----------------------------------------------------------


def template_name(odoo: Odoo) -> str:
    """Return the template's name, which changes with anything it depends on."""
    key = f"{odoo.version}|{','.join(TEMPLATE_MODULES)}|demo=on"
    return TEMPLATE_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:8]


def _template_ready(name: str) -> bool:
    # The filestore is renamed into place last, so its presence marks a
    # template whose build finished.
    return db_exists(name) and filestore(name).is_dir()


def ensure_template(odoo: Odoo, log_path: Path) -> str:
    """Return the template database's name, building it first if needed.

    The build installs TEMPLATE_MODULES with demo data (Odoo 18's default)
    into a scratch database, then renames it, so a build that dies midway
    never leaves a half-built template behind. A lock file keeps two runs
    from building it at the same time.
    """
    name = template_name(odoo)
    if _template_ready(name):
        return name

    lock_path = data_dir() / f"{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _template_ready(name):
            return name
        drop_db(name)
        _build_template(odoo, name, log_path)
    return name


def _build_template(odoo: Odoo, name: str, log_path: Path) -> None:
    scratch = f"{name}_build"
    drop_db(scratch)
    command = [
        *odoo.command(),
        *server_args(odoo, scratch),
        "-i",
        ",".join(TEMPLATE_MODULES),
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads",
        "0",
        "--log-level",
        "warn",
    ]
    print(
        f"Building template database {name} ({', '.join(TEMPLATE_MODULES)} with "
        f"demo data), once; about a minute. Log: {log_path}",
        flush=True,
    )
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        try:
            result = subprocess.run(
                command,
                env=pg_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=TEMPLATE_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            drop_db(scratch)
            raise OdooSetupError(
                f"building template {name} timed out after {TEMPLATE_TIMEOUT} s; "
                f"see {log_path}"
            ) from exc
    errors = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if re.match(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", line)
    ]
    if result.returncode != 0 or errors:
        drop_db(scratch)
        first = errors[0] if errors else f"exit code {result.returncode}"
        raise OdooSetupError(
            f"building template {name} failed: {first}. Full log: {log_path}"
        )

    psql(f'ALTER DATABASE "{scratch}" RENAME TO "{name}"')
    target = filestore(name)
    shutil.rmtree(target, ignore_errors=True)
    source = filestore(scratch)
    if source.is_dir():
        source.rename(target)
    else:
        target.mkdir(parents=True)
    print(f"Template {name} built in {time.monotonic() - started:.0f} s.", flush=True)


def check_scratch_name(name: str) -> None:
    """Raise OdooSetupError when ``name`` must not be dropped and recreated."""
    if name in ("postgres", "template0", "template1") or name.startswith(
        TEMPLATE_PREFIX
    ):
        raise OdooSetupError(
            f"database {name} is a system or template database and would be "
            "dropped; choose another name for the test or demo database."
        )


@contextlib.contextmanager
def scratch_db(template: str, name: str, keep: bool = False):
    """Yield a fresh copy of ``template`` named ``name``; drop it afterwards."""
    check_scratch_name(name)
    drop_db(name)
    copy_db(template, name)
    try:
        yield name
    finally:
        if not keep:
            drop_db(name)


def _main(argv: list[str]) -> int:
    """Answer the Makefile's questions about the local Odoo."""
    if argv[1:] != ["requirements"]:
        print("usage: odoo_env.py requirements", file=sys.stderr)
        return 2
    try:
        odoo = find_odoo()
    except OdooSetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    if odoo and odoo.requirements:
        print(odoo.requirements)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
