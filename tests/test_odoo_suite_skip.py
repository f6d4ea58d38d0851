"""Tests of the entry-point scripts: Odoo discovery, skip path, log verdicts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = REPO_ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))

import odoo_env  # noqa: E402
import run_odoo_tests  # noqa: E402


def _fake_odoo(root: Path, version: str = "18, 0") -> Path:
    """Create the files find_odoo reads in a source tree: release.py, odoo-bin."""
    (root / "odoo").mkdir(parents=True)
    (root / "addons").mkdir()
    (root / "odoo" / "release.py").write_text(
        f"version_info = ({version}, 0, FINAL, 0, '')\n"
    )
    (root / "odoo-bin").write_text("")
    (root / "requirements.txt").write_text("")
    return root


def _run_script(name: str, *args: str, odoo_src: str = "none"):
    env = dict(os.environ, ODOO_SRC=odoo_src)
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


# -- find_odoo ------------------------------------------------------------------


def test_find_odoo_none_disables(monkeypatch):
    monkeypatch.setenv("ODOO_SRC", "none")
    assert odoo_env.find_odoo() is None


def test_find_odoo_missing_default(monkeypatch, tmp_path):
    monkeypatch.delenv("ODOO_SRC", raising=False)
    assert odoo_env.find_odoo(default=tmp_path / "absent") is None


def test_find_odoo_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv("ODOO_SRC", raising=False)
    src = _fake_odoo(tmp_path / "odoo-18.0")
    odoo = odoo_env.find_odoo(default=src)
    assert odoo is not None
    assert odoo.src == src
    assert odoo.origin == "default location"


def test_find_odoo_env_source(monkeypatch, tmp_path):
    src = _fake_odoo(tmp_path / "src")
    monkeypatch.setenv("ODOO_SRC", str(src))
    odoo = odoo_env.find_odoo(default=tmp_path / "absent")
    assert odoo.src == src.resolve()
    assert odoo.version == "18.0"
    assert odoo.origin == "ODOO_SRC"
    assert odoo.requirements == src.resolve() / "requirements.txt"


def test_find_odoo_env_missing_path(monkeypatch, tmp_path):
    monkeypatch.setenv("ODOO_SRC", str(tmp_path / "nowhere"))
    with pytest.raises(odoo_env.OdooSetupError, match="does not exist"):
        odoo_env.find_odoo()


def test_find_odoo_wrong_version(monkeypatch, tmp_path):
    src = _fake_odoo(tmp_path / "odoo17", version="17, 0")
    monkeypatch.setenv("ODOO_SRC", str(src))
    with pytest.raises(odoo_env.OdooSetupError, match="version 17.0"):
        odoo_env.find_odoo()


def test_find_odoo_not_a_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("ODOO_SRC", str(tmp_path))
    with pytest.raises(odoo_env.OdooSetupError, match="not an Odoo source tree"):
        odoo_env.find_odoo()


def test_odoo_paths_and_command(tmp_path):
    src = _fake_odoo(tmp_path / "src")
    odoo = odoo_env.Odoo(src=src, version="18.0", origin="test")
    assert odoo.addons_path == f"{src / 'addons'},{REPO_ROOT}"
    assert odoo.command("python3") == ["python3", str(src / "odoo-bin")]


def test_template_name_stable():
    odoo = odoo_env.Odoo(src=Path("/a"), version="18.0", origin="test")
    other_tree = odoo_env.Odoo(src=Path("/b"), version="18.0", origin="test")
    name = odoo_env.template_name(odoo)
    assert name.startswith("tcq_tmpl_")
    assert len(name) == len("tcq_tmpl_") + 8
    assert odoo_env.template_name(other_tree) == name


def test_server_args_hide_password(monkeypatch, tmp_path):
    monkeypatch.setenv("PGPASSWORD", "s3cret-value")
    odoo = odoo_env.Odoo(src=_fake_odoo(tmp_path / "src"), version="18.0", origin="t")
    args = odoo_env.server_args(odoo, "tcq_x")
    assert "s3cret-value" not in args
    assert odoo_env.pg_env()["PGPASSWORD"] == "s3cret-value"


def test_scratch_name_rejects_templates():
    for name in ("postgres", "template1", "tcq_tmpl_0123abcd"):
        with pytest.raises(odoo_env.OdooSetupError, match="choose another name"):
            odoo_env.check_scratch_name(name)
    odoo_env.check_scratch_name("tcq_test_42")


# -- scripts without Odoo -------------------------------------------------------


def test_runner_skips_without_odoo():
    result = _run_script("run_odoo_tests.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == odoo_env.SKIP_MESSAGE


def test_runner_fails_on_bad_odoo_src(tmp_path):
    result = _run_script("run_odoo_tests.py", odoo_src=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "does not exist" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "odoo: 0 passed, 1 failed"


def test_demo_without_odoo():
    result = _run_script("demo.py", "--no-serve")
    assert result.returncode == 1
    assert "ODOO_SRC" in result.stderr
    assert "/opt/odoo-18.0" in result.stderr
    assert "python -m tatacliq_sandbox" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_odoo_env_prints_requirements(tmp_path):
    src = _fake_odoo(tmp_path / "src")
    result = _run_script("odoo_env.py", "requirements", odoo_src=str(src))
    assert result.returncode == 0
    assert result.stdout.strip() == str(src.resolve() / "requirements.txt")


# -- Odoo log verdicts ------------------------------------------------------------

PREFIX = "2025-01-10 10:00:00,123 4242"
MODULE = "odoo.addons.tatacliq_connector.tests.test_sync"


def _scan(*lines: str) -> run_odoo_tests.Outcome:
    scanner = run_odoo_tests.LogScanner()
    for line in lines:
        for part in line.split("\n"):
            scanner.feed(part + "\n")
    return scanner.close()


def _result_line(failed: int, errors: int, run: int, level: str = "INFO") -> str:
    return (
        f"{PREFIX} {level} tcq odoo.tests.result: {failed} failed, {errors} "
        f"error(s) of {run} tests when loading database 'tcq'"
    )


def test_log_clean_run():
    outcome = _scan(
        f"{PREFIX} INFO tcq {MODULE}: Starting TestSync.test_pull ...",
        f"{PREFIX} INFO tcq odoo.modules.loading: 12 modules loaded",
        _result_line(0, 0, 7),
    )
    assert outcome.problems() == []
    assert outcome.passed == 7
    assert outcome.failed_total == 0


def test_log_failure_counted():
    outcome = _scan(
        f"{PREFIX} ERROR tcq {MODULE}: FAIL: TestSync.test_pull\n"
        "Traceback (most recent call last):\n"
        "AssertionError: 2 != 3",
        f"{PREFIX} ERROR tcq odoo.modules.loading: Module tatacliq_connector: "
        "1 failures, 0 errors of 7 tests",
        f"{PREFIX} ERROR tcq odoo.modules.loading: At least one test failed "
        "when loading the modules.",
        _result_line(1, 0, 7, level="ERROR"),
    )
    assert outcome.failed_total == 1
    assert outcome.passed == 6
    assert outcome.stray_errors == []
    assert "AssertionError: 2 != 3" in outcome.error_records[0].text
    assert outcome.problems() == ["1 test(s) failed, 0 errored"]


def test_log_stray_error_fails():
    outcome = _scan(
        f"{PREFIX} ERROR tcq odoo.addons.tatacliq_connector.models.x: "
        "sync failed on channel 3",
        _result_line(0, 0, 7),
    )
    assert len(outcome.stray_errors) == 1
    assert outcome.failed_total == 1
    assert outcome.problems()


def test_log_browser_skip_fails():
    outcome = _scan(
        f"{PREFIX} WARNING tcq {MODULE}: websocket-client module is not installed",
        f"{PREFIX} INFO tcq {MODULE}: skipped TestTour.test_tour : "
        "websocket-client module is not installed",
        f"{PREFIX} INFO tcq {MODULE}: skipped TestSync.test_sftp : needs paramiko",
        _result_line(0, 0, 7),
    )
    assert len(outcome.skipped) == 2
    assert outcome.browser_skips == [
        ("TestTour.test_tour", "websocket-client module is not installed")
    ]
    assert outcome.passed == 5
    assert outcome.failed_total == 1
    assert any("browser test skipped" in p for p in outcome.problems())


def test_log_chrome_missing_fails():
    outcome = _scan(
        f"{PREFIX} INFO tcq {MODULE}: skipped TestTour.test_tour : "
        "Chrome executable not found",
        _result_line(0, 0, 1),
    )
    assert len(outcome.browser_skips) == 1


def test_log_zero_tests_fails():
    outcome = _scan(_result_line(0, 0, 0, level="WARNING"))
    assert outcome.problems() == ["no test ran (is the addon installable and tagged?)"]


def test_log_missing_result_fails():
    outcome = _scan(
        "Traceback (most recent call last):\n"
        "ModuleNotFoundError: No module named 'psycopg2'"
    )
    assert outcome.tests_run is None
    assert len(outcome.stray_errors) == 1
    assert "Odoo never logged a test result line" in outcome.problems()


# -- demo smoke run -----------------------------------------------------------------


def _distinct_free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(odoo_env.free_port())
    return sorted(ports)


def _summary_number(output: str, label: str) -> int:
    for line in output.splitlines():
        if line.startswith(label):
            return int(line[len(label) :].split()[0])
    raise AssertionError(f"no {label!r} line in the demo output:\n{output}")


def test_demo_imports_orders():
    """Run scripts/demo.py --no-serve end to end: sandbox, Odoo, one sync."""
    odoo = odoo_env.find_odoo()
    if odoo is None:
        pytest.skip(odoo_env.SKIP_MESSAGE)
    odoo_port, sandbox_port, sftp_port = _distinct_free_ports(3)
    dbname = f"tcq_demo_smoke_{os.getpid()}"

    try:
        result = subprocess.run(
            [
                sys.executable,
                str(SCRIPTS / "demo.py"),
                "--no-serve",
                "--db",
                dbname,
                "--odoo-port",
                str(odoo_port),
                "--sandbox-port",
                str(sandbox_port),
                "--sftp-port",
                str(sftp_port),
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=900,
            check=False,
        )
    finally:
        odoo_env.drop_db(dbname)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert _summary_number(result.stdout, "Lines imported:") > 0
    assert "Connection:      ok" in result.stdout
    assert _summary_number(result.stdout, "Sale orders:") > 0
    assert f"http://127.0.0.1:{sandbox_port}" in result.stdout
    assert not odoo_env.port_in_use(odoo_port)
    assert not odoo_env.port_in_use(sandbox_port)
