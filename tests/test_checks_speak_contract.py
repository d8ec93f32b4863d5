"""Every request the suite sends itself (checks, probes, scenarios, setup, cleanup) is an
operation of the contract under test.

A check that reads `GET /notes` (no such operation) judges the workspace by an endpoint Flexie
never promised: on a real workspace it fails for a reason that is ours. A whole embedded run
(coverage phase off) records every `Target.request` through a small plugin, and each must map
to an operation (`conformance.engine.safety.match_request`).
"""

from __future__ import annotations

import json
import textwrap

from conformance.engine.safety import match_request
from tests.suite_runner import run_suite

_PLUGIN = '''
"""Record every request the suite sends itself, one JSON line each."""
import json
import os

from conformance.engine.target import Target

_send = Target.request


def _recording(self, method, path, **kwargs):
    with open(os.environ["FLEXIE_REQUEST_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps([method.upper(), path.split("?", 1)[0]]) + "\\n")
    return _send(self, method, path, **kwargs)


Target.request = _recording
'''


def test_match_request_knows_the_contract_and_nothing_else():
    assert match_request("GET", "/contacts/7") is not None
    assert match_request("GET", "/notes") is None


def test_every_request_of_a_run_is_a_contract_operation(tmp_path):
    (tmp_path / "flexie_request_log.py").write_text(textwrap.dedent(_PLUGIN))
    log = tmp_path / "requests.jsonl"
    env = {"FLEXIE_REQUEST_LOG": str(log),
           "PYTHONPATH": f"{tmp_path}:{__import__('os').environ.get('PYTHONPATH', '')}"}
    run = run_suite("-n", "2", "--flexie-coverage", "off", "-p", "flexie_request_log",
                    reports=tmp_path / "reports", env=env)
    assert run.code == 0, run.output[-3000:]
    sent = {tuple(json.loads(line)) for line in log.read_text().splitlines()}
    assert len(sent) > 300, f"only {len(sent)} distinct requests recorded: is the plugin on?"
    strangers = sorted(f"{m} {p}" for m, p in sent if match_request(m, p) is None)
    assert not strangers, strangers
