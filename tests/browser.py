"""The headless Chromium our rendering tests use (Debian's chromium and chromium-driver)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _found(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                  else None)


CHROMIUM = _found("chromium")
CHROMEDRIVER = _found("chromedriver")
#: Why a test that drives the browser cannot run here, or None.
NO_DRIVER = ("chromium not installed (Debian: apt-get install -y chromium)" if CHROMIUM is None
             else "chromedriver not installed (Debian: apt-get install -y chromium-driver)"
             if CHROMEDRIVER is None else None)


@contextmanager
def driven_chromium(profile: Path) -> Iterator[Any]:
    """A headless Chromium under Selenium, from the installed executables (no download),
    that keeps the page's console messages."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
                "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
