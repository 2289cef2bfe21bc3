"""What the browser tests share: a headless chromium, and a researcher who logs in with a password."""

import pytest

from agencies.core import services
from agencies.core.permissions import roles_sync
from tests import factories as f
from tests.trust.browser import chromium_driver


@pytest.fixture
def browser(tmp_path):
    driver = chromium_driver(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def browser_researcher(username: str, password: str):
    """A researcher who logs in with `password` (after a transactional test's flush: the roles again)."""
    roles_sync()
    user = f.UserFactory(username=username, is_staff=True)
    user.set_password(password)
    user.save()
    services.user_set_role(actor=None, user=user, role="researcher", confidential=False)
    return user
