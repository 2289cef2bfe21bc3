"""Every page carries the Content-Security-Policy, and no page needs what it forbids: no inline script,
style, style attribute or event handler (the browser test shows the pages working under it)."""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from agencies.models import Briefing
from tests import factories as f
from tests.factories import populate
from tests.trust.conftest import CANARY

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class InlineFinder(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.blocked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name == "style":
                self.blocked.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.blocked.append("<style> element")
        # Scripts with a src, and data blocks (JSON), are allowed; an inline script is not.
        self._in_script = tag == "script" and "src" not in attrs and attrs.get("type") != "application/json"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.blocked.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_content(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.blocked


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def admin_urls() -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:findings"), reverse("admin:password_change")]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        urls.append(reverse(f"{name}_add"))
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        urls += [reverse(f"{name}_change", args=[obj.pk]), reverse(f"{name}_delete", args=[obj.pk])]
        history = getattr(obj, "history", None)
        if history is not None and model is not Briefing:
            urls.append(reverse(f"{name}_history", args=[obj.pk]))
            urls.append(reverse(f"{name}_simple_history", args=[obj.pk, history.first().history_id]))
    return urls


@pytest.fixture
def full_record(db, canary_source):
    populate(2)
    f.ClaimFactory(agencies=[f.AgencyFactory()], status="confirmed")


def test_every_admin_page_has_the_policy_and_nothing_inline(client, full_record):
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    urls = admin_urls()
    assert len(urls) > 60
    problems = []
    for url in urls:
        response = client.get(url)
        if response.status_code == 403 and url.endswith("/add/"):
            continue  # an admin that adds nothing by hand (briefings, login attempts)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        if policy_of(response) != POLICY:
            problems.append(f"{url}: policy {response['Content-Security-Policy']}")
        problems += [f"{url}: {found}" for found in inline_content(response.content.decode())]
    assert problems == []


def test_the_login_and_lockout_pages_have_the_policy_and_nothing_inline(client, settings, make_user):
    login = client.get(reverse("admin:login"))
    assert policy_of(login) == POLICY
    assert inline_content(login.content.decode()) == []
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 1
    make_user("viewer", username="grace")
    locked = client.post(reverse("admin:login"), {"username": "grace", "password": "wrong"})
    assert locked.status_code == 429
    assert policy_of(locked) == POLICY
    assert inline_content(locked.content.decode()) == []


def test_a_page_with_a_changelist_without_actions_needs_no_inline_style(client, make_user, full_record):
    # A viewer has no bulk actions; Django would then add an inline <style> unless actions stay on top.
    client.force_login(make_user("viewer"))
    response = client.get(reverse("admin:agencies_claim_changelist"))
    assert response.status_code == 200
    assert inline_content(response.content.decode()) == []


def test_the_finder_catches_what_the_policy_blocks():
    html = (
        '<div style="color: red"></div><style>p{}</style><select onchange="go()"></select>'
        '<script>alert(1)</script><script src="/static/x.js"></script>'
        '<script type="application/json">{"a": 1}</script><a href="javascript:void(0)">x</a>'
    )
    assert len(inline_content(html)) == 5
    assert CANARY  # the record used by these tests carries a confidential note
