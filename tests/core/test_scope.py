"""One scope per agency: its page, Findings and its briefing show the same facts, for every agency of
the seed and of a generated record."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from agencies import models as m
from agencies.briefings.data import briefing_data
from agencies.briefings.html import briefing_html
from agencies.core.scope import agency_scope, comment_outcome, scope_facts
from agencies.exchange.synthetic import record_load
from tests.factories import user_with

pytestmark = pytest.mark.django_db
GENERATED = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _value(v) -> str:
    return f"{v.normalize():,f}"


def facts_of(facts) -> dict:
    """The facts of ScopeFacts (a page's or Findings' context), as comparable text."""
    return {
        "drift": sorted((role.role.agency.label, role.role.summary) for role in facts.outside_roles),
        "contested": sorted(
            (
                p.metric.replace("_", " "),
                _value(p.first.value),
                _value(p.second.value),
                p.first.period_display,
            )
            for p in facts.contested
        ),
        "rates": sorted(
            (p.metric.replace("_", " "), _value(p.first.value), _value(p.second.value)) for p in facts.rates
        ),
        "requests": sorted(
            (r.request.agency.label, r.request.document.title, comment_outcome(r.request))
            for r in facts.comment_requests
        ),
    }


def briefing_facts(data) -> dict:
    return {
        "drift": sorted((d.agency, d.summary) for d in data.findings.drift),
        "contested": sorted(
            (c.metric, c.first.value, c.second.value, c.first.period) for c in data.contested
        ),
        "rates": sorted((r.metric, r.first.value, r.second.value) for r in data.rates),
        "requests": sorted((r.agency, r.document, r.outcome) for r in data.comment_requests),
    }


def assert_every_agency_agrees(client):
    checked = 0
    for agency in m.Agency.objects.order_by("slug"):
        page = client.get(f"/agencies/{agency.slug}/")
        findings = client.get(f"/admin/findings/?agency={agency.slug}")
        data = briefing_data(scope={"agencies": [agency.slug]}, audience="public")
        on_page = facts_of(page.context["profile"].facts)
        in_findings = facts_of(findings.context["facts"])
        in_briefing = briefing_facts(data)
        assert on_page == in_findings == in_briefing, agency.slug
        # The briefing's key findings count what its sections print.
        assert data.findings.contested == len(in_briefing["contested"])
        assert (
            data.findings.open_requests + data.findings.declined_requests + data.findings.answered_requests
            == (len(in_briefing["requests"]))
        )
        html = page.content.decode()
        assert f"<strong>{len(on_page['drift'])}</strong> reported role" in html
        assert f"<strong>{len(on_page['contested'])}</strong> contested figure pair" in html
        printed = briefing_html(data, fingerprint="0" * 64, generated=GENERATED).lower()
        for _agency, _title, outcome in on_page["requests"]:
            assert outcome[:20].lower() in html.lower() and outcome[:20].lower() in printed
        checked += 1
    return checked


@pytest.fixture
def researcher(django_user_model):
    return user_with(django_user_model, "researcher", "view_claim", "view_briefing", "view_agency")


def test_the_seed_agencies_agree_everywhere(client, researcher):
    call_command("load_seeds", stdout=io.StringIO())
    client.force_login(researcher)
    assert assert_every_agency_agrees(client) == m.Agency.objects.count()


def test_the_seed_scopes_hold_what_the_issue_found_missing():
    call_command("load_seeds", stdout=io.StringIO())
    uspis = facts_of(scope_facts(agency_scope(m.Agency.objects.get(slug="uspis"))))
    assert len(uspis["contested"]) == 1 and [r[0] for r in uspis["requests"]] == ["DHS"]
    # DHS's story is the role USPIS is reported to play for it.
    dhs = facts_of(scope_facts(agency_scope(m.Agency.objects.get(slug="dhs"))))
    assert dhs["drift"] == [("USPIS", "Assisting DHS with tracking, detaining and deporting immigrants.")]
    # Rate pairs say something: none pairs a figure already contested over its own period.
    assert [r[1:] for r in dhs["rates"]] == [("57,000", "37,660")]


def test_a_generated_record_agrees_everywhere(client, researcher):
    record_load(claims=60, seed=4, progress_stream=None)
    # Every outcome of a comment request is in it, so that each is compared.
    assert set(m.CommentRequest.objects.values_list("response", flat=True)) >= {
        "none",
        "declined",
        "responded",
    }
    client.force_login(researcher)
    assert assert_every_agency_agrees(client) >= 3
