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
    assert "Too many failed logins from your address (the last one for alice)" in locked.content.decode()

    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429 and not logged_in(client)

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


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, make_user, axes_on):
    """Anyone can type an account's name: failures lock that address out, never the account everywhere."""
    from django.conf import settings

    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "ip_address"]
    make_user("editor", username="grace")
    for _ in range(5):
        login(client, "grace", "attacker guess", address="198.51.100.66")
    assert login(client, "grace", PASSWORD, address="198.51.100.66").status_code == 429
    assert not logged_in(client)
    # The attacker's address is locked for every account, not only grace's.
    assert login(client, "someone-else", "guess", address="198.51.100.66").status_code == 429

    owner = login(client, "grace", PASSWORD, address="203.0.113.20")
    assert owner.status_code == 302 and logged_in(client)
    assert AccessLog.objects.filter(username="grace", ip_address="203.0.113.20").exists()
    # Her success did not clear the attacker's lockout.
    client.logout()
    assert login(client, "grace", PASSWORD, address="198.51.100.66").status_code == 429
