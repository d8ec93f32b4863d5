"""A fleet of accounts: each workspace paced on its own, accounts verified side by side and
shared out across jobs, against the mock serving generated accounts with a limit per key."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from conformance.config.options import OptionError
from conformance.config.settings import Settings, parse_shard
from conformance.config.shard import fleet_share, share
from conformance.engine.ledger import read_outstanding
from conformance.engine.pacing import workspace_pace
from conformance.engine.target import make_target
from tests.suite_runner import ROOT, run_suite
from workspace import create_app
from workspace.fleet import TYPES, account_name, fleet_toml, write_fleet
from workspace.limits import PerKeyLimit
from workspace.server import serve_in_thread

HANG_GUARD_S = 900


# --- the mock's limit per key --------------------------------------------------------------

def _ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


def _status(limit: PerKeyLimit, key: str) -> tuple[str, dict]:
    seen: dict = {}
    limit({"HTTP_APIKEY": key, "QUERY_STRING": ""},
          lambda status, headers: seen.update(status=status, headers=dict(headers)))
    return seen["status"], seen["headers"]


def test_the_mock_limits_each_key_on_its_own():
    now = [100.0]
    limit = PerKeyLimit(_ok, 2, clock=lambda: now[0])
    assert [_status(limit, "a")[0][:3] for _ in range(3)] == ["200", "200", "429"]
    status, headers = _status(limit, "a")
    assert status.startswith("429") and headers["Retry-After"] == "1"
    assert _status(limit, "b")[0].startswith("200"), "another key waits for nobody"
    now[0] += 0.5  # one token back for "a" (two a second)
    assert _status(limit, "a")[0].startswith("200")
    assert limit.refused == {"a": 2}


# --- pacing per workspace ------------------------------------------------------------------

def _send(target, count: int) -> None:
    for _ in range(count):
        assert target.request("GET", "/users/self").status == 200


def test_each_workspace_keeps_its_own_rate_limit(tmp_path):
    """Two accounts at 4 requests a second each, side by side: 5 requests each take about a
    second, not the two a shared limit would impose."""
    settings = Settings(rate_limit=4.0, reports=tmp_path, pace_file=tmp_path / "pace")
    app = create_app()
    targets = [make_target(settings, base_url="http://localhost/api", apikey=key, app=app)
               for key in ("acme-demo-key", "globex-demo-key")]
    assert targets[0].pace.rate is not targets[1].pace.rate
    started = time.monotonic()
    threads = [threading.Thread(target=_send, args=(t, 5)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    assert 0.95 <= took < 1.9, f"{took:.2f} s: the workspaces did not keep their own pace"
    same = make_target(settings, base_url="http://localhost/api", apikey="acme-demo-key",
                       app=app)
    assert same.pace is targets[0].pace, "one workspace, one pace, whoever sends"


def test_a_429_from_one_workspace_slows_that_workspace_only(tmp_path):
    limited = PerKeyLimit(create_app(), 1)
    base, stop = serve_in_thread(limited, host="127.0.0.1", port=0)
    try:
        settings = Settings(reports=tmp_path, pace_file=tmp_path / "pace")
        busy, calm = (make_target(settings, base_url=base + "/api", apikey=key)
                      for key in ("acme-demo-key", "globex-demo-key"))
        _send(busy, 1)
        waiting = threading.Thread(target=_send, args=(busy, 1))  # 429, waits about 1 s
        waiting.start()
        time.sleep(0.1)
        started = time.monotonic()
        _send(calm, 1)
        calm_took = time.monotonic() - started
        waiting.join()
    finally:
        stop()
    assert limited.refused.get("acme-demo-key", 0) >= 1
    assert busy.traffic.total_retries >= 1
    assert calm_took < 0.5, f"the other workspace waited {calm_took:.2f} s"


def test_a_429_defers_every_request_to_its_workspace(tmp_path):
    """Retry-After holds for the workspace: the next request of any thread or process waits."""
    settings = Settings(rate_limit=100.0, reports=tmp_path, pace_file=tmp_path / "pace")
    pace = workspace_pace(settings, "http://x/api key")
    other = workspace_pace(settings, "http://x/api other-key")
    pace.defer(0.4)
    started = time.monotonic()
    other.take()
    assert time.monotonic() - started < 0.2, "another workspace does not wait"
    workspace_pace(settings, "http://x/api key").take()
    assert time.monotonic() - started >= 0.35


# --- the options ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "-1/3"])
def test_a_bad_shard_is_one_readable_line(text):
    with pytest.raises(OptionError, match="--flexie-shard") as found:
        parse_shard(text)
    assert "\n" not in str(found.value)


def test_shards_share_out_everything_once():
    names = [f"a{i}" for i in range(11)]
    shares = [share(names, (k, 4)) for k in range(1, 5)]
    assert sorted(n for part in shares for n in part) == sorted(names)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert fleet_share(["only"], (2, 4)) == ["only"], "one account is every job's"
    assert Settings.from_values({"shard": "3/4"}).shard == (3, 4)


# --- generated accounts --------------------------------------------------------------------

def test_generated_fleets_are_reproducible_varied_and_served(tmp_path):
    text = fleet_toml(40, seed=1)
    assert text == fleet_toml(40, seed=1) != fleet_toml(40, seed=2)
    accounts = tomllib.loads(text)["account"]
    types = {f["type"] for a in accounts for f in a.get("field", [])}
    assert len(types) >= len(TYPES) - 2, f"only {sorted(types)}"
    assert any(a.get("table") for a in accounts)
    app = create_app(accounts_file=write_fleet(tmp_path / "fleet.toml", 40))
    assert {account_name(i) for i in (1, 40)} <= set(app.registry.accounts)


# --- the suite against a fleet -------------------------------------------------------------

def _summary(reports: Path) -> dict:
    results = json.loads((reports / "conformance.json").read_text())
    return {"verdict": results["verdict"], "aliases": results["summary"]["aliases"],
            "rows": results["aliases"],
            "failures": sorted((f["check"], f["message"][:80]) for f in results["failures"]),
            "requests": results["traffic"]["requests"]}


@pytest.fixture()
def fleet(tmp_path):
    """Three generated accounts served over HTTP, and their accounts file."""
    path = write_fleet(tmp_path / "fleet.toml", 3, seed=5)
    app = create_app(accounts_file=path)
    base, stop = serve_in_thread(app, host="127.0.0.1", port=0, threads=16)
    yield app, base + "/api", path
    stop()


def _fleet_args(url: str, accounts: Path) -> list[str]:
    return ["--flexie-url", url, "--flexie-apikey", "acme-demo-key",
            "--flexie-accounts", str(accounts), "-m", "aliases"]


def _with_wrong_type(path: Path, account: str) -> Path:
    """The file expecting another type of the account's first field than it has."""
    text = path.read_text()
    start = text.index(f'name = "{account}"')
    at = text.index("type = ", start)
    end = text.index("\n", at)
    wrong = '"boolean"' if text[at + 7:end] != '"boolean"' else '"integer"'
    broken = path.with_name("expected.toml")
    broken.write_text(text[:at] + f"type = {wrong}" + text[end:])
    return broken


def test_one_account_verified_as_a_fleet_is_judged_as_without_fleet_features(fleet,
                                                                             tmp_path):
    """The threads, the shard of one and the pace per workspace change nothing for one
    account: the same tests, outcomes, alias rows, failures and requests; and a wrong
    expectation fails both alike."""
    _, url, path = fleet
    common = (*_fleet_args(url, _with_wrong_type(path, "fleet-0002")), "--flexie-account",
              "fleet-0002")
    plain = run_suite(*common, "--flexie-concurrency", "1", reports=tmp_path / "plain")
    fleet_run = run_suite(*common, "--flexie-concurrency", "8", "--flexie-shard", "1/1",
                          "--flexie-rate-limit", "1000", reports=tmp_path / "fleet")
    assert plain.code == fleet_run.code == 1, plain.output[-2000:] + fleet_run.output[-2000:]
    one, other = _summary(tmp_path / "plain"), _summary(tmp_path / "fleet")
    assert one == other
    assert one["aliases"]["type_mismatch"] == 1 and "fleet-0002" in str(one["failures"])


def test_the_shards_of_a_fleet_run_share_its_accounts_and_name_the_broken_one(fleet,
                                                                              tmp_path):
    """Two jobs verify the three accounts between them, each account once; the job holding
    the account whose expectation is wrong fails naming it, and only it."""
    _, url, path = fleet
    expected = _with_wrong_type(path, "fleet-0002")
    parts = []
    for k in (1, 2):
        run = run_suite(*_fleet_args(url, expected), "--flexie-shard", f"{k}/2",
                        reports=tmp_path / f"shard{k}")
        parts.append(json.loads((tmp_path / f"shard{k}" / "conformance.json").read_text()))
        assert run.code == (1 if k == 2 else 0), run.output[-3000:]
    one, two = parts
    assert one["shard"]["accounts"] == ["fleet-0001", "fleet-0003"]
    assert two["shard"]["accounts"] == ["fleet-0002"]
    assert {re.match(r"(?:\[\w+\] )?account ([\w-]+),", f["message"]).group(1)
            for f in two["failures"]} == {"fleet-0002"}
    assert two["summary"]["aliases"]["type_mismatch"] == 1
    assert one["run"]["shard"] == {"index": 1, "total": 2}
    assert {**one["run"], "shard": None} == {**two["run"], "shard": None}, "one run, split"
    verified = {(r["account"], r["alias"]) for r in one["aliases"] + two["aliases"]}
    expected_fields = {(a["name"], f["alias"]) for a in tomllib.loads(expected.read_text())[
        "account"] for f in [*a.get("field", []), *(g for t in a.get("table", [])
                                                    for g in t.get("field", []))]}
    assert verified == expected_fields


def test_ctrl_c_in_a_fleet_run_cleans_up_every_account(tmp_path):
    """Interrupted while accounts are verified side by side: each account's records are
    deleted, nothing else is touched, and the ledger holds nothing outstanding."""
    path = write_fleet(tmp_path / "fleet.toml", 3, seed=5)
    app = create_app(accounts_file=path)
    names = [account_name(i) for i in (1, 2, 3)]
    before = {a: app.backend.snapshot(a) for a in names}
    child: dict[str, subprocess.Popen] = {}
    creates = [0]
    lock = threading.Lock()

    def interrupting(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/new"):
            with lock:
                creates[0] += 1
                now = creates[0]
            if now == 6 and "run" in child:
                child["run"].send_signal(signal.SIGINT)
                time.sleep(0.5)  # the signal lands while accounts have requests in flight
        return app(environ, start_response)

    base, stop = serve_in_thread(interrupting, host="127.0.0.1", port=0, threads=16)
    try:
        cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
               "--flexie-reports", str(tmp_path / "r"), "--flexie-seed", "3",
               *_fleet_args(base + "/api", path)]
        child["run"] = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        output, _ = child["run"].communicate(timeout=HANG_GUARD_S)
    finally:
        stop()
    assert creates[0] >= 6, output[-3000:]
    assert child["run"].returncode != 0, "the run was interrupted"
    assert {a: app.backend.snapshot(a) for a in names} == before, output[-3000:]
    ledger = (tmp_path / "r" / "ledger.jsonl").read_text()
    assert {a for a in names if f"#{a}" in ledger} == set(names), "not every account wrote"
    assert read_outstanding(tmp_path / "r" / "ledger.jsonl") == []
