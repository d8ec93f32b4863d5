"""The fleet view: a report of 300 accounts opens on the accounts x entities matrix, and a real
headless Chromium sorts and filters it.

The accounts' alias rows are a real run's (the suite's alias checks against the embedded mock:
acme's and globex's rows), copied to 300 accounts with deviations put in by rule: a missing,
a mistyped, an unexpected alias, a failed round trip, an entity not checked. The expected
cells come from those rules, not from the renderer. And a real run against a workspace that
differs from its accounts file turns that account's cell red, naming the aliases.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.report import write_reports
from conformance.report.coverage import alias_finding
from conformance.report.view import _accounts, fleet_matrix
from tests.browser import NO_DRIVER, driven_chromium
from tests.suite_runner import made_once, run_suite
from tests.test_alias_expectations import _accounts as accounts_file_with

ACCOUNTS = 300
#: Which accounts get which deviation, and on which entity.
MISSING, MISTYPED, UNEXPECTED, ROUND_TRIP, UNCHECKED = (
    (7, "contacts"), (11, "leads"), (13, "deals"), (17, "accounts"), (5, "cases"))


def deviates(i: int, rule: tuple[int, str]) -> bool:
    return i % rule[0] == 0


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """conformance.json of the suite's alias checks against the embedded mock: all pass."""
    def make(reports: Path) -> None:
        run = run_suite("--flexie-coverage", "off", "-k", "test_aliases", reports=reports,
                        seed=3)
        assert run.code == 0, run.output[-3000:]

    reports = made_once(tmp_path_factory, "fleet-aliases", make)
    return json.loads((reports / "conformance.json").read_text(encoding="utf-8"))


def fleet_results(doc: dict[str, Any]) -> dict[str, Any]:
    """The real run's results with its alias rows spread over ACCOUNTS accounts."""
    results = {k: v for k, v in copy.deepcopy(doc).items()
               if k not in ("report_format", "summary", "coverage")}
    by_account: dict[str, list[dict]] = {}
    for row in doc["aliases"]:
        by_account.setdefault(row["account"], []).append(row)
    templates = [by_account[name] for name in sorted(by_account)]
    assert len(templates) == 2 and all(alias_finding(r) == "ok" for r in doc["aliases"])
    aliases = []
    for i in range(ACCOUNTS):
        rows = [{**r, "account": f"shop-{i:03d}"} for r in templates[i % 2]
                if not (deviates(i, UNCHECKED) and r["entity"] == UNCHECKED[1])]

        def first(entity: str, rows: list[dict] = rows) -> dict:
            return next(r for r in rows if r["entity"] == entity and r["expected"])

        if deviates(i, MISSING):
            first(MISSING[1]).update(present=False, type_ok=None, round_trip="not-run")
        if deviates(i, MISTYPED):
            first(MISTYPED[1])["type_ok"] = False
        if deviates(i, ROUND_TRIP):
            first(ROUND_TRIP[1])["round_trip"] = "failed"
        if deviates(i, UNEXPECTED):
            rows.append({**first(UNEXPECTED[1]), "alias": "zz_legacy_code", "expected": False,
                         "round_trip": "not-run"})
        aliases += rows
    results["aliases"] = aliases
    return results


def problems(i: int) -> dict[str, list[str]]:
    """Per entity, the findings account i was given."""
    out: dict[str, list[str]] = {}
    for rule, label in ((MISSING, "Missing"), (MISTYPED, "Type mismatch"),
                        (UNEXPECTED, "Unexpected"), (ROUND_TRIP, "Round trip failed")):
        if deviates(i, rule):
            out.setdefault(rule[1], []).append(label)
    return out


def test_the_matrix_holds_each_accounts_cells(real_run: dict[str, Any]) -> None:
    results = fleet_results(real_run)
    fleet = fleet_matrix(_accounts(results["aliases"]))
    assert fleet is not None and len(fleet["rows"]) == ACCOUNTS
    for i, row in enumerate(fleet["rows"]):
        cells = {c["entity"]: c for c in row["cells"]}
        assert cells["cases"]["state"] == ("not-run" if deviates(i, UNCHECKED) else "passed")
        found = {e: sorted(c["findings"]) for e, c in cells.items() if c["state"] == "failed"}
        assert found == {e: sorted(labels) for e, labels in problems(i).items()}, i
    one = fleet_matrix(_accounts([r for r in results["aliases"] if r["account"] == "shop-001"]))
    assert one is None  # one account: no fleet view


@pytest.mark.skipif(NO_DRIVER is not None, reason=str(NO_DRIVER))
def test_a_browser_sorts_and_filters_300_accounts(real_run: dict[str, Any],
                                                  tmp_path: Path) -> None:
    pytest.importorskip("selenium", reason="selenium not installed: pip install -e '.[dev]'")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page = write_reports(fleet_results(real_run), tmp_path / "report")["html"]
    with driven_chromium(tmp_path / "profile") as driver:
        driver.get(page.resolve().as_uri())

        def shown() -> list[str]:
            return driver.execute_script(
                "return Array.from(document.querySelectorAll('#fleet-table tbody tr'))"
                ".filter(r => !r.hidden).map(r => r.dataset.account);")

        # the page opens on the matrix: the first section, in the first screen
        first = driver.find_element(By.CSS_SELECTOR, "main > section")
        assert first.get_attribute("id") == "fleet" and first.location["y"] < 1000
        assert len(shown()) == ACCOUNTS
        status = driver.find_element(By.ID, "fleet-shown")
        assert status.text == f"{ACCOUNTS} of {ACCOUNTS} accounts shown"  # the script ran

        # filter by name
        box = driver.find_element(By.ID, "fleet-filter")
        box.send_keys("shop-01")
        assert shown() == [f"shop-{i:03d}" for i in range(10, 20)]
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.BACKSPACE)
        assert len(shown()) == ACCOUNTS

        # only accounts with problems, then only those failing on deals
        driver.find_element(By.ID, "fleet-only-problems").click()
        assert shown() == [f"shop-{i:03d}" for i in range(ACCOUNTS) if problems(i)]
        Select(driver.find_element(By.ID, "fleet-entity")).select_by_value("deals")
        assert shown() == [f"shop-{i:03d}" for i in range(ACCOUNTS) if deviates(i, UNEXPECTED)]
        Select(driver.find_element(By.ID, "fleet-entity")).select_by_value("")
        driver.find_element(By.ID, "fleet-only-problems").click()

        # sort by problems (most first), then the other way round
        sort = driver.find_element(By.CSS_SELECTOR, "button[data-sort=problems]")
        sort.click()
        order = shown()
        counts = [sum(map(len, problems(int(name[5:])).values())) for name in order]
        assert counts == sorted(counts, reverse=True) and counts[0] == 4
        assert order[0] == "shop-000" and counts[1] == 2  # every rule divides 0
        sort.click()
        assert [sum(map(len, problems(int(n[5:])).values())) for n in shown()] == \
            sorted(counts)
        header = sort.find_element(By.XPATH, "..")
        assert header.get_attribute("aria-sort") == "descending"

        # by an entity's column: failed cells first, not checked last
        driver.find_element(By.XPATH, "//th/button[text()='cases']").click()
        assert shown()[-1] in {f"shop-{i:03d}" for i in range(ACCOUNTS)
                               if deviates(i, UNCHECKED)}

        # a red cell opens on its aliases; the account's name leads to all of them
        cell = driver.find_element(
            By.CSS_SELECTOR, "tr[data-account='shop-007'] td[data-entity=contacts]")
        assert cell.get_attribute("data-state") == "failed"
        assert "Missing" not in cell.text
        cell.find_element(By.TAG_NAME, "summary").click()
        assert "Missing:" in cell.text
        link = driver.find_element(By.CSS_SELECTOR, "tr[data-account='shop-007'] td a")
        target = link.get_attribute("href").split("#")[1]
        assert driver.find_element(By.ID, target).find_element(By.TAG_NAME, "h3").text \
            .startswith("shop-007")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert errors == [], errors


def test_a_workspace_that_differs_turns_its_cell_red(tmp_path: Path) -> None:
    """A real run whose accounts file expects `industry_class` where acme's workspace has
    `industry_code`: acme's contacts cell is red and names both, every other cell is green."""
    accounts = accounts_file_with(tmp_path, 'alias = "industry_code"', 'alias = "industry_class"')
    run = run_suite("--flexie-accounts", accounts, "--flexie-coverage", "off", "-k",
                    "test_fields_match_expectation", reports=tmp_path / "report", seed=3)
    assert run.code == 1, run.output[-3000:]
    doc = json.loads((tmp_path / "report" / "conformance.json").read_text(encoding="utf-8"))
    fleet = fleet_matrix(_accounts(doc["aliases"]))
    assert fleet is not None
    red = {(r["name"], c["entity"]): c["findings"] for r in fleet["rows"] for c in r["cells"]
           if c["state"] == "failed"}
    assert red == {("acme", "contacts"): {"Missing": ["industry_class"],
                                          "Unexpected": ["industry_code"]}}
    page = (tmp_path / "report" / "conformance.html").read_text(encoding="utf-8")
    assert '<li>Missing: <span class="mono">industry_class</span></li>' in page
