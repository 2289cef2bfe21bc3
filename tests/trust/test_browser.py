"""The admin works in a real browser under the Content-Security-Policy: headless chromium, no violation
reported, Oversight's styles and the admin's scripts applied. Screenshots go to test-artifacts/trust/."""

import pytest

from agencies.models import Claim
from tests.factories import populate
from tests.trust.browser import ARTIFACTS as BASE_ARTIFACTS
from tests.trust.browser import chromium_driver
from tests.trust.browser import csp_violations as violations
from tests.trust.conftest import CANARY, PASSWORD

pytestmark = pytest.mark.browser

ARTIFACTS = BASE_ARTIFACTS / "trust"


@pytest.fixture
def browser(tmp_path):
    driver = chromium_driver(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def style(driver, css: str, prop: str) -> str:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e && getComputedStyle(e)[arguments[1]];",
        css,
        prop,
    )


def visit(driver, url: str, shot: str) -> None:
    driver.get(url)
    driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
    found = violations(driver)
    assert found == [], f"{url}: {found}"


def test_the_admin_works_under_the_csp_in_a_real_browser(browser, live_server, make_user, canary_source):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    populate(2)
    make_user("researcher", True, username="ada", password=PASSWORD)
    claim = Claim.objects.get(slug="uspis-enlisted")
    wait = WebDriverWait(browser, 20)

    visit(browser, f"{live_server.url}/admin/login/", "01-login")
    browser.find_element(By.ID, "id_username").send_keys("ada")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ready.presence_of_element_located((By.ID, "ov-findings-module")))
    assert violations(browser) == []

    visit(browser, f"{live_server.url}/admin/agencies/claim/", "02-claim-changelist")
    assert browser.find_element(By.ID, "result_list")
    # Oversight's stylesheet applied: the flags are pills, not plain text.
    assert style(browser, ".ov-flag", "borderTopLeftRadius") == "8px"
    # The admin's own scripts ran: the filter sidebar and the action bar are live.
    assert style(browser, "#changelist-filter", "display") != "none"
    assert browser.find_element(By.CSS_SELECTOR, "select[name=action]").is_enabled()

    visit(browser, f"{live_server.url}/admin/agencies/claim/{claim.pk}/change/", "03-claim-page")
    assert "two people who spoke on the condition of anonymity" in browser.page_source
    assert style(browser, ".ov-chains li", "listStyleType") == "decimal"
    # select2 autocompletes (jQuery, select2, autocomplete.js) were built under the policy.
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".select2-container")))
    assert violations(browser) == []
    # A researcher's status change, with its reason, through the form as a person makes it.
    offered = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "id_status")).options]
    assert "confirmed" not in offered  # a verdict is an editor's
    Select(browser.find_element(By.ID, "id_status")).select_by_value("corroborated")
    browser.find_element(By.ID, "id_change_reason").send_keys("A second, independent origin")
    browser.find_element(By.CSS_SELECTOR, "input[name=_save]").click()
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success")))
    assert violations(browser) == []

    source = claim.attributions.get().origin
    visit(browser, f"{live_server.url}/admin/agencies/source/{source.pk}/change/", "04-source-with-note")
    assert CANARY in browser.page_source  # this user may see who the source is

    visit(browser, f"{live_server.url}/admin/agencies/claim/{claim.pk}/history/", "05-claim-history")
    history = browser.find_element(By.ID, "change-history").text
    assert "A second, independent origin" in history and "ada" in history
    assert style(browser, "#change-history + .paginator", "borderTopWidth") == "0px"

    visit(browser, f"{live_server.url}/admin/findings/", "06-findings")
    Select(browser.find_element(By.ID, "ov-agency")).select_by_value("uspis")  # static findings.js submits
    wait.until(lambda driver: "agency=uspis" in driver.current_url)
    browser.save_screenshot(str(ARTIFACTS / "07-findings-uspis.png"))
    assert violations(browser) == []

    # The watch works: markup that needs 'unsafe-inline' is blocked and reported on this very page.
    probe = '<div id="ov-probe" style="color: rgb(1, 2, 3)">x</div>'
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', arguments[0])", probe)
    wait.until(lambda driver: violations(driver))
    assert style(browser, "#ov-probe", "color") != "rgb(1, 2, 3)"
