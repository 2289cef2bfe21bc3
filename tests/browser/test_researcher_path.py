"""A researcher's path in a real browser (Debian's headless chromium, through Selenium):

log in, add a claim with an attribution in the admin, find it in the explorer by a filter and by a
search, brief the selection, wait for the briefing, download the PDF and read it.

Every step leaves a screenshot in test-artifacts/browser/ (look at them), and no page may report a
Content-Security-Policy violation. Skips when chromium is missing, unless OVERSIGHT_REQUIRE_SERVICES.
"""

import io
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from agencies.models import Briefing, BriefingStatus, Claim
from tests.briefings.job_support import in_process_fixture  # noqa: F401 - fixture
from tests.trust.browser import ARTIFACTS as BASE_ARTIFACTS
from tests.trust.browser import chromium_driver, csp_violations, leave_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = BASE_ARTIFACTS / "browser"
PASSWORD = "pw-for-the-browser-test"
CLAIM_TEXT = (
    "Postal inspectors were asked to photograph parcels addressed to people with pending "
    "immigration hearings."
)
QUOTE = "photograph every parcel"


@pytest.fixture
def browser(tmp_path):
    driver = chromium_driver(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


class Steps:
    """The steps, each with a numbered screenshot and a check that the page kept to the CSP."""

    def __init__(self, driver, base_url: str):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.base = base_url
        self.wait = WebDriverWait(driver, 30)
        self.step = 0

    def shot(self, name: str) -> Path:
        self.step += 1
        path = ARTIFACTS / f"{self.step:02d}-{name}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1400, max(900, min(height, 3000)))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1400, 1000)
        found = csp_violations(self.driver)
        assert found == [], f"{self.driver.current_url}: {found}"
        return path

    def get(self, url: str) -> None:
        self.driver.get(self.base + url)

    def css(self, selector: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ready

        return self.wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def leave(self, act) -> None:
        """Do `act` (a click, a submit) and wait until the next page has replaced this one: a lookup
        right after a click could otherwise find its element on the page being left."""
        leave_page(self.driver, act)

    def choose(self, select_id: str, typed: str) -> None:
        """Pick a value in one of the admin's autocomplete (select2) fields, as a person does."""
        from selenium.webdriver.common.keys import Keys

        box = self.css(f"#{select_id} + .select2 .select2-selection")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
        search = self.css(".select2-container--open .select2-search__field")
        search.send_keys(typed)
        self.wait.until(
            lambda d: any(
                typed.lower() in option.text.lower()
                for option in d.find_elements("css selector", ".select2-results__option--highlighted")
            )
        )
        search.send_keys(Keys.ENTER)


def test_a_researcher_finds_a_new_claim_and_briefs_it(
    browser, live_server, in_process, settings, tmp_path, django_user_model
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_seeds", verbosity=0)
    django_user_model.objects.create_superuser("ada", "ada@example.org", PASSWORD)
    path = Steps(browser, live_server.url)

    # 1. Log in.
    path.get("/claims/")
    path.css("#id_username").send_keys("ada")
    path.css("#id_password").send_keys(PASSWORD)
    path.shot("login")
    path.css("input[type=submit]").click()
    path.css("#results-title")
    path.shot("explorer-after-login")

    # 2. Add a claim with an attribution in the admin.
    path.get("/admin/agencies/claim/add/")
    path.css("#id_slug").send_keys("uspis-parcel-photographs")
    Select(path.css("#id_kind")).select_by_value("role")
    path.css("#id_made").send_keys("2025-06")
    path.css("#id_text").send_keys(CLAIM_TEXT)
    path.choose("id_claim_agencies-0-agency", "Postal Inspection")
    path.choose("id_attributions-0-document", "Secret Deportation")
    path.choose("id_attributions-0-origin", "familiar")
    path.choose("id_attributions-0-via", "Inspection Service assisting")
    path.css("#id_attributions-0-locator").send_keys("para 15")
    path.css("#id_attributions-0-quote").send_keys(QUOTE)
    path.shot("admin-add-claim")
    path.css("input[name=_save]").click()
    path.css("#changelist")
    path.shot("admin-claim-saved")
    claim = Claim.objects.get(slug="uspis-parcel-photographs")
    assert [a.slug for a in claim.agencies.all()] == ["uspis"]
    line = claim.attributions.get()
    assert (line.document.slug, line.origin.slug, [h.document.slug for h in line.hops.all()]) == (
        "db-postal-deportations",
        "source-familiar",
        ["wapo-report"],
    )

    # 3. Find it in the explorer by a filter: about USPIS, made since June 2025.
    path.get("/claims/")
    path.css("input[name=agency][value=uspis]").click()
    path.css("#f-after").send_keys("2025-06")
    path.leave(path.css("#claim-filter button[type=submit]").click)
    row = path.css("#claim-uspis-parcel-photographs")
    assert "made_after=2025-06" in browser.current_url and "agency=uspis" in browser.current_url
    assert "sort=" not in browser.current_url  # defaults are not sent
    rows = browser.find_elements(By.CSS_SELECTOR, ".claims-table tbody tr")
    assert [r.get_attribute("id") for r in rows] == ["claim-uspis-parcel-photographs"]
    assert "anonymous only" in row.text and "June 2025" in row.text
    chips = [chip.text for chip in browser.find_elements(By.CSS_SELECTOR, ".chip__label")]
    assert chips == ["About USPIS", "Made on or after June 2025"]
    row.find_element(By.CSS_SELECTOR, "details.lines summary").click()
    assert "The Daily Beast → The Washington Post → one source familiar with the matter" in row.text
    path.shot("explorer-by-filter")

    # 4. And by a search, from a cleared explorer.
    path.leave(browser.find_element(By.CSS_SELECTOR, ".chips__clear").click)
    path.leave(lambda: path.css("#f-q").send_keys("immigration hearings\n"))
    path.css("#claim-uspis-parcel-photographs")
    rows = browser.find_elements(By.CSS_SELECTOR, ".claims-table tbody tr")
    assert [r.get_attribute("id") for r in rows] == ["claim-uspis-parcel-photographs"]
    path.shot("explorer-by-search")

    # 5. Brief this selection and wait for the briefing.
    path.leave(path.css("#brief-selection").click)
    path.css("#briefing-state")
    deadline = time.monotonic() + 120
    while (state := path.css("#briefing-state").get_attribute("textContent").strip()) != "Succeeded":
        assert state != "Failed", browser.page_source[:2000]
        assert time.monotonic() < deadline, f"the briefing is still {state}"
        time.sleep(1)
        browser.refresh()
    briefing = Briefing.objects.get()
    assert briefing.status == BriefingStatus.SUCCEEDED
    assert briefing.scope == {"filter": "q=immigration+hearings"}
    path.shot("briefing-ready")

    # 6. Download the PDF and read it.
    path.css("#briefing-download").click()
    deadline = time.monotonic() + 60
    while not (pdfs := [p for p in browser.downloads.glob("*.pdf") if p.stat().st_size]) or list(
        browser.downloads.glob("*.crdownload")
    ):
        assert time.monotonic() < deadline, "the PDF was not downloaded"
        time.sleep(0.5)
    (pdf,) = pdfs
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "photograph parcels addressed to people with pending immigration hearings" in text
    assert QUOTE in text
    assert "one source familiar with the matter" in text
    assert len(reader.pages) == briefing.page_count
    path.shot("after-download")
