"""The command that reruns exactly one test of a run, with the same seed, profile and target.

Every replay line the suite prints or writes (terminal, pytest-html, conformance.json/html)
comes from `replay_command`, so they all select the same test the same way: by its node id.
Secrets never appear: a live key is referred to by its environment variable.
"""

from __future__ import annotations

import shlex

from conformance.config.settings import DEFAULT_SPEC, Settings


def replay_command(settings: Settings, nodeid: str) -> str:
    """`pytest '<nodeid>' --flexie-seed N ...`: the failing test alone, as it ran."""
    parts = ["pytest", shlex.quote(nodeid), f"--flexie-seed {settings.seed}",
             f"--flexie-profile {settings.profile}",
             f"--flexie-coverage {'on' if settings.coverage else 'off'}"]
    if settings.url:
        parts.append(f"--flexie-url {shlex.quote(settings.url)}")
        if settings.oauth_token:
            parts.append('--flexie-oauth-token "$FLEXIE_OAUTH_TOKEN"')
        elif settings.oauth_client_id:
            parts.append('--flexie-oauth-client-id "$FLEXIE_OAUTH_CLIENT_ID" '
                         '--flexie-oauth-client-secret "$FLEXIE_OAUTH_CLIENT_SECRET"')
        else:
            parts.append('--flexie-apikey "$FLEXIE_API_KEY"')
        if settings.other_apikey:
            parts.append('--flexie-other-apikey "$FLEXIE_OTHER_API_KEY"')
        if settings.ce_table:
            parts.append(f"--flexie-ce-table {shlex.quote(settings.ce_table)}")
    if settings.auth != "header":
        parts.append(f"--flexie-auth {settings.auth}")
    if settings.transport != "in-process":
        parts.append(f"--flexie-transport {settings.transport}")
    if settings.spec.resolve() != DEFAULT_SPEC:
        parts.append(f"--spec {shlex.quote(str(settings.spec))}")
    if settings.accounts_file:
        parts.append(f"--flexie-accounts {shlex.quote(str(settings.accounts_file))}")
    if settings.account:
        parts.append(f"--flexie-account {shlex.quote(settings.account)}")
    parts += [f"--flexie-mock-fault {shlex.quote(fault)}" for fault in settings.mock_faults]
    return " ".join(parts)

