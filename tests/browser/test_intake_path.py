"""Issue 12's follow-up recorded through the intake page in a real browser (Debian's chromium):

"Reuters, 20 May 2025: a USPS spokesperson says the Inspection Service shares only data required by
law; ICE declined to comment." A researcher logs in, pastes the article, says which claim the denial
answers with one click, records, and finds the enlistment claim disputed by the denial. Every click
and every typed field is counted: at most 15 clicks, and no id typed by hand (the admin path took 58
clicks, 29 fields and 3 invented ids). Screenshots in test-artifacts/browser-intake/.
"""

from pathlib import Path

import pytest
from django.core.management import call_command

from agencies import models as m
from tests.browser.conftest import browser_researcher
from tests.browser.test_researcher_path import Steps
from tests.trust.browser import ARTIFACTS as BASE_ARTIFACTS
from tests.trust.browser import csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = BASE_ARTIFACTS / "browser-intake"
ARTICLE = (
    Path(__file__).resolve().parents[1] / "intake" / "gold" / "wire-reuters-usps-denial.txt"
).read_text()
PASSWORD = "pw-for-the-intake-browser-test"
MAX_CLICKS = 15


class CountedSteps(Steps):
    """Steps that count what the researcher does: clicks, and the fields typed into (with what)."""

    def __init__(self, driver, base_url):
        super().__init__(driver, base_url)
        self.clicks = 0
        self.typed: list[str] = []
        self.loads = 0

    def shot(self, name):
        """A numbered screenshot of the whole page, and no Content-Security-Policy violation on it."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.step += 1
        target = ARTIFACTS / f"{self.step:02d}-{name}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1400, max(900, min(height, 4000)))
        self.driver.save_screenshot(str(target))
        self.driver.set_window_size(1400, 1000)
        found = csp_violations(self.driver)
        assert found == [], f"{self.driver.current_url}: {found}"
        return target

    def click(self, element, *, leaves=False):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        self.clicks += 1
        if leaves:
            self.loads += 1
            self.leave(element.click)
        else:
            element.click()

    def type(self, element, text: str, *, paste=False):
        """Type into a field; a pasted article is put in whole, as the clipboard does."""
        self.typed.append(text)
        if paste:
            self.driver.execute_script(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                element,
                text,
            )
        else:
            element.send_keys(text)


def test_the_reuters_follow_up_is_recorded_through_the_intake_page(browser, live_server):
    from selenium.webdriver.common.by import By

    call_command("load_seeds", verbosity=0)
    researcher = browser_researcher("ada", PASSWORD)
    for old in ARTIFACTS.glob("*.png") if ARTIFACTS.exists() else ():
        old.unlink()
    path = CountedSteps(browser, live_server.url)

    # Log in, and open "Record an article" from the site's navigation.
    path.get("/claims/")
    path.loads += 1
    path.type(path.css("#id_username"), "ada")
    path.type(path.css("#id_password"), PASSWORD)
    path.click(path.css("input[type=submit]"), leaves=True)
    path.click(path.css(".site-nav a[href='/intake/']"), leaves=True)
    path.shot("intake-empty")

    # Paste the article, give the outlet and the date, ask for a draft.
    path.type(path.css("#id_text"), ARTICLE, paste=True)
    path.type(path.css("#id_outlet"), "Reuters")
    path.type(path.css("#id_published"), "2025-05-20")
    path.shot("intake-pasted")
    path.click(path.css("#intake-propose"), leaves=True)
    path.css("#intake-review-form")
    path.shot("intake-review")
    page = browser.find_element(By.CSS_SELECTOR, ".intake").text
    assert "Already in the record" in page
    marks = browser.find_elements(By.CSS_SELECTOR, ".intake-text mark")
    assert len(marks) > 10

    # The denial answers the enlistment claim: one click among the claims offered; then record.
    choice = path.css("input[type=radio][value='uspis-enlisted']")
    path.click(choice)
    assert choice.is_selected()
    path.click(path.css("#intake-record"), leaves=True)
    state = path.css("#intake-state").text
    assert "recorded" in state, browser.find_element(By.CSS_SELECTOR, "main").text[:3000]
    path.shot("intake-recorded")

    denial = m.Claim.objects.get(answers__slug="uspis-enlisted")
    assert denial.kind == m.ClaimKind.DENIAL and "required to share by law" in denial.text
    assert denial.history.earliest().history_user_id == researcher.pk
    assert m.CommentRequest.objects.filter(agency__slug="ice", response="declined").exists()

    # The enlistment claim, in the explorer, shows the denial that answers it.
    path.click(path.css(".site-nav a[href='/claims/']"), leaves=True)
    path.type(path.css("#f-q"), "enlisted")
    path.click(path.css("#claim-filter button[type=submit]"), leaves=True)
    row = path.css("#claim-uspis-enlisted")
    assert f"disputed by {denial.slug}" in row.text
    path.click(row.find_element(By.CSS_SELECTOR, "details.lines summary"))
    answers = row.find_element(By.CSS_SELECTOR, ".answers").text
    assert (
        f"disputed by {denial.slug}" in answers.replace("DISPUTED BY", "disputed by")
        and "Postal Inspection Service shares only" in answers
    )
    path.shot("explorer-enlistment-disputed")

    # Within the limits, and not one id typed by hand.
    slugs = {
        slug
        for model in (m.Agency, m.Outlet, m.Document, m.Source, m.Claim, m.Figure)
        for slug in model.objects.values_list("slug", flat=True)
    }
    # Every id of the record, the new ones included: none of them was typed.
    typed_ids = [text for text in path.typed if text.strip() in slugs]
    assert "uspis-enlisted" in slugs and denial.slug in slugs
    print(f"\nintake path: {path.clicks} clicks, {len(path.typed)} typed fields, {path.loads} page loads")
    assert path.clicks <= MAX_CLICKS
    assert typed_ids == []
