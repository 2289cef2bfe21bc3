"""Every reader page, and the admin's claim, agency and source pages, pass axe-core with no serious or
critical violation at 1440 and at 390 px, and no reader page is wider than a 390 px phone.

Runs on the seed case in Debian's headless chromium. Screenshots of every page at both widths go to
test-artifacts/accessibility/ (look at them). Skips when chromium is missing, unless
OVERSIGHT_REQUIRE_SERVICES.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.core.management import call_command

from agencies import models as m
from agencies.briefings.services import briefing_render_now
from agencies.intake.review import draft_start
from tests.briefings.job_support import use_fake_render
from tests.browser.axe import DESKTOP, PHONE, axe_violations, describe, node_count, set_width
from tests.trust.browser import ARTIFACTS as BASE_ARTIFACTS
from tests.trust.browser import csp_violations, leave_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = BASE_ARTIFACTS / "accessibility"
SEEDS = Path(__file__).resolve().parents[1] / "intake" / "gold"
PASSWORD = "pw-for-the-accessibility-test"


def screenshot(driver, name: str, width: int) -> None:
    """The whole page, as tall as it is, at `width`."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1},
        },
    )
    (ARTIFACTS / f"{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))


def log_in(driver, base: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/admin/login/")
    wait = WebDriverWait(driver, 30)
    wait.until(ready.presence_of_element_located((By.ID, "id_username"))).send_keys("ada")
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    # The admin index, not the login page being left.
    leave_page(driver, driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click)
    wait.until(ready.presence_of_element_located((By.ID, "content")))


def reader_and_admin_pages(user) -> tuple[dict[str, str], dict[str, str]]:
    claim = m.Claim.objects.get(slug="uspis-enlisted")
    source = m.Source.objects.get(slug="wapo-two-people")
    uspis = m.Agency.objects.get(slug="uspis")
    ready = briefing_render_now(actor=user, scope={"agencies": ["uspis"]}, audience="public")
    queued = m.Briefing.objects.create(
        scope={"filter": "agency=uspis"}, scope_key="k", audience="public", requested_by=user
    )
    follow_up = (SEEDS / "wire-reuters-usps-denial.txt").read_text(encoding="utf-8")
    draft = draft_start(actor=user, text=follow_up)
    reader = {
        "explorer": "/claims/",
        "explorer-filtered": "/claims/?q=postal+-retracted&agency=uspis&agency=dhs&status=unverified"
        "&status=disputed&anonymous_only=true&made_after=2025-01&sort=-origins",
        "explorer-empty": "/claims/?q=nothing-matches-this",
        "explorer-invalid": "/claims/?made_after=someday",
        "agencies": "/agencies/",
        "agency-uspis": "/agencies/uspis/",
        "agency-dhs": "/agencies/dhs/",
        "agency-usps-timeline": "/agencies/usps/timeline/",
        "agency-usps-figures": "/agencies/usps/figures/",
        "agency-usps-requests": "/agencies/usps/requests/",
        "briefing-ready": f"/briefings/{ready.pk}/",
        "briefing-queued": f"/briefings/{queued.pk}/",
        "intake-new": "/intake/",
        "intake-review": f"/intake/{draft.pk}/",
    }
    admin = {
        "admin-index": "/admin/",
        "admin-claim": f"/admin/agencies/claim/{claim.pk}/change/",
        "admin-claim-add": "/admin/agencies/claim/add/",
        "admin-agency": f"/admin/agencies/agency/{uspis.pk}/change/",
        "admin-source": f"/admin/agencies/source/{source.pk}/change/",
        "admin-findings": "/admin/findings/",
        "admin-briefings": "/admin/agencies/briefing/",
        "admin-briefing-ready": f"/admin/agencies/briefing/{ready.pk}/change/",
        "admin-briefing-queued": f"/admin/agencies/briefing/{queued.pk}/change/",
    }
    return reader, admin


def test_reader_and_admin_pages_pass_axe_at_desktop_and_phone_widths(
    browser, live_server, settings, tmp_path, django_user_model, monkeypatch
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    use_fake_render(monkeypatch)
    call_command("load_seeds", verbosity=0)
    user = django_user_model.objects.create_superuser("ada", "ada@example.org", PASSWORD)
    reader, admin = reader_and_admin_pages(user)
    log_in(browser, live_server.url)

    # The check can fail: an unlabelled input put on a page is found.
    browser.get(live_server.url + "/agencies/")
    browser.execute_script("document.querySelector('main').append(document.createElement('input'))")
    assert "label" in [v["id"] for v in axe_violations(browser)]

    failures: list[str] = []
    for name, url in {**reader, **admin}.items():
        for width in (DESKTOP, PHONE):
            set_width(browser, width)
            browser.get(live_server.url + url)
            browser.find_element("css selector", "body")
            assert csp_violations(browser) == [], url
            screenshot(browser, name, width)
            found = axe_violations(browser)
            if found:
                failures.append(f"{name} at {width} px: {node_count(found)}\n{describe(found)}")
            wide = browser.execute_script("return document.documentElement.scrollWidth")
            if name in reader and width == PHONE and wide > PHONE:
                failures.append(f"{name} at {width} px is {wide} px wide")
            browser.get_log("browser")  # what axe itself logged is not the page's
    assert not failures, "\n".join(failures)


def state(driver) -> str:
    return driver.find_element("id", "briefing-state").get_attribute("textContent").strip()


def test_a_briefing_page_follows_its_job_in_place_without_reloading(browser, live_server, django_user_model):
    from selenium.webdriver.support.ui import WebDriverWait

    user = django_user_model.objects.create_superuser("ada", "ada@example.org", PASSWORD)
    queued = m.Briefing.objects.create(
        scope={"agencies": ["uspis"]}, scope_key="k", audience="public", requested_by=user
    )
    log_in(browser, live_server.url)
    browser.get(f"{live_server.url}/briefings/{queued.pk}/")
    assert state(browser) == "Queued"
    browser.execute_script("window.stillThisPage = true")
    m.Briefing.objects.filter(pk=queued.pk).update(
        status=m.BriefingStatus.FAILED, error="The worker gave up after 3 attempts."
    )
    WebDriverWait(browser, 20).until(lambda d: state(d) == "Failed")
    assert browser.execute_script("return window.stillThisPage") is True  # updated, not reloaded
    assert browser.find_element("id", "follow-live").get_attribute("textContent") == "Failed"
    assert "The worker gave up after 3 attempts." in browser.find_element("id", "briefing-follow").text
    assert not browser.find_element("id", "briefing-follow").get_attribute("data-follow-seconds")
    assert csp_violations(browser) == []
