"""A fault aimed at one route (`NAME@METHOD PATH`) deviates there and nowhere else.

Each case sends the same request shape to the aimed route and to its siblings (another method
of the same resource, the same method of another resource) on a faithful mock and on one with
the scoped fault: only the aimed route's observation may differ.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.config.settings import Settings
from conformance.report.replay import replay_command
from contract.operations import OPERATIONS_BY_KEY
from tests.suite_runner import run_suite
from workspace import create_app
from workspace.faults import FaultName, FaultSpec, describe_all, resolve
from workspace.server import main as mock_main
from workspace.testing import JsonClient, Planned, Planner, unique_token

#: What a probe observes of one route: a value equal on a faithful and a faulty mock unless
#: the fault changes that route.
Probe = Callable[[JsonClient, Planned], Any]


def _send(c: JsonClient, p: Planned, **kw: Any) -> Any:
    return c.call(p.method, p.path, p.body, **kw)


def _status_with_key(key: str | None) -> Probe:
    return lambda c, p: _send(c, p, key=key).status


def _bad_json(c: JsonClient, p: Planned) -> int:
    return c.call(p.method, p.path, raw=b'{"name": ').status


def _content_type(c: JsonClient, p: Planned) -> str:
    return _send(c, p).content_type


def _edit_unused_value(c: JsonClient, p: Planned) -> int:
    """/edit with a unique value no record holds: 404, unless the route creates."""
    body = {k: (f"unused{unique_token()}@example.com" if k == "email" else f"UNUSED-{k}")
            if isinstance(v, str) and k in ("email", "external_id", "code") else v
            for k, v in p.body.items()}
    return _send(c, Planned(p.op, p.method, p.path, body)).status


def _update_persists(c: JsonClient, p: Planned) -> bool:
    """The update's values are what a later GET of the record shows."""
    record = next(iter(_send(c, p).body.values()))
    stored = next(iter(c.ok("GET", p.path.rsplit("/", 1)[0] + f"/{record['id']}").values()))
    return all(stored.get(k) == v for k, v in p.body.items() if k in record)


def _page_is_whole(c: JsonClient, p: Planned) -> bool:
    """A first page as large as the listing holds every record its total counts."""
    if p.method == "GET":
        body = c.ok("GET", p.path, query={"start": 0, "limit": 100})
    else:
        body = c.ok(p.method, p.path, {"start": 0, "limit": 100})
    items = next(v for v in body.values() if isinstance(v, list))
    return len(items) == body["total"]


#: spec -> (probe, the aimed route's siblings that must stay faithful)
CASES: dict[str, tuple[Probe, tuple[str, ...]]] = {
    "wrong-key-accepted@GET /leads": (
        _status_with_key("made-up-key"), ("GET /leads/{id}", "POST /leads", "GET /contacts")),
    "auth-ignored@POST /contacts/search": (
        _status_with_key(None), ("GET /contacts", "POST /contacts", "POST /leads/search")),
    "bad-json-500@PUT /deals/{id}": (
        _bad_json, ("PATCH /deals/{id}", "PUT /deals/edit", "PUT /accounts/{id}")),
    "content-type-text@GET /contacts/{id}": (
        _content_type, ("GET /contacts", "PUT /contacts/{id}", "GET /leads/{id}")),
    "edit-creates@PATCH /accounts/edit": (
        _edit_unused_value, ("PUT /accounts/edit", "POST /accounts/edit", "PATCH /deals/edit")),
    "edit-creates@PATCH /ce/{tableName}/edit": (
        _edit_unused_value, ("PUT /ce/{tableName}/edit", "PATCH /cases/edit")),
    "update-not-persisted@PATCH /contacts/{id}": (
        _update_persists, ("PUT /contacts/{id}", "PATCH /leads/{id}")),
    "pagination-off-by-one@GET /contacts": (
        _page_is_whole, ("POST /contacts", "GET /leads", "GET /accounts")),
}


def _observe(faults: list[str], key: str, probe: Probe) -> Any:
    client = JsonClient(create_app(faults=faults))
    planner = Planner(client)
    planner.prepare()
    return probe(client, planner.request(OPERATIONS_BY_KEY[key]))


@pytest.mark.parametrize("spec", list(CASES))
def test_a_scoped_fault_deviates_on_its_route_only(spec):
    probe, siblings = CASES[spec]
    route = FaultSpec.parse(spec).route
    assert route is not None
    for key in (route, *siblings):
        faithful, faulty = _observe([], key, probe), _observe([spec], key, probe)
        if key == route:
            assert faulty != faithful, f"{spec}: {key} answered as a faithful mock ({faulty!r})"
        else:
            assert faulty == faithful, f"{spec}: sibling {key} changed: {faulty!r}"


@pytest.mark.parametrize("spec", ["wrong-key-accepted", "edit-creates"])
def test_a_layer_wide_fault_still_changes_every_route(spec):
    probe, siblings = next(v for k, v in CASES.items() if k.startswith(spec + "@"))
    route = next(k for k in CASES if k.startswith(spec + "@")).split("@", 1)[1]
    for key in (route, *siblings):
        assert _observe([spec], key, probe) != _observe([], key, probe), key


def test_specs_resolve_to_the_faults_of_each_route():
    active = resolve(["limit-ignored", "edit-creates@patch  /accounts/edit"])
    assert active.on("PATCH /accounts/edit") == {"limit-ignored", "edit-creates"}
    assert active.on("PUT /accounts/edit") == active.on(None) == {"limit-ignored"}
    assert active.active(FaultName.EDIT_CREATES, "PATCH /accounts/edit")
    assert not active.active(FaultName.EDIT_CREATES, "PATCH /deals/edit")
    assert str(active) == "edit-creates@PATCH /accounts/edit, limit-ignored"


BAD_SPECS = {
    "edit-create@PATCH /accounts/edit": ["unknown fault 'edit-create'", "edit-creates?"],
    "edit-creates@PATCH /acounts/edit": ["unknown route 'PATCH /acounts/edit'",
                                         "did you mean PATCH /accounts/edit"],
    "edit-creates@PATCH": ["unknown route 'PATCH'", "METHOD PATH"],
    "edit-creates@GET /leads": ["edit-creates never changes GET /leads",
                                "it applies to PUT /contacts/edit"],
    "bad-json-500@GET /leads": ["bad-json-500 never changes GET /leads"],
}


@pytest.mark.parametrize("spec", list(BAD_SPECS))
def test_a_bad_spec_is_one_readable_line(spec):
    with pytest.raises(ValueError) as exc:
        create_app(faults=[spec])
    message = str(exc.value)
    assert "\n" not in message
    for part in BAD_SPECS[spec]:
        assert part in message, message


def test_the_server_flag_refuses_a_bad_spec_and_lists_the_syntax(capsys):
    assert mock_main(["--fault", "edit-creates@PATCH /acounts/edit", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("flexie-mock: error: unknown route") and "\n" not in err
    assert mock_main(["--list-faults"]) == 0
    assert "NAME@METHOD PATH" in capsys.readouterr().out
    assert "NAME@METHOD PATH" in describe_all()


def test_the_replay_command_quotes_a_spec_with_its_space():
    spec = "edit-creates@PATCH /accounts/edit"
    settings = Settings.from_values({"mock_faults": [spec, "limit-ignored"], "seed": 1})
    words = shlex.split(replay_command(settings, "conformance/test_x.py::t[PATCH /x]"))
    given = [words[i + 1] for i, w in enumerate(words) if w == "--flexie-mock-fault"]
    assert given == [spec, "limit-ignored"]


@pytest.mark.slow
def test_the_suite_option_takes_a_spec_and_its_replay_reruns_it(tmp_path: Path):
    """`--flexie-mock-fault 'NAME@METHOD PATH'` reaches the embedded mock: the suite names the
    aimed route alone, and each failure's replay command hands the same spec back."""
    spec = "edit-creates@PATCH /accounts/edit"
    run = run_suite("--flexie-mock-fault", spec, "-k", "test_probes and accounts and edit",
                    "--flexie-coverage", "off", reports=tmp_path)
    assert run.code == 1, run.output[-2000:]
    failures = json.loads((tmp_path / "conformance.json").read_text())["failures"]
    assert {(f["check"], f["operation"]) for f in failures} == {
        ("edit_never_creates", "PATCH /accounts/edit")}
    words = shlex.split(failures[0]["replay"])
    assert words[words.index("--flexie-mock-fault") + 1] == spec
