"""django-axes: after repeated failed logins the right password is refused until the cool-off ends."""

import logging
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse

from tests.trust.conftest import PASSWORD

COOL_OFF = 2  # seconds, so that the test can wait for the end of a lockout


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(seconds=COOL_OFF)


def login(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_is_refused_until_the_lockout_ends(client, make_user, axes_on, caplog):
    make_user("researcher", username="alice")
    caplog.set_level(logging.DEBUG)
    for _ in range(2):
        response = login(client, "alice", "wrong password")
        assert response.status_code == 200 and not logged_in(client)
    locked = login(client, "alice", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed logins for alice" in locked.content.decode()

    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429 and not logged_in(client)
    # From another address too: the account itself is locked.
    assert login(client, "alice", PASSWORD, address="198.51.100.9").status_code == 429
    assert not logged_in(client)

    # The attempts are kept (the admin lists them for superusers), the passwords typed are not.
    attempts = list(AccessAttempt.objects.filter(username="alice").values())
    assert max(attempt["failures_since_start"] for attempt in attempts) >= 3
    assert "wrong password" not in repr(attempts)

    time.sleep(COOL_OFF + 0.5)
    accepted = login(client, "alice", PASSWORD)
    assert accepted.status_code == 302 and accepted.url == reverse("admin:index")
    assert logged_in(client)
    assert "wrong password" not in caplog.text and PASSWORD not in caplog.text
    assert AccessLog.objects.filter(username="alice").exists()


def test_an_address_trying_many_accounts_is_locked_out(client, make_user, axes_on):
    make_user("viewer", username="bob")
    for name in ("carol", "dave", "erin"):
        login(client, name, "guess", address="192.0.2.50")
    assert login(client, "bob", PASSWORD, address="192.0.2.50").status_code == 429
    assert not logged_in(client)
    assert login(client, "bob", PASSWORD, address="192.0.2.51").status_code == 302


def test_a_success_resets_the_count(client, make_user, axes_on):
    make_user("viewer", username="frank")
    for _ in range(2):
        login(client, "frank", "typo")
    assert login(client, "frank", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        login(client, "frank", "typo")
    assert login(client, "frank", PASSWORD).status_code == 302


def test_behind_the_proxy_the_forwarded_address_counts(rf, settings):
    from oversight.security import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.7"  # the proxy's own entry; the first could be forged
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.2"
