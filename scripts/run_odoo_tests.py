"""Run the tatacliq_connector Odoo test suite on a fresh database.

Each run copies a template database that already has the connector's
dependencies installed with demo data (built once, then reused), installs
tatacliq_connector with --test-enable, and reads Odoo's log to decide the
outcome. The run fails when a test fails or errors, when Odoo logs any ERROR
or CRITICAL line, when a browser test was skipped because Chromium or
websocket-client is missing, or when no test ran at all.

The full Odoo log goes to var/odoo-tests-<db>.log. The last line printed is
``odoo: N passed, N failed`` (failed counts test errors too), unless no Odoo
18.0 is installed: then one SKIPPED line is printed and the exit code is 0.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import odoo_env  # noqa: E402

# One Odoo log record starts with this prefix; the lines after it that do not
# (tracebacks, multi-line messages) belong to the same record.
RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (?P<pid>\d+) "
    r"(?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[^\s:]+): (?P<message>.*)$"
)
# odoo.tests.result, once per database at the end of the run (Odoo 18.0
# OdooTestResult.__str__).
RESULT = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests"
)
# OdooTestResult.addSkip logs "skipped <test> : <reason>" at INFO.
SKIPPED = re.compile(r"^skipped (?P<test>.+?) : (?P<reason>.*)$")
# Reasons Odoo 18.0's ChromeBrowser gives when it cannot drive a browser:
# "websocket-client module is not installed", "Chrome executable not found",
# "<path to chrome> not found", "Cannot connect to chrome dev tools", ...
BROWSER_SKIP = re.compile(r"websocket|chrom|devtools", re.IGNORECASE)
# ERROR records that report a test outcome already counted by RESULT; the
# per-module line comes from odoo.modules.loading after at_install tests.
TEST_OUTCOME = re.compile(
    r"^(FAIL|ERROR): |^At least one test failed|^Test suite halted|"
    r"^Module \S+: \d+ failures, \d+ errors of \d+ tests|" + RESULT.pattern
)
# Output before Odoo's logging starts that means the server crashed.
CRASH = re.compile(r"Traceback|\w+Error")
TESTS_TIMEOUT = 2400


@dataclass
class Record:
    level: str
    logger: str
    message: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Outcome:
    """Test counts and log records collected from one Odoo run."""

    tests_run: int | None = None
    failed: int = 0
    errors: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    browser_skips: list[tuple[str, str]] = field(default_factory=list)
    error_records: list[Record] = field(default_factory=list)
    stray_errors: list[Record] = field(default_factory=list)
    warnings: list[Record] = field(default_factory=list)

    @property
    def failed_total(self) -> int:
        """Return failures + errors + browser skips + errors logged outside tests."""
        return (
            self.failed + self.errors + len(self.browser_skips) + len(self.stray_errors)
        )

    @property
    def passed(self) -> int:
        run = self.tests_run or 0
        # unittest counts a skipped test in testsRun.
        return max(run - self.failed - self.errors - len(self.skipped), 0)

    def problems(self) -> list[str]:
        """Return why the run failed, one sentence each; empty when it passed."""
        reasons = []
        if self.tests_run is None:
            reasons.append("Odoo never logged a test result line")
        elif self.tests_run == 0:
            reasons.append("no test ran (is the addon installable and tagged?)")
        if self.failed or self.errors:
            reasons.append(f"{self.failed} test(s) failed, {self.errors} errored")
        for test, reason in self.browser_skips:
            reasons.append(f"browser test skipped: {test}: {reason}")
        if self.stray_errors:
            reasons.append(
                f"{len(self.stray_errors)} ERROR/CRITICAL line(s) logged outside "
                "a test outcome"
            )
        return reasons


class LogScanner:
    """Group Odoo log lines into records and collect the outcome."""

    def __init__(self, on_record=None):
        self.outcome = Outcome()
        self._current: Record | None = None
        self._on_record = on_record

    def feed(self, line: str) -> None:
        line = line.rstrip("\n")
        match = RECORD.match(line)
        if match:
            self._finish()
            self._current = Record(
                level=match["level"],
                logger=match["logger"],
                message=match["message"].rstrip(),
                lines=[line],
            )
        elif self._current:
            self._current.lines.append(line)
        elif line.strip():
            # Output before the first record: a crash before logging starts.
            self._current = Record("OUTPUT", "", line, [line])

    def close(self) -> Outcome:
        self._finish()
        return self.outcome

    def _finish(self) -> None:
        record, self._current = self._current, None
        if record is None:
            return
        self._classify(record)
        if self._on_record:
            self._on_record(record)

    def _classify(self, record: Record) -> None:
        outcome = self.outcome
        if record.logger == "odoo.tests.result":
            result = RESULT.search(record.message)
            if result:
                outcome.tests_run = (outcome.tests_run or 0) + int(result["run"])
                outcome.failed += int(result["failed"])
                outcome.errors += int(result["errors"])

        skipped = SKIPPED.match(record.message)
        if skipped and record.level == "INFO":
            entry = (skipped["test"], skipped["reason"])
            outcome.skipped.append(entry)
            if BROWSER_SKIP.search(skipped["reason"]):
                outcome.browser_skips.append(entry)

        if record.level in ("ERROR", "CRITICAL"):
            outcome.error_records.append(record)
            if not TEST_OUTCOME.search(record.message):
                outcome.stray_errors.append(record)
        elif record.level == "WARNING":
            outcome.warnings.append(record)
        elif record.level == "OUTPUT" and CRASH.match(record.message):
            outcome.stray_errors.append(record)


def _progress(record: Record) -> None:
    """Print a short live view: tests starting, and warnings or worse."""
    if record.message.startswith("Starting ") and ".tests." in record.logger:
        print(f"  {record.message}", flush=True)
    elif record.level in ("WARNING", "ERROR", "CRITICAL", "OUTPUT"):
        print(f"  {record.level}: {record.lines[0][:300]}", flush=True)


def run_odoo(command: list[str], log_path: Path, timeout: int) -> tuple[int, Outcome]:
    """Run Odoo, stream its output into ``log_path`` and scan it."""
    scanner = LogScanner(on_record=_progress)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            env=odoo_env.pg_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            cwd=odoo_env.REPO_ROOT,
        )
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            for line in process.stdout:
                log.write(line)
                scanner.feed(line)
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
    outcome = scanner.close()
    if timed_out.is_set():
        outcome.stray_errors.append(
            Record("CRITICAL", "run_odoo_tests", f"killed after {timeout} s")
        )
    return returncode, outcome


def report(outcome: Outcome, returncode: int, log_path: Path) -> bool:
    """Print the failures and the closing line; return True when the run passed."""
    problems = outcome.problems()
    if returncode != 0:
        problems.append(f"Odoo exited with code {returncode}")

    if outcome.error_records:
        print("\n=== Odoo failures and errors ===")
        for record in outcome.error_records:
            print(record.text)
            print("-" * 70)
    if outcome.skipped:
        print(f"\nSkipped tests ({len(outcome.skipped)}):")
        for test, reason in outcome.skipped:
            print(f"  {test}: {reason}")
    if outcome.warnings:
        print(f"\n{len(outcome.warnings)} warning(s) in the Odoo log.")
    print(f"Full Odoo log: {log_path}")
    for problem in problems:
        print(f"FAILED: {problem}")

    failed = outcome.failed_total
    if problems and failed == 0:
        # The run failed before any test could: count that as one failure.
        failed = 1
    line = f"odoo: {outcome.passed} passed, {failed} failed"
    # A browser skip is already counted as failed.
    skipped = len(outcome.skipped) - len(outcome.browser_skips)
    if skipped:
        line += f", {skipped} skipped"
    print(line, flush=True)
    return not problems


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tags",
        default=f"/{odoo_env.ADDON}",
        help="value for Odoo's --test-tags (default: %(default)s)",
    )
    parser.add_argument(
        "--db",
        default=f"tcq_test_{os.getpid()}",
        help="name of the test database, dropped first if it exists "
        "(default: tcq_test_<pid>)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the test database and its filestore after the run",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=TESTS_TIMEOUT,
        help="seconds before the Odoo process is killed (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        odoo = odoo_env.find_odoo()
    except odoo_env.OdooSetupError as exc:
        print(f"FAILED: {exc}")
        print("odoo: 0 passed, 1 failed")
        return 1
    if odoo is None:
        print(odoo_env.SKIP_MESSAGE, flush=True)
        return 0

    manifest = odoo_env.REPO_ROOT / odoo_env.ADDON / "__manifest__.py"
    if not manifest.is_file():
        print(f"FAILED: {manifest} is missing, so there is no addon to test.")
        print("odoo: 0 passed, 1 failed")
        return 1

    print(f"Odoo {odoo.version} from {odoo.src} ({odoo.origin})", flush=True)
    log_path = odoo_env.VAR_DIR / f"odoo-tests-{args.db}.log"
    try:
        odoo_env.check_postgres()
        template = odoo_env.ensure_template(
            odoo, odoo_env.VAR_DIR / "odoo-template.log"
        )
        with odoo_env.scratch_db(template, args.db, keep=args.keep):
            port = odoo_env.free_port()
            command = [
                *odoo.command(),
                *odoo_env.server_args(odoo, args.db),
                "-i",
                odoo_env.ADDON,
                "--test-enable",
                "--test-tags",
                args.tags,
                "--stop-after-init",
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(port),
                "--max-cron-threads",
                "0",
                "--log-level",
                "test",
            ]
            print(
                f"Testing {odoo_env.ADDON} on database {args.db} "
                f"(copy of {template}), tags {args.tags}",
                flush=True,
            )
            started = time.monotonic()
            returncode, outcome = run_odoo(command, log_path, args.timeout)
            print(f"Odoo finished in {time.monotonic() - started:.0f} s.")
            if args.keep:
                print(f"Kept database {args.db}; drop it with: dropdb {args.db}")
    except odoo_env.OdooSetupError as exc:
        print(f"FAILED: {exc}")
        print("odoo: 0 passed, 1 failed")
        return 1

    return 0 if report(outcome, returncode, log_path) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
