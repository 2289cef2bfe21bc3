"""Forwarded headers count only from a trusted proxy (OVERSIGHT_TRUSTED_PROXIES, none by default).

Before, every request off DEBUG trusted them: a client reaching gunicorn directly rotated
X-Forwarded-For to dodge the per-address lockout, locked everyone behind the proxy out by sending
127.0.0.1, chose the address the login log recorded, and passed as HTTPS with X-Forwarded-Proto.
"""

import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse

from oversight.security import client_ip
from tests.trust.conftest import PASSWORD
from tests.trust.test_deploy import MANAGE, ROOT

ATTACKER = "198.51.100.66"
PROXY = "127.0.0.1"


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def no_proxy(settings):
    settings.TRUSTED_PROXIES = []


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def login(client, username, password, *, remote, forwarded=None, **extra):
    extra["REMOTE_ADDR"] = remote
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **extra,
    )


def test_trust_none_is_the_default():
    from django.conf import settings

    assert settings.TRUSTED_PROXIES == []
    assert not hasattr(settings, "SECURE_PROXY_SSL_HEADER") or settings.SECURE_PROXY_SSL_HEADER is None
    assert settings.MIDDLEWARE[0] == "oversight.security.TrustedProxyMiddleware"


def test_rotating_x_forwarded_for_does_not_dodge_the_lockout(client, make_user, axes_on, no_proxy):
    make_user("viewer", username="alice")
    for n in range(6):
        login(client, "alice", "guess", remote=ATTACKER, forwarded=f"192.0.2.{n + 1}")
    # Still locked, as the address it comes from, whatever it claims.
    assert login(client, "alice", PASSWORD, remote=ATTACKER, forwarded="192.0.2.99").status_code == 429
    assert "_auth_user_id" not in client.session
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_a_client_claiming_127_0_0_1_does_not_lock_out_the_proxys_users(client, make_user, axes_on, no_proxy):
    make_user("viewer", username="bob")
    for _ in range(5):
        login(client, "carol", "guess", remote=ATTACKER, forwarded=PROXY)
    assert not AccessAttempt.objects.filter(ip_address=PROXY).exists()
    ok = login(client, "bob", PASSWORD, remote=PROXY)
    assert ok.status_code == 302 and "_auth_user_id" in client.session


def test_the_login_log_records_the_address_the_request_came_from(client, make_user, axes_on, no_proxy):
    make_user("viewer", username="dave")
    login(client, "dave", PASSWORD, remote="203.0.113.5", forwarded="8.8.8.8")
    assert list(AccessLog.objects.filter(username="dave").values_list("ip_address", flat=True)) == [
        "203.0.113.5"
    ]


def test_x_forwarded_proto_from_a_client_does_not_make_the_request_secure(client, settings, no_proxy):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # even if it were set
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_behind_a_trusted_proxy_its_headers_count(client, make_user, settings, axes_on, behind_proxy):
    settings.SECURE_SSL_REDIRECT = True
    page = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=PROXY)
    assert page.status_code == 200
    make_user("viewer", username="erin")
    # The proxy appended the address it saw; what the client wrote before it never counts.
    response = login(
        client,
        "erin",
        PASSWORD,
        remote=PROXY,
        forwarded="6.6.6.6, 203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert response.status_code == 302
    assert AccessLog.objects.get(username="erin").ip_address == "203.0.113.9"


def test_behind_a_trusted_proxy_a_forged_first_entry_does_not_dodge_the_lockout(
    client, make_user, axes_on, behind_proxy
):
    make_user("viewer", username="frank")
    for n in range(6):
        login(client, "frank", "guess", remote=PROXY, forwarded=f"192.0.2.{n + 1}, {ATTACKER}")
    assert (
        login(client, "frank", PASSWORD, remote=PROXY, forwarded=f"192.0.2.99, {ATTACKER}").status_code == 429
    )
    assert login(client, "frank", PASSWORD, remote=PROXY, forwarded="203.0.113.1").status_code == 302


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("203.0.113.7", "1.2.3.4", "203.0.113.7"),  # not a proxy: its header is the client's word
        ("127.0.0.1", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # the proxy's own entry, not the first
        ("127.0.0.1", "203.0.113.7, 10.1.2.3", "203.0.113.7"),  # two trusted hops: skip both
        ("::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),  # the proxy over IPv4-mapped IPv6
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "", "127.0.0.1"),  # nothing forwarded: the proxy itself
        ("127.0.0.1", "not-an-address", "127.0.0.1"),  # junk: the last address that is sure
        ("127.0.0.1", "10.0.0.9", "10.0.0.9"),  # only trusted hops: the first of them
    ],
)
def test_client_ip(rf, behind_proxy, remote, forwarded, expected):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_mistyped_trusted_proxy_stops_the_start(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "oversight.test_settings",
        "OVERSIGHT_VAR_DIR": str(tmp_path),
        "OVERSIGHT_TRUSTED_PROXIES": "127.0.0.1,127.0.0.300",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, "check"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "OVERSIGHT_TRUSTED_PROXIES: '127.0.0.300' is not an IP address or network" in result.stderr
    replaced = env | {"OVERSIGHT_TRUSTED_PROXIES": "", "DJANGO_BEHIND_PROXY": "1"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, "check"], env=replaced, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "replaced by OVERSIGHT_TRUSTED_PROXIES" in result.stderr
