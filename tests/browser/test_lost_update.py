"""Two researchers edit the same claim in two real browsers: the second save is refused and says why."""

import pytest
from django.core.management import call_command

from agencies.core import permissions, services
from agencies.models import Attribution, Claim
from tests.trust.browser import ARTIFACTS, chromium_driver, leave_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-the-browser-test"


@pytest.fixture
def two_browsers(tmp_path):
    drivers = [chromium_driver(tmp_path / "first"), chromium_driver(tmp_path / "second")]
    try:
        yield drivers
    finally:
        for driver in drivers:
            driver.quit()


def _log_in(driver, base: str, username: str, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + url)
    wait = WebDriverWait(driver, 30)
    wait.until(ready.presence_of_element_located((By.ID, "id_username"))).send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # The claim's page, once the login has redirected to it.
    wait.until(ready.presence_of_element_located((By.ID, "id_text")))


def _shown(driver, css: str):
    """The element, once the page that has it has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 30).until(ready.presence_of_element_located((By.CSS_SELECTOR, css)))


def _save(driver) -> None:
    from selenium.webdriver.common.by import By

    button = driver.find_element(By.CSS_SELECTOR, "input[name=_continue]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    leave_page(driver, button.click)


def test_the_second_browser_save_is_refused_and_the_first_kept(two_browsers, live_server, django_user_model):
    from selenium.webdriver.common.by import By

    call_command("load_seeds", verbosity=0)
    permissions.roles_sync()  # a transactional test's flush takes the groups the migrations made
    for name in ("ines", "omar"):
        user = django_user_model.objects.create_user(name, f"{name}@example.org", PASSWORD)
        services.user_set_role(actor=None, user=user, role="researcher", confidential=False)
    claim = Claim.objects.get(slug="uspis-enlisted")
    attribution = claim.attributions.order_by("position").first()
    url = f"/admin/agencies/claim/{claim.pk}/change/"
    first, second = two_browsers
    _log_in(first, live_server.url, "ines", url)
    _log_in(second, live_server.url, "omar", url)

    text = first.find_element(By.ID, "id_text")
    text.clear()
    text.send_keys("The administration asked the Inspection Service to help DHS find immigrants.")
    _save(first)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.save_screenshot(str(ARTIFACTS / "lost-update-first-save.png"))
    assert "was changed successfully" in _shown(first, ".messagelist").text

    locator = second.find_element(By.ID, "id_attributions-0-locator")
    locator.clear()
    locator.send_keys("para 9")
    _save(second)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    second.save_screenshot(str(ARTIFACTS / "lost-update-refused.png"))
    refusal = _shown(second, ".errornote, .errorlist").get_attribute("textContent")
    page = second.find_element(By.TAG_NAME, "body").text
    assert "Someone else saved this record after you opened it" in page, refusal
    assert "by ines" in page

    claim.refresh_from_db()
    assert claim.text.startswith("The administration asked the Inspection Service")
    assert Attribution.objects.get(pk=attribution.pk).locator == attribution.locator
