"""Shared helpers of bench_power.py and bench_speed.py: run our suite, serve the mock, run
plain Schemathesis, and parse what each reports.

Every run is a subprocess with its own temporary folder, so the benchmarks never touch
/work/main/reports, .hypothesis or .schemathesis, and a hung run is killed by its timeout.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.attribution import Finding, findings

LIVE_REPO = Path(__file__).resolve().parent.parent
REPO = LIVE_REPO  # where children run: the live tree, or a snapshot of it (see snapshot())
SPEC = REPO / "flexie-api.json"
API_KEY = "acme-demo-key"
QUICK_EXAMPLES = 12  # max_examples of our quick profile (conformance/config/profiles.py)
DEFAULT_TIMEOUT = 900.0

_PRINT_LOCK = threading.Lock()
_START = time.monotonic()


class BenchError(Exception):
    """A run that could not be measured; its message is one line for the user."""


def progress(message: str) -> None:
    """One timestamped progress line on stderr (these benchmarks take minutes)."""
    with _PRINT_LOCK:
        print(f"[{time.monotonic() - _START:7.1f}s load {os.getloadavg()[0]:4.1f}] {message}",
              file=sys.stderr, flush=True)


def _env() -> dict[str, str]:
    """The environment of every child: the repo importable, no colours, no live target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEXIE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Proc:
    """What a finished child process left: exit code, wall time and its output."""

    rc: int
    wall_s: float
    stdout: str
    stderr: str
    timed_out: bool = False


_CHILDREN: set[int] = set()  # process groups we started and that still run
_STOPPING = threading.Event()


def spawn(cmd: Sequence[str], cwd: Path | str, **kwargs: Any) -> subprocess.Popen[Any]:
    """Start a child in its own process group (so its own children go with it) and track it,
    so stop_all() can end it; refused once the benchmark is stopping."""
    if _STOPPING.is_set():
        raise BenchError("interrupted")
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=_env(), start_new_session=True, **kwargs)
    _CHILDREN.add(proc.pid)
    return proc


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL one child's process group, by its id."""
    _killpg(proc.pid)
    proc.wait()
    _CHILDREN.discard(proc.pid)


def stop_all() -> None:
    """On Ctrl-C: end every process group this benchmark started, and start no more (the
    children have their own sessions, so the terminal's SIGINT does not reach them)."""
    _STOPPING.set()
    for pid in list(_CHILDREN):
        _killpg(pid)


def run_jobs(work: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    """`work` on every item, `jobs` at a time, results in the items' order. On Ctrl-C or an
    error every run this benchmark started is stopped (the other job's too) before it is
    raised: a pool's exit would otherwise wait for them."""
    if jobs <= 1:
        return [work(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        return list(pool.map(work, items))
    except BaseException:
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def exits_cleanly(name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """A benchmark's `main`: a BenchError is one line and exit 2; Ctrl-C stops every run it
    started and exits 130, saying so."""
    def wrap(main: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> int:
            try:
                return main(*args, **kwargs)
            except BenchError as exc:
                print(f"{name}: error: {exc}", file=sys.stderr)
                return 2
            except KeyboardInterrupt:
                stop_all()
                print(f"{name}: interrupted; every run it started was stopped", file=sys.stderr)
                return 130
        return run
    return wrap


def run_proc(cmd: Sequence[str], cwd: Path, timeout: float) -> Proc:
    """Run a command, timed; on timeout kill its process group and say so."""
    start = time.perf_counter()
    proc = spawn(cmd, cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return Proc(proc.returncode, time.perf_counter() - start, out, err)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        return Proc(-9, time.perf_counter() - start, out, err, timed_out=True)
    finally:
        if proc.poll() is None:  # interrupted while waiting
            kill_group(proc)
        _CHILDREN.discard(proc.pid)


_NOT_COPIED = (".git", "reports", ".hypothesis", ".schemathesis", ".benchmarks", ".ci",
               "__pycache__", ".pytest_cache", ".ruff_cache", ".tox", ".venv", "*.egg-info")


@contextmanager
def snapshot(enabled: bool = True) -> Iterator[Path]:
    """Run every child from a copy of the tree taken now: others edit it while a benchmark
    runs for minutes, and a mid-run edit would make its runs incomparable. The copy is
    deleted afterwards; `enabled=False` runs the live tree."""
    global REPO, SPEC
    if not enabled:
        yield REPO
        return
    live = REPO
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(live, copy, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        REPO, SPEC = copy, copy / "flexie-api.json"
        try:
            yield copy
        finally:
            REPO, SPEC = live, live / "flexie-api.json"


def last_line(text: str) -> str:
    """The last non-empty line, for one-line error messages."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# --- our suite ------------------------------------------------------------------------------

@dataclass
class SuiteRun:
    """One `pytest conformance` run, as measured from outside."""

    args: list[str]
    rc: int
    wall_s: float
    pytest_s: float | None  # the "in N s" pytest prints (no interpreter start-up)
    test_cases: int | None  # sum of operations[*].test_cases in conformance.json
    failures: int | None  # summary.failures.total in conformance.json
    verdict: str | None
    first_failed: str | None  # the first FAILED/ERROR line's test id
    first_check: str | None  # the first failure of conformance.json: its check and operation
    error: str | None = None
    report_written: bool = True  # False: the run ended without conformance.json
    crash: str | None = None  # the last line of a Python traceback in the output, if any
    tail: list[str] = field(default_factory=list)  # the output's last lines, to diagnose
    requests: int | None = None  # traffic.requests of conformance.json: every request sent
    budget: dict[str, Any] | None = None  # its budget section (limit, planned, spent, ...)
    #: conformance.json's failures (check, operation, warning), in order: what attribution reads
    found: list[Finding] = field(default_factory=list)

    @property
    def detected(self) -> bool:
        """pytest's exit code 1 means tests failed; 2-5 mean the run itself broke."""
        return self.rc == 1


_FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)
_PYTEST_TIME = re.compile(r"^=*\s*.*\bin ([0-9.]+)s\b", re.MULTILINE)


_EXIT = re.compile(r"^!+ _pytest\.outcomes\.Exit: (.+?) !+$", re.MULTILINE)


def first_failed(output: str) -> str | None:
    """The id of the first test pytest's short summary names as FAILED or ERROR, else the
    message of a pytest.exit() that ended the run (the suite aborts when its setup fails)."""
    match = _FAILED.search(output)
    if match:
        return match.group(1).removeprefix("conformance/")
    stopped = _EXIT.search(output)
    return f"exit: {stopped.group(1)}" if stopped else None


_EXCEPTION = re.compile(r"^(?:INTERNALERROR> )?[A-Za-z_][\w.]*(?:Error|Exception): .*$")


def crash_line(output: str) -> str | None:
    """The exception that ended the process: an INTERNALERROR, or an uncaught traceback whose
    exception line is the output's last line (failing tests print tracebacks too)."""
    internal = [line for line in output.splitlines() if line.startswith("INTERNALERROR>")]
    if internal:
        return internal[-1]
    last = last_line(output)
    if "Traceback (most recent call last)" in output and _EXCEPTION.match(last):
        return last
    return None


def pytest_seconds(output: str) -> float | None:
    """The duration from pytest's last summary line ("1 failed, 2 passed in 1.68s")."""
    found = _PYTEST_TIME.findall(output)
    return float(found[-1]) if found else None


def suite_summary(report: dict[str, Any]) -> tuple[int, int, str | None, str | None]:
    """Test cases sent, failures, verdict and the first failure from conformance.json."""
    cases = sum(int(op.get("test_cases") or 0) for op in report.get("operations", []))
    total = int(report.get("summary", {}).get("failures", {}).get("total", 0))
    first = None
    if report.get("failures"):
        f = report["failures"][0]
        where = f.get("operation") or f.get("id", "")
        first = f"{f.get('kind', '?')}: {f.get('check', '?')} @ {where}"
    return cases, total, report.get("verdict"), first


def run_suite(extra: Sequence[str], seed: int, timeout: float = DEFAULT_TIMEOUT,
              profile: str = "quick") -> SuiteRun:
    """Run our suite (quick profile unless told) with `extra` options, reports in a
    temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        args = ["--flexie-profile", profile, "--flexie-seed", str(seed), *extra]
        cmd = [sys.executable, "-m", "pytest", "conformance", "-p", "no:cacheprovider",
               "-q", "-rfE", "--flexie-reports", tmp, *args]
        proc = run_proc(cmd, REPO, timeout)
        output = proc.stdout + proc.stderr
        report_path = Path(tmp) / "conformance.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    cases, total, verdict, first = suite_summary(report) if report else (None, None, None, None)
    error = None
    if proc.timed_out:
        error = f"timed out after {timeout:.0f}s"
    elif proc.rc not in (0, 1):
        error = f"pytest exit {proc.rc}: {last_line(output)}"
    return SuiteRun(args, proc.rc, proc.wall_s, pytest_seconds(proc.stdout), cases, total,
                    verdict, first_failed(output), first, error, report_written=bool(report),
                    crash=crash_line(output), tail=output.splitlines()[-25:],
                    requests=(report.get("traffic") or {}).get("requests"),
                    budget=report.get("budget"), found=findings(report))


# --- the mock over HTTP ---------------------------------------------------------------------

_URL = re.compile(r"Flexie mock workspace at (\S+)")


@contextmanager
def mock_server(faults: Sequence[str] = (), startup_s: float = 30.0) -> Iterator[str]:
    """A fresh `python -m workspace` on a free loopback port; yields its /api URL, then stops
    it (SIGTERM, SIGKILL after 10 s). A separate process, so it never shares our GIL."""
    with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp:
        log = Path(tmp) / "mock.log"
        cmd = [sys.executable, "-m", "workspace", "--host", "127.0.0.1", "--port", "0"]
        for fault in faults:
            cmd += ["--fault", fault]
        with log.open("w") as out:
            proc = spawn(cmd, tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield _wait_for_url(proc, log, startup_s)
        finally:
            _stop(proc)


def _wait_for_url(proc: subprocess.Popen[bytes], log: Path, startup_s: float) -> str:
    """Poll the server's log for the URL it prints; a one-line error if it never comes."""
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        text = log.read_text()
        match = _URL.search(text)
        if match and match.group(1).startswith("http://127.0.0.1:"):
            return match.group(1)
        if proc.poll() is not None:
            raise BenchError(f"mock server exited {proc.returncode}: {last_line(text)}")
        time.sleep(0.05)
    raise BenchError(f"mock server printed no URL within {startup_s:.0f}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server we started, by its pid only: SIGTERM lets it close cleanly."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(proc)
    _CHILDREN.discard(proc.pid)


# --- plain Schemathesis ---------------------------------------------------------------------

@dataclass
class StRun:
    """One `schemathesis run`, from its exit code and its JSON run report."""

    args: list[str]
    rc: int
    wall_s: float
    running_s: float | None  # Schemathesis' own running_time (no interpreter start-up)
    outcome: str  # passed | failures | errors | failures+errors | crashed | timeout
    test_cases: int | None  # "Test cases: N generated"
    failures: list[dict[str, Any]] = field(default_factory=list)  # code, title, operations
    errors: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def detected(self) -> bool:
        """Failures found (errors alone are not a detection: the run broke)."""
        return self.outcome in ("failures", "failures+errors")

    def signatures(self) -> set[str]:
        """Each failure as "CODE METHOD /path", to compare runs."""
        return {f"{f['code']} {op}" for f in self.failures for op in f.get("operations", [])}

    def first_failure(self) -> str | None:
        """The first failure kind and operation the report lists."""
        if not self.failures:
            return None
        f = self.failures[0]
        ops = f.get("operations") or ["?"]
        return f"{f['code']} {f.get('title', '')} @ {ops[0]}"


def schemathesis_exe() -> list[str]:
    """The schemathesis script of this interpreter (not a pyenv shim: that adds start-up)."""
    local = Path(sys.executable).parent / "schemathesis"
    if local.exists():
        return [sys.executable, str(local)]
    found = shutil.which("schemathesis")
    if not found:
        raise BenchError("schemathesis is not installed (pip install schemathesis)")
    return [found]


_GENERATED = re.compile(r"^\s*(\d+) generated\b", re.MULTILINE)


def run_schemathesis(url: str, seed: int, examples: int = QUICK_EXAMPLES, workers: int = 1,
                     stop_first: bool = False, phases: str | None = None,
                     timeout: float = DEFAULT_TIMEOUT, spec: Path | None = None) -> StRun:
    """`schemathesis run` with its default checks on `spec` (default the contract); in a
    temporary folder so its example database and reports stay out of the repo, and with no
    example database so every run starts from the same seed alone."""
    args = ["-n", str(examples), "--seed", str(seed), "-w", str(workers),
            "--generation-database", "none"]
    if stop_first:
        args += ["--max-failures", "1"]
    if phases:
        args += ["--phases", phases]
    with tempfile.TemporaryDirectory(prefix="bench-st-") as tmp:
        report_path = Path(tmp) / "st.json"
        cmd = [*schemathesis_exe(), "run", str(spec or SPEC), "--url", url,
               "-H", f"apikey: {API_KEY}",
               "--no-color", *args, "--report", "json", "--report-json-path", str(report_path)]
        proc = run_proc(cmd, Path(tmp), timeout)
        report = json.loads(report_path.read_text()) if report_path.exists() else None
    return _st_result(args, proc, report, timeout)


def _st_result(args: list[str], proc: Proc, report: dict[str, Any] | None,
               timeout: float) -> StRun:
    """Classify a Schemathesis run: failures found, errored, passed or crashed."""
    generated = _GENERATED.findall(proc.stdout)
    cases = int(generated[-1]) if generated else None
    if proc.timed_out:
        return StRun(args, proc.rc, proc.wall_s, None, "timeout", cases,
                     error=f"timed out after {timeout:.0f}s")
    if report is None:
        message = last_line(proc.stderr) or last_line(proc.stdout)
        return StRun(args, proc.rc, proc.wall_s, None, "crashed", cases,
                     error=f"schemathesis exit {proc.rc}: {message}")
    failures = [{"code": f.get("code"), "title": f.get("title"), "count": f.get("count"),
                 "operations": f.get("operations", [])} for f in report.get("failures", [])]
    errors = [json.dumps(e)[:200] for e in report.get("errors", [])]
    kinds = [k for k, v in (("failures", failures), ("errors", errors)) if v]
    outcome = "+".join(kinds) or ("passed" if proc.rc == 0 else "crashed")
    cases = report.get("test_cases", {}).get("generated", cases)
    return StRun(args, proc.rc, proc.wall_s, report.get("running_time"), outcome, cases,
                 failures, errors)


# --- the account-adapted spec ---------------------------------------------------------------

@dataclass
class _Answer:
    status: int
    json: Any


class _UrlTarget:
    """Just enough of conformance.engine.target.Target for
    conformance.engine.narrowing.account_fields: GET with the demo key over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def request(self, method: str, path: str) -> _Answer:
        import urllib.error
        import urllib.request
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"apikey": API_KEY})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return _Answer(reply.status, json.loads(reply.read() or b"null"))
        except urllib.error.HTTPError as exc:
            return _Answer(exc.code, None)


def write_adapted_spec(url: str, dest: Path) -> float:
    """Write the spec our suite generates from: the contract narrowed to the account behind
    `url` (its custom fields, read as conformance/engine/session_setup.py reads them). Plain
    Schemathesis given this file gets the same inputs as our suite. Returns the seconds the
    narrowing took (our suite pays them inside its own wall time)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from conformance.engine.narrowing import account_fields, narrow
    from contract.spec import load_spec

    start = time.perf_counter()
    raw = narrow(load_spec(SPEC), account_fields(_UrlTarget(url), "projects"))
    dest.write_text(json.dumps(raw))
    return time.perf_counter() - start


# --- small shared formatting ----------------------------------------------------------------

def median(values: Sequence[float | None]) -> float | None:
    """The median of the measured values (None when none were measured)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def fmt(value: float | None, spec: str = ".1f", none: str = "-") -> str:
    """A number for a table cell, or a dash when it was not measured."""
    return none if value is None else format(value, spec)


def save_json(path: Path, data: dict[str, Any]) -> None:
    """Write the results; the path's folder is created if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=_default) + "\n")


def _default(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def machine() -> dict[str, Any]:
    """Where the figures come from: they only mean something beside this (the load average
    shows how busy the shared machine was; the commit and dirty files, which tree ran)."""
    import platform

    import schemathesis
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "schemathesis": schemathesis.__version__,
            "loadavg": os.getloadavg(), "commit": _git("rev-parse", "HEAD"),
            "dirty": _git("status", "--porcelain").splitlines()}


def _git(*args: str) -> str:
    """A read-only git query about the tree under test ("" if git is unavailable)."""
    try:
        out = subprocess.run(["git", *args], cwd=LIVE_REPO, capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.rstrip()
