"""Headless chromium that watches the Content-Security-Policy, for any browser test to use:

from tests.trust.browser import chromium_driver, csp_violations

@pytest.fixture
def browser(tmp_path):
    driver = chromium_driver(tmp_path)   # skips (fails in CI) when chromium is missing
    yield driver
    driver.quit()

...; driver.get(url); assert csp_violations(driver) == []
"""

import os
import shutil
from pathlib import Path

from tests.conftest import require_service

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
# Installed before any page script runs: every violation the browser reports is kept here.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " "
    + (event.sourceFile || "") + ":" + event.lineNumber);
});
"""


def chromium_driver(tmp_path: Path):
    """Debian's chromium through chromium-driver, with a fresh profile, recording CSP violations."""
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    chromium = shutil.which("chromium")
    require_service(
        "Chromium",
        bool(webdriver and chromium and os.path.exists(CHROMEDRIVER)),
        "apt-get install chromium chromium-driver; pip install selenium",
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    return driver


def csp_violations(driver) -> list[str]:
    """Violations reported on the current page, and CSP errors in the browser's console since last asked."""
    reported = driver.execute_script("return window.__cspViolations || []")
    logged = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Content-Security-Policy" in entry["message"]
    ]
    return reported + logged


def leave_page(driver, act, timeout: float = 30) -> None:
    """Do `act` (a click, a submit) and wait until the next page has loaded in its place.

    Selenium's staleness_of asks chromium about the old page's node, and mid-navigation chromium can
    answer with an inspector error instead of "stale" ("Node with given id does not belong to the
    document"). A mark set on the old page's window goes with that page, so it is asked instead.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__oversightLeaving = true")
    act()

    def arrived(d) -> bool:
        try:
            return bool(
                d.execute_script("return !window.__oversightLeaving && document.readyState === 'complete'")
            )
        except WebDriverException:  # the page is between documents; ask again
            return False

    WebDriverWait(driver, timeout).until(arrived)
