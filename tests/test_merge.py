"""`flexie-conformance merge`: the shards of a run give the report the whole run gives.

Real suite outputs: the embedded mock with a fault, run once as a whole and once as two
disjoint `-k` selections (shard 1: one scenario, one operation, account acme's aliases of
contacts; shard 2: another scenario, another operation, globex's aliases of leads). The shard
numbers are written into the two selections' conformance.json as `--flexie-shard 1/2` and
`2/2` would write them (`run.shard`); everything else is what the suite wrote.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.config.settings import DEMO_KEY
from conformance.plugin.cli import main
from tests.suite_runner import made_once, run_suite

FAULT = ("--flexie-coverage", "off", "--flexie-mock-fault", "update-not-persisted")
SHARD_1 = ("test_task_lifecycle or (test_operation and PUT and contacts and id) "
           "or (test_aliases and acme-contacts)")
SHARD_2 = ("test_user_lifecycle or (test_probes and PATCH and accounts and id) "
           "or (test_aliases and globex-leads)")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole run and its two shards (made once, shared by the xdist workers)."""
    selections = {"whole": f"({SHARD_1}) or ({SHARD_2})", "one": SHARD_1, "two": SHARD_2}

    def make(root: Path) -> None:
        for name, selection in selections.items():
            run = run_suite(*FAULT, "-k", selection, reports=root / name, seed=1)
            assert run.code == 1, run.output[-3000:]  # the fault fails every selection
        for name, index in (("one", 1), ("two", 2)):
            set_run(root / name, shard={"index": index, "total": 2})

    root = made_once(tmp_path_factory, "merge-runs", make)
    return {name: root / name for name in selections}


def set_run(folder: Path, **fields) -> None:
    path = folder / "conformance.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["run"].update(fields)
    path.write_text(json.dumps(doc), encoding="utf-8")


def copy(folder: Path, to: Path, **fields) -> Path:
    shutil.copytree(folder, to)
    set_run(to, **fields)
    return to


def merge(*args: str | Path) -> int:
    return main(["merge", *map(str, args)])


def load(folder: Path) -> dict:
    return json.loads((folder / "conformance.json").read_text(encoding="utf-8"))


def test_two_shards_merge_into_the_whole_runs_report(runs: dict[str, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    assert merge(runs["one"], runs["two"], "-o", tmp_path / "merged") == 1
    assert "verdict failed" in capsys.readouterr().out
    whole, merged = load(runs["whole"]), load(tmp_path / "merged")
    for key in ("verdict", "stopped", "summary", "coverage", "checks", "aliases"):
        assert merged[key] == whole[key], key
    assert sorted(f["id"] for f in merged["failures"]) == sorted(f["id"] for f in whole["failures"])
    assert sorted((s["name"], s["status"], s["operations"]) for s in merged["scenarios"]) == \
        sorted((s["name"], s["status"], s["operations"]) for s in whole["scenarios"])
    by_key = {o["key"]: o for o in whole["operations"]}
    for op in merged["operations"]:
        assert op == by_key[op["key"]], op["key"]
    assert merged["summary"]["aliases"]["accounts"] == 2
    assert merged["run"]["merged"] == {"parts": 2, "total": 2, "missing": []}
    page = (tmp_path / "merged" / "conformance.html").read_text(encoding="utf-8")
    assert "FAILED" in page and "2 reports of a run split into 2 shards" in page
    # junit: every test case of both shards, counted as the whole run counts them
    cases = {name: ET.parse(folder / "junit.xml").getroot().find("testsuite")
             for name, folder in (("whole", runs["whole"]), ("merged", tmp_path / "merged"))}
    for count in ("tests", "failures", "errors", "skipped"):
        assert cases["merged"].get(count) == cases["whole"].get(count), count
    assert sorted(c.get("name") for c in cases["merged"].iter("testcase")) == \
        sorted(c.get("name") for c in cases["whole"].iter("testcase"))
    for written in (tmp_path / "merged").iterdir():  # nothing unredacted on the way
        assert DEMO_KEY not in written.read_text(encoding="utf-8"), written
    ledger = (tmp_path / "merged" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(ledger) == sum(len((runs[n] / "ledger.jsonl").read_text().splitlines())
                              for n in ("one", "two"))


def test_a_missing_shard_makes_the_report_incomplete(runs: dict[str, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    assert merge(runs["one"], "-o", tmp_path / "merged") == 1
    assert "incomplete: shard 2/2 missing" in capsys.readouterr().err
    merged = load(tmp_path / "merged")
    assert merged["run"]["merged"]["missing"] == [2]
    assert merged["stopped"].startswith("incomplete: shard 2/2 missing from the merge")
    page = (tmp_path / "merged" / "conformance.html").read_text(encoding="utf-8")
    assert "did not finish" in page and "incomplete: shard 2/2 missing" in page
    assert "shard 2 missing" in page


@pytest.mark.parametrize("what", ["seed", "spec", "commit", "profile", "accounts file"])
def test_shards_of_different_runs_are_refused(what: str, runs: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    if what in ("seed", "profile"):
        other = copy(runs["two"], tmp_path / "other")
        doc = load(other)
        doc[what] = {"seed": 2, "profile": "thorough"}[what]
        (other / "conformance.json").write_text(json.dumps(doc), encoding="utf-8")
    else:
        field = {"spec": ("spec_digest", "sha256:" + "0" * 64), "commit": ("commit", "0" * 40),
                 "accounts file": ("accounts_digest", "sha256:" + "1" * 64)}
        other = copy(runs["two"], tmp_path / "other", **dict([field[what]]))
    assert merge(runs["one"], other, "-o", tmp_path / "merged") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flexie-conformance merge: refusing to merge reports of different "
                          f"runs: {what} ") and err.count("\n") == 1, err
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize("second, message", [
    ("one-again", "the shards overlap: "),      # the same work in two shards
    ("one-as-1", "shard 1/2 given twice"),
    ("whole", "is a whole run, not a shard"),
    ("three", "split the run differently"),
])
def test_shards_that_are_not_one_split_are_refused(second: str, message: str,
                                                  runs: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    other = {"one-again": lambda: copy(runs["one"], tmp_path / "x", shard={"index": 2,
                                                                             "total": 2}),
             "one-as-1": lambda: copy(runs["two"], tmp_path / "x", shard={"index": 1,
                                                                            "total": 2}),
             "whole": lambda: runs["whole"],
             "three": lambda: copy(runs["two"], tmp_path / "x", shard={"index": 2,
                                                                         "total": 3})}[second]()
    assert merge(runs["one"], other, "-o", tmp_path / "merged") == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_the_ratchet_on_a_merge(runs: dict[str, Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture) -> None:
    shards = (runs["one"], runs["two"])
    # every failure is in the whole run's report: exit 0
    assert merge(*shards, "-o", tmp_path / "a", "--baseline", runs["whole"] / "conformance.json",
                 "--fail-on", "new") == 0
    assert "every failure is in the baseline" in capsys.readouterr().out
    # shard 1's report as the baseline: shard 2's failures are new
    assert merge(*shards, "-o", tmp_path / "b", "--baseline", runs["one"] / "conformance.json",
                 "--fail-on", "new") == 1
    new = load(tmp_path / "b")["baseline"]["new"]
    assert new and "new since the baseline" in capsys.readouterr().out
    assert set(new) == {f["id"] for f in load(runs["two"])["failures"]} - \
        {f["id"] for f in load(runs["one"])["failures"]}
    # a partial merge never passes for having only old failures
    assert merge(runs["one"], "-o", tmp_path / "c", "--baseline",
                 runs["whole"] / "conformance.json", "--fail-on", "new") == 1
    # without --fail-on new the baseline only reports
    assert merge(*shards, "-o", tmp_path / "d", "--baseline",
                 runs["whole"] / "conformance.json") == 1


@pytest.mark.parametrize("args, message", [
    (["--fail-on", "new"], "--fail-on new needs --baseline"),
    (["--baseline", "nowhere.json"], "baseline file not found: nowhere.json"),
])
def test_bad_input_is_one_line(args: list[str], message: str, runs: dict[str, Path],
                               tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert merge(runs["one"], runs["two"], "-o", tmp_path / "m", *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_a_folder_without_a_report_is_refused(tmp_path: Path, runs: dict[str, Path],
                                              capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    assert merge(runs["one"], tmp_path / "empty", "-o", tmp_path / "m") == 2
    assert "holds no conformance.json" in capsys.readouterr().err
    assert merge(runs["one"], runs["two"], "-o", runs["two"]) == 2
    assert "is one of the shards' folders" in capsys.readouterr().err
