"""For comparison with the intake page: the same Reuters follow-up recorded through the admin forms,
in chromium, counting clicks, typed fields, page loads and the ids typed by hand. Not a target: the
intake page's test holds the limits; this one prints what the admin path costs on this branch (where
a claim's "answers" is already an autocomplete field, so no "disputes" line has to be typed again on
the enlistment claim, as issue 12's measurement had to)."""

import pytest
from django.core.management import call_command

from agencies import models as m
from tests.browser.conftest import browser_researcher
from tests.browser.test_intake_path import PASSWORD, CountedSteps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class AdminSteps(CountedSteps):
    def choose(self, select_id, typed):
        self.clicks += 1
        self.typed.append(typed)
        super().choose(select_id, typed)

    def select(self, select_id, value):
        from selenium.webdriver.support.ui import Select

        self.clicks += 2  # open the list, pick the value
        Select(self.css(f"#{select_id}")).select_by_value(value)

    def home(self):
        self.click(self.css("#site-name a, .breadcrumbs a"), leaves=True)

    def add(self, model):
        self.click(self.css(f"a[href='/admin/agencies/{model}/add/']"), leaves=True)


def test_the_same_follow_up_through_the_admin_forms(browser, live_server):
    call_command("load_seeds", verbosity=0)
    browser_researcher("ada", PASSWORD)
    path = AdminSteps(browser, live_server.url)
    ids = []

    path.get("/admin/")
    path.loads += 1
    path.type(path.css("#id_username"), "ada")
    path.type(path.css("#id_password"), PASSWORD)
    path.click(path.css("input[type=submit]"), leaves=True)

    # The Reuters article, citing the Post's report.
    path.add("document")
    ids.append("reuters-usps-statement")
    path.type(path.css("#id_slug"), ids[-1])
    path.select("id_kind", "article")
    path.choose("id_outlet", "Reuters")
    path.type(path.css("#id_title"), "USPS says Postal Inspection Service shares only data required by law")
    path.type(path.css("#id_published"), "2025-05-20")
    path.css("#id_authors").clear()
    path.type(path.css("#id_authors"), '["Daniel Whitcomb"]')
    path.click(path.css("#citations-group .add-row a"))
    path.choose("id_citations-0-cited", "Washington Post")
    path.click(path.css("input[name=_save]"), leaves=True)

    # The spokesperson.
    path.home()
    path.add("source")
    ids.append("david-partenheimer")
    path.type(path.css("#id_slug"), ids[-1])
    path.select("id_kind", "person")
    path.type(path.css("#id_name"), "David Partenheimer")
    path.type(path.css("#id_title"), "USPS spokesperson")
    path.choose("id_affiliation", "USPS")
    path.click(path.css("input[name=_save]"), leaves=True)

    # The denial, answering the enlistment claim.
    path.home()
    path.add("claim")
    ids.append("usps-shares-only-required-data")
    path.type(path.css("#id_slug"), ids[-1])
    path.select("id_kind", "denial")
    path.type(path.css("#id_made"), "2025-05-20")
    path.type(
        path.css("#id_text"),
        "The Postal Inspection Service shares only the data the law requires it to share.",
    )
    path.choose("id_answers", "enlisted")
    path.choose("id_claim_agencies-0-agency", "Postal Inspection")
    path.choose("id_attributions-0-document", "shares only data")
    path.choose("id_attributions-0-origin", "Partenheimer")
    path.type(
        path.css("#id_attributions-0-quote"),
        "The Postal Inspection Service shares only the data it is required to share by law",
    )
    path.type(path.css("#id_attributions-0-locator"), "para 2")
    path.click(path.css("input[name=_save]"), leaves=True)

    # ICE declined to comment; the White House did not respond.
    for agency, response in (("Immigration and Customs", "declined"), ("White House", "none")):
        path.home()
        path.add("commentrequest")
        path.choose("id_document", "shares only data")
        path.choose("id_agency", agency)
        path.select("id_response", response)
        path.click(path.css("input[name=_save]"), leaves=True)

    denial = m.Claim.objects.get(slug="usps-shares-only-required-data")
    assert denial.answers.slug == "uspis-enlisted"
    assert [a.document.slug for a in denial.attributions.all()] == ["reuters-usps-statement"]
    assert m.CommentRequest.objects.filter(document__slug="reuters-usps-statement").count() == 2
    print(
        f"\nadmin path: {path.clicks} clicks, {len(path.typed)} typed fields, {path.loads} page loads, "
        f"{len(ids)} ids typed by hand"
    )
    assert len(ids) == 3
