"""No secret in any output: every test and collection report is redacted before it is shown.

The hookwrappers below are the outermost (tryfirst) of their hooks, so they see a report after
every other wrapper has added to it (conformance.plugin.hooks's "flexie replay" section, pytest's
skipping, pytest-html) and before any reporter does: the terminal, JUnit XML, pytest-html and
xdist's serialization to the controller. The redaction is `conformance.report.redact.redact`,
the one used for conformance.json and conformance.html, with the run's configured secrets.

The traceback keeps its structure (the short summary and JUnit's message still name the
failure): every string in it is redacted in place. Lines written straight to the terminal
(headers, summaries, warnings, errors outside a test) and log records (--log-file,
--log-cli-level) go through the same redaction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator
from typing import Any

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr
from _pytest._io import TerminalWriter
from pluggy import Result

from conformance.plugin.state import run_if_any
from conformance.report.redact import redact


def secrets(config: pytest.Config) -> list[str]:
    """The run's secrets: the configured ones and a token the run obtained itself."""
    run = run_if_any(config)
    return run.secrets if run is not None else []


def _scrub(value: Any, keys: list[str], seen: set[int]) -> Any:
    """`value` with every string in it redacted; pytest's repr objects are changed in place."""
    if isinstance(value, str):
        return redact(value, keys)
    if id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        value[:] = [_scrub(v, keys, seen) for v in value]
        return value
    if isinstance(value, tuple):
        return type(value)(*(_scrub(v, keys, seen) for v in value)) if hasattr(
            value, "_fields") else tuple(_scrub(v, keys, seen) for v in value)
    if isinstance(value, dict):
        return {_scrub(k, keys, seen): _scrub(v, keys, seen) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # vars(), not fields(): ExceptionChainRepr keeps reprcrash outside its fields.
        for name, item in list(vars(value).items()):
            object.__setattr__(value, name, _scrub(item, keys, seen))
    return value


class _RedactedText(TerminalRepr):
    """A traceback as redacted text, when its structure could not be redacted in place."""

    def __init__(self, text: str, reprcrash: ReprFileLocation | None) -> None:
        self.text = text
        self.reprcrash = reprcrash

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def redact_report(report: pytest.TestReport | pytest.CollectReport, keys: list[str]) -> None:
    """Redact a report's traceback and sections (captured output, logs, flexie replay)."""
    longrepr = report.longrepr
    if longrepr is not None:
        longrepr = _scrub(longrepr, keys, set())
        if not isinstance(longrepr, str | tuple):
            text = str(longrepr)
            if redact(text, keys) != text:  # a string our walk did not reach: use the text
                longrepr = _RedactedText(redact(text, keys), getattr(longrepr, "reprcrash",
                                                                     None))
        report.longrepr = longrepr
    report.sections = [(redact(title, keys), redact(content, keys))
                       for title, content in report.sections]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    redact_report(outcome.get_result(), secrets(item.config))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector
                                ) -> Generator[None, Result[pytest.CollectReport], None]:
    outcome = yield
    redact_report(outcome.get_result(), secrets(collector.config))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Everything the terminal reporter writes is redacted (headers, summaries, warnings)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is None or getattr(writer, "_flexie_redacted", False):
        return
    write = writer.write

    def redacted_write(msg: str, **kwargs: Any) -> None:
        write(redact(msg, secrets(config)) if msg else msg, **kwargs)

    writer.write = redacted_write
    writer._flexie_redacted = True


class _RedactRecords(logging.Filter):
    """A logging filter: the record's message, redacted with the session's secrets (urllib3
    logs URLs with ?apikey=)."""

    def __init__(self, config: pytest.Config) -> None:
        super().__init__()
        self.config = config

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, secrets(self.config))
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Log records reach a file or the terminal without a report: redact them on the way."""
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    for name in ("log_file_handler", "log_cli_handler", "caplog_handler", "report_handler"):
        handler = getattr(logging_plugin, name, None)
        if isinstance(handler, logging.Handler) and not any(
                isinstance(f, _RedactRecords) for f in handler.filters):
            handler.addFilter(_RedactRecords(session.config))
