"""A pytest plugin for the secrets self-test: every secret of the run written where careless
code in the process would write it, so the run shows that the redaction catches them there.

The suite itself never writes a client secret (it only sends it to /oauth2/token) and names
a token it was given only by its environment variable, so without this no run could show
that a leak of either would be redacted, or caught by the self-test if it were not. During
each test every secret is printed and logged (pytest keeps both in the report of a failing
test, which xdist sends to the controller), and the terminal summary gets a line of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from conformance.plugin.redaction import secrets


def _line(config: pytest.Config) -> str:
    return "echo of the run's secrets: " + " ".join(secrets(config))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    print(_line(item.config))
    logging.getLogger("echo_secrets").warning(_line(item.config))
    return (yield)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(_line(terminalreporter.config))
