"""The server over real HTTP (waitress on port 0), concurrency, the CLI and accounts files."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from contract.accounts import AccountsError, parse_accounts
from workspace import create_app
from workspace.accounts import mock_accounts
from workspace.server import main, serve_in_thread
from workspace.testing import JsonClient

ROOT = Path(__file__).resolve().parent.parent
EXTRA = """
[[account]]
name = "initech"
label = "Initech"
api_key = "initech-key"

[[account.field]]
entity = "contacts"
alias = "badge_number"
type = "integer"

[[account.field]]
entity = "deals"
alias = "region_code"
type = "select"
options = ["EMEA", "APAC"]

[[account.table]]
name = "assets"

[[account.table.field]]
alias = "serial"
type = "text"
unique = true
"""


@pytest.fixture(scope="module")
def served():
    app = create_app()
    base, stop = serve_in_thread(app)
    yield app, base
    stop()


def test_serves_over_http_and_stops(served):
    _, base = served
    r = requests.get(f"{base}/api/contacts", headers={"apikey": "acme-demo-key"}, timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json()["total"] == 4
    r = requests.get(f"{base}/api/contacts", timeout=5)
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    r = requests.post(f"{base}/api/contacts/new", data=b"{", timeout=5,
                      headers={"apikey": "acme-demo-key", "Content-Type": "application/json"})
    assert r.status_code == 400
    big = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = requests.post(f"{base}/api/contacts/new", data=big, timeout=10,
                      headers={"apikey": "acme-demo-key"})
    assert r.status_code == 413
    r = requests.delete(f"{base}/api/contacts/999999", headers={"apikey": "acme-demo-key"},
                        timeout=5)
    assert r.status_code == 404
    r = requests.head(f"{base}/api/contacts", headers={"apikey": "acme-demo-key"}, timeout=5)
    assert r.status_code == 200 and r.content == b""


def test_concurrent_creates_over_http(served):
    app, base = served
    errors: list[str] = []
    ids: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with requests.Session() as s:
            s.headers["apikey"] = "acme-demo-key"
            for i in range(50):
                r = s.post(f"{base}/api/contacts/new", timeout=10, json={
                    "first_name": f"T{n}", "email": f"c{n}-{i}@threads.example.com"})
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text[:100]}")
                    continue
                with lock:
                    ids.append(r.json()["contact"]["id"])
                if i % 10 == 0:  # mix in reads and updates of one's own records
                    rid = r.json()["contact"]["id"]
                    s.patch(f"{base}/api/contacts/{rid}", json={"city": f"City{n}"}, timeout=10)
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ids) == len(set(ids)) == 400
    client = JsonClient(app)
    for rid in ids[::7]:
        assert client.ok("GET", f"/contacts/{rid}")["contact"]["id"] == rid
    found = client.ok("GET", "/contacts", query={"search": "threads.example.com", "limit": 1})
    assert found["total"] == 400


def test_serve_in_thread_port_zero_picks_a_free_port():
    base1, stop1 = serve_in_thread(create_app())
    base2, stop2 = serve_in_thread(create_app())
    try:
        assert base1 != base2 and not base1.endswith(":0")
    finally:
        stop1()
        stop2()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base1}/api/contacts", timeout=2)


def test_cli_serves_prints_url_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "workspace", "--port", "0", "--fault",
                             "limit-ignored", "--db", str(tmp_path / "db.sqlite")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        url = line.split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        deadline = time.time() + 10
        while True:
            text = proc.stdout.readline()
            if "Ctrl-C" in text or time.time() > deadline:
                break
            assert "acme" in text or "globex" in text or "faults" in text
        r = requests.get(f"{url}/contacts", params={"apikey": "acme-demo-key", "limit": 1},
                         timeout=5)
        assert len(r.json()["contacts"]) == 4  # the fault is on
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopped" in out


def test_cli_lists_faults_and_rejects_bad_input(tmp_path, capsys):
    assert main(["--list-faults"]) == 0
    assert "create-status-200" in capsys.readouterr().out
    assert main(["--fault", "no-such-fault", "--port", "0"]) == 2
    assert "no-such-fault" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[[account]\nname = 'x'\n")
    assert main(["--accounts", str(bad), "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not valid TOML" in err


def test_accounts_file_adds_an_account(tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text(EXTRA)
    app = create_app(accounts_file=path)
    c = JsonClient(app, "initech-key")
    aliases = {f["alias"] for f in c.ok("GET", "/contacts/list/fields")}
    assert "badge_number" in aliases and "vip" not in aliases
    assert c.ok("GET", "/contacts")["total"] == 4  # seeded like the demo accounts
    created = c.ok("POST", "/ce/assets/new", {"name": "Laptop", "serial": "SN-1"})
    assert created["entity"]["serial"] == "SN-1"
    # a taken unique value is a state conflict: 409
    assert c.call("POST", "/ce/assets/new", {"name": "Other", "serial": "sn-1"}).status == 409
    assert c.ok("GET", "/users/self")["user"]["username"] == "initech.admin"
    assert JsonClient(app, "initech-viewer-key").call("POST", "/contacts/new",
                                                      {"email": "a@b.example.com"}).status \
        == 403
    assert c.call("POST", "/contacts/new", {"badge_number": "x"}).status == 400


@pytest.mark.parametrize("text,message", [
    ("name = 1", "unknown top-level"),
    ("[[account]]\nlabel = 'x'", "name"),
    ("[[account]]\nname = 'Bad Name'", "name must match"),
    ("[[account]]\nname = 'a'\n[[account.field]]\nentity = 'contacts'\nalias = 'x'\n"
     "type = 'colour'", "type must be one of"),
    ("[[account]]\nname = 'a'\n[[account.field]]\nentity = 'planets'\nalias = 'x'\n"
     "type = 'text'", "entity must be one of"),
    ("[[account]]\nname = 'a'\n[[account.field]]\nentity = 'contacts'\nalias = 'x'\n"
     "type = 'select'", "needs options"),
    ("[[account]]\nname = 'a'\n[[account.field]]\nentity = 'contacts'\nalias = 'email'\n"
     "type = 'text'", "standard"),
    ("[[account]]\nname = 'a'\nsecret = 1", "unknown key"),
    ("[[account]]\nname = 'a'\n[[account.table]]\nname = 'Bad-Table'", "name must match"),
    ("[[account]]\nname = 'a'\napi_key = 'k'\nviewer_key = 'k'", "must differ"),
])
def test_malformed_accounts_files_give_one_readable_line(text, message):
    with pytest.raises(AccountsError) as exc:
        mock_accounts(parse_accounts(text, "accounts.toml"))
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert str(exc.value).startswith("accounts.toml")


def test_accounts_clashing_with_the_demo_ones_are_refused(tmp_path):
    path = tmp_path / "clash.toml"
    path.write_text("[[account]]\nname = 'other'\napi_key = 'acme-demo-key'\n")
    with pytest.raises(AccountsError, match="already used"):
        create_app(accounts_file=path)
    path.write_text("[[account]]\nname = 'acme'\n")
    with pytest.raises(AccountsError, match="twice"):
        create_app(accounts_file=path)
