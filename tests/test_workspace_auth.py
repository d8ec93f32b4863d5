"""Authentication (API keys, OAuth 2.0 tokens), roles and account isolation."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from contract.operations import OPERATIONS, READS
from contract.resources import KINDS_BY_NAME
from workspace import create_app
from workspace.testing import JsonClient, create_body

REDIRECT = "https://app.example.com/callback"


@pytest.fixture()
def app():
    return create_app(token_ttl=60)


def _code(c: JsonClient, client_id: str = "acme-client", state: str = "xyz") -> str:
    r = c.client.get("/oauth2/authorize", query_string={
        "client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
        "state": state})
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def _token(c: JsonClient, **form: str) -> dict:
    r = c.client.post("/oauth2/token", data=form)
    assert r.status_code == 200, r.get_data()
    assert r.json["token_type"] == "bearer" and r.json["expires_in"] == 60
    return r.json


def test_api_key_in_header_or_query(app):
    c = JsonClient(app, key=None)
    assert c.call("GET", "/contacts", headers={"apikey": "acme-demo-key"}).status == 200
    assert c.call("GET", "/contacts", query={"apikey": "acme-demo-key"}).status == 200


@pytest.mark.parametrize("creds", [{}, {"headers": {"apikey": "wrong"}},
                                   {"query": {"apikey": "wrong"}},
                                   {"headers": {"Authorization": "Bearer nope"}},
                                   {"query": {"access_token": "nope"}}],
                         ids=["none", "bad-header", "bad-query", "bad-bearer", "bad-token"])
def test_missing_or_unknown_credentials_are_401_json(app, creds):
    answer = JsonClient(app, key=None).call("GET", "/contacts", **creds)
    assert answer.status == 401
    assert answer.content_type == "application/json"
    assert answer.body["error"]["code"] == 401 and answer.body["error"]["message"]


def test_authorization_code_flow_refresh_and_revoke(app):
    c = JsonClient(app, key=None)
    code = _code(c)
    tokens = _token(c, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                    client_id="acme-client", client_secret="acme-secret")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert c.call("GET", "/users/self", headers=bearer).body["user"]["username"] == "acme.admin"
    assert c.call("GET", "/contacts", query={"access_token": tokens["access_token"]}).status \
        == 200
    # a code is single-use
    again = c.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "acme-client",
        "client_secret": "acme-secret"})
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    # refresh rotates: the new token works, the old family is revoked
    basic = base64.b64encode(b"acme-client:acme-secret").decode()
    r = c.client.post("/oauth2/token", json={"grant_type": "refresh_token",
                                             "refresh_token": tokens["refresh_token"]},
                      headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    fresh = r.json
    assert c.call("GET", "/contacts", headers=bearer).status == 401
    new_bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert c.call("GET", "/contacts", headers=new_bearer).status == 200
    # revoking the access token shuts it out
    r = c.client.post("/oauth2/revoke", data={"token": fresh["access_token"],
                                              "client_id": "acme-client",
                                              "client_secret": "acme-secret"})
    assert r.status_code == 200
    revoked = c.call("GET", "/contacts", headers=new_bearer)
    assert revoked.status == 401 and revoked.body["error"]["code"] == 401


def test_client_credentials_and_expiry(app):
    c = JsonClient(app, key=None)
    now = [time.time()]
    app.oauth.clock = lambda: now[0]
    tokens = _token(c, grant_type="client_credentials", client_id="globex-client",
                    client_secret="globex-secret")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    listed = c.call("GET", "/contacts", headers=bearer).body["contacts"]
    assert listed[0]["email"].endswith("@globex.example.com")
    now[0] += 59
    assert c.call("GET", "/contacts", headers=bearer).status == 200
    now[0] += 2
    expired = c.call("GET", "/contacts", headers=bearer)
    assert expired.status == 401 and "expired" in expired.body["error"]["message"]


def test_oauth_errors(app):
    c = JsonClient(app, key=None)
    bad_secret = c.client.post("/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "acme-client", "client_secret": "no"})
    assert bad_secret.status_code == 401 and bad_secret.json["error"] == "invalid_client"
    bad_grant = c.client.post("/oauth2/token", data={
        "grant_type": "password", "client_id": "acme-client", "client_secret": "acme-secret"})
    assert bad_grant.json["error"] == "unsupported_grant_type"
    unknown = c.client.get("/oauth2/authorize", query_string={
        "client_id": "nobody", "redirect_uri": REDIRECT, "response_type": "code"})
    assert unknown.status_code == 400
    wrong_type = c.client.get("/oauth2/authorize", query_string={
        "client_id": "acme-client", "redirect_uri": REDIRECT, "response_type": "token"})
    assert "error=unsupported_response_type" in wrong_type.headers["Location"]
    code = _code(c)
    mismatch = c.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "acme-client",
        "client_secret": "acme-secret", "redirect_uri": "https://evil.example.com/"})
    assert mismatch.json["error"] == "invalid_grant"
    other_client = c.client.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": _code(c), "client_id": "globex-client",
        "client_secret": "globex-secret"})
    assert other_client.json["error"] == "invalid_grant"


def test_accounts_are_isolated(app):
    acme, globex = JsonClient(app), JsonClient(app, "globex-demo-key")
    rid = acme.ok("POST", "/contacts/new", create_body(KINDS_BY_NAME["contacts"]))[
        "contact"]["id"]
    assert globex.call("GET", f"/contacts/{rid}").status == 404
    assert globex.call("PUT", f"/contacts/{rid}", {"city": "x"}).status == 404
    assert globex.call("DELETE", f"/contacts/{rid}").status == 404
    assert rid not in [c["id"] for c in globex.ok("GET", "/contacts",
                                                  query={"limit": 100})["contacts"]]
    acme_list = acme.ok("GET", "/contacts/list/lists")[0]["id"]
    assert globex.call("POST", f"/contact/lists/{acme_list}/add/{rid}").status == 404
    assert acme.ok("GET", f"/contacts/{rid}")["contact"]["id"] == rid
    # the same unique value may exist once per account
    body = create_body(KINDS_BY_NAME["contacts"])
    acme.ok("POST", "/contacts/new", body)
    globex.ok("POST", "/contacts/new", body)


def test_viewer_key_reads_but_every_write_is_403(app):
    viewer = JsonClient(app, "acme-viewer-key")
    assert viewer.call("GET", "/contacts").status == 200
    assert viewer.call("POST", "/contacts/search", {"filters": {"condition": "AND",
                                                                "rules": []}}).status == 200
    writes = [op for op in OPERATIONS if op.effect != READS]
    assert len(writes) > 60
    for op in writes:
        path = (op.path.replace("{id}", "1").replace("{entityId}", "1")
                .replace("{tableName}", "projects").replace("{entityType}", "contact")
                .replace("{identifier}", "REF-1001"))
        answer = viewer.call(op.method, path, {"name": "x"})
        assert answer.status == 403, (op.key, answer.status)
        assert answer.body["error"]["code"] == 403
