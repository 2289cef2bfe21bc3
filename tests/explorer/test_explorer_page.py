"""/claims/: who may see it, what it lists on the seed record, its chips, pages and query count."""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies import models as m
from agencies.core import pagination
from tests import factories as f
from tests.factories import bulk_record, user_with

pytestmark = pytest.mark.django_db

URL = "/claims/"


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [row.claim.slug for row in response.context["rows"]]


def test_the_explorer_is_at_claims():
    assert reverse("agencies:claims") == URL


def test_anonymous_visitors_are_sent_to_log_in(client, seeded):
    response = client.get(URL + "?agency=dhs")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login") + "?next=")


def test_users_who_may_not_read_the_record_get_403_and_no_data(client, seeded, django_user_model):
    client.force_login(user_with(django_user_model, "nobody"))
    for query in ("", "?format=csv", "?format=json"):
        response = client.get(URL + query)
        assert response.status_code == 403
        assert b"enlisted" not in response.content


def test_seed_agency_includes_its_components(client, seeded, reader):
    client.force_login(reader)
    slugs = listed(client.get(URL, {"agency": "dhs"}))
    assert "ice-deportation-count" in slugs  # about ICE only: a component of DHS
    assert "uspis-enlisted" in slugs
    assert "trump-vow-millions" not in slugs
    assert set(listed(client.get(URL, {"agency": "ice"}))) == {"ice-deportation-count"}


def test_seed_anonymous_only_lists_the_enlistment_and_not_the_ice_figure(client, seeded, reader):
    client.force_login(reader)
    slugs = listed(client.get(URL, {"anonymous_only": "true"}))
    assert "uspis-enlisted" in slugs
    assert "ice-deportation-count" not in slugs
    assert set(slugs) == {
        "uspis-enlisted",
        "immigration-seeks-data",
        "uspis-nervous-overreach",
        "dhs-collaboration-key",
    }


def test_seed_search_finds_the_surveillance_claim(client, seeded, reader):
    client.force_login(reader)
    response = client.get(URL + "?q=mail+covers")
    assert listed(response) == ["immigration-seeks-data"]
    assert "Mentioning “mail covers”" in response.content.decode()


def test_seed_contested_and_origin_kind(client, seeded, reader):
    client.force_login(reader)
    assert set(listed(client.get(URL, {"contested": "true"}))) == {
        "homan-deportation-count",
        "ice-deportation-count",
    }
    assert set(listed(client.get(URL, {"origin_kind": "official"}))) == {
        "uspis-enlisted",
        "dhs-collaboration-key",
    }
    # Through USA Today (the 139,000 is disputed through it), and every supporting line through one outlet.
    assert set(listed(client.get(URL, {"outlet": "usa-today", "single_outlet": "true"}))) == {
        "homan-deportation-count",
        "ice-deportation-count",
        "kocher-creative-accounting",
    }


def test_rows_show_agencies_date_precision_origins_and_flags(client, seeded, reader):
    client.force_login(reader)
    response = client.get(URL, {"agency": "uspis"})
    rows = {row.claim.slug: row for row in response.context["rows"]}
    enlisted = rows["uspis-enlisted"]
    assert [a.slug for a in enlisted.agencies] == ["uspis", "dhs"]
    assert enlisted.evidence.independent_origins == 2
    assert [label for _css, label in enlisted.flags] == ["anonymous only", "single outlet"]
    html = response.content.decode()
    row_html = html[html.index('id="claim-uspis-enlisted"') :]
    row_html = row_html[: row_html.index("</tr>")]
    assert "May 2025" in row_html and '<span class="precision">month</span>' in row_html
    assert "two people who spoke on the condition of anonymity" in row_html
    assert "flag--anonymous" in row_html


def test_active_filters_show_as_chips_that_each_remove_one(client, seeded, reader):
    client.force_login(reader)
    response = client.get(URL, {"agency": "dhs", "status": "disputed", "made_after": "2025-03"})
    chips = {item.label: item.without for item in response.context["active"]}
    assert chips == {
        "About DHS, sub-agencies included": "made_after=2025-03&status=disputed",
        "Status: disputed": "agency=dhs&made_after=2025-03",
        "Made on or after March 2025": "agency=dhs&status=disputed",
    }
    html = response.content.decode()
    assert 'href="?made_after=2025-03&amp;status=disputed"' in html
    assert listed(client.get(URL + "?" + chips["Status: disputed"])) != []


def test_an_invalid_filter_lists_nothing_and_says_why(client, seeded, reader):
    client.force_login(reader)
    response = client.get(URL, {"agency": "nowhere", "made_after": "May 2025"})
    assert response.status_code == 400
    assert response.context["rows"] is None
    html = response.content.decode()
    assert "made_after" in html and "agency" in html
    assert client.get(URL, {"anonymous_only": "perhaps", "format": "csv"}).status_code == 400
    assert client.get(URL, {"format": "xlsx"}).status_code == 400


def test_pages_and_sorting(client, reader):
    bulk_record(60)
    client.force_login(reader)
    first = client.get(URL, {"per_page": 25, "sort": "made"})
    second = client.get(URL, {"per_page": 25, "sort": "made", "page": 2})
    last = client.get(URL, {"per_page": 25, "sort": "made", "page": 3})
    slugs = listed(first) + listed(second) + listed(last)
    assert len(slugs) == 60 and len(set(slugs)) == 60
    made = [m.Claim.objects.get(slug=s).made for s in slugs]
    dated = [d.isoformat() for d in made if d is not None]
    assert dated == sorted(dated) and made[-1] is None  # undated last
    assert first.context["pages"]["next"] == "?sort=made&per_page=25&page=2"
    assert "previous" not in first.context["pages"]
    headings = first.context["headings"]
    assert headings["made"] == {"url": "?per_page=25", "direction": "asc"}  # newest first: the default
    assert headings["origins"]["direction"] is None
    assert client.get(URL, {"per_page": 7}).context["page_size"] == 50  # only the offered sizes


@pytest.mark.parametrize("size", [10, 1000])
def test_query_count_does_not_grow_with_claims_or_page_size(client, reader, django_assert_num_queries, size):
    bulk_record(size)
    client.force_login(reader)
    client.get(URL)  # the session and permissions are cached after the first request
    # session, user, permissions (user's, groups') · the search's matches · count · page rows ·
    # attributions · hops · claims answering them · agencies of the claims · figures · disputing lines
    # and answering claims · figures near the rows' figures · the form's agency tree and outlets
    with django_assert_num_queries(16):
        response = client.get(URL, {"per_page": 200, "q": "mail"})
    assert len(response.context["rows"]) == min(size, 200)
    with django_assert_num_queries(16):
        response = client.get(URL, {"per_page": 25, "q": "mail"})
    assert len(response.context["rows"]) == min(size, 25)
    # With every kind of filter on: agency and outlet validation, the agency's subtree, chips' parents,
    # the claims whose figures are contested.
    query = {
        "per_page": 200,
        "agency": "bulk-parent",
        "outlet": ["bulk-outlet-1", "bulk-outlet-2"],
        "status": ["unverified", "corroborated", "confirmed", "disputed"],
        "origin_kind": "anonymous",
        "anonymous_only": "true",
        "single_outlet": "true",
        "contested": "false",
        "made_after": "2025-03",
        "q": "mail",
        "sort": "-origins",
    }
    # The claims the outlets' documents carry, read first (listed when few). The first time, the
    # figures' state and then their sweep; kept after that until they change.
    with django_assert_num_queries(22):
        client.get(URL, query)
    with django_assert_num_queries(21):
        response = client.get(URL, query)
    assert response.context["page"].paginator.count > 0


class _InlineFinder(HTMLParser):
    """Whatever a Content-Security-Policy without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]
        self.found += [
            f"{tag} javascript: URL" for _n, v in attrs if v and v.strip().lower().startswith("javascript:")
        ]


def inline_code(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def test_pages_need_no_inline_script_or_style(client, seeded, reader):
    client.force_login(reader)
    briefing = m.Briefing.objects.create(scope={"agencies": ["dhs"]}, scope_key="x", audience="public")
    pages = [URL, URL + "?agency=dhs&q=mail", "/agencies/", "/agencies/dhs/", "/agencies/uspis/"]
    for url in [*pages, reverse("agencies:briefing_status", args=[briefing.pk])]:
        response = client.get(url)
        assert response.status_code == 200
        assert inline_code(response.content.decode()) == [], url
        assert "Content-Security-Policy" in response


def test_the_csp_finder_finds_inline_code():
    found = inline_code('<p style="x" onclick="y"><script>1</script><style></style><a href="javascript:x">')
    assert sorted(found) == sorted(
        ["p style=", "p onclick=", "inline <script>", "<style>", "a javascript: URL"]
    )
    assert inline_code('<script src="/static/x.js"></script><svg><rect fill="#000"/></svg>') == []


@pytest.mark.integration
def test_the_unfiltered_explorer_says_about_how_many_claims_without_counting(
    postgres, reader, client, monkeypatch
):
    for _ in range(7):
        f.ClaimFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_claim")
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 3)
    client.force_login(reader)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/claims/")
    assert not any('COUNT(*) AS "__count" FROM "agencies_claim"' in q["sql"] for q in queries)
    assert page.context["page"].paginator.estimated
    assert "About <strong>7</strong> claims" in page.content.decode()

    page = client.get("/claims/", {"status": "unverified"})  # a selection is counted exactly
    assert not page.context["page"].paginator.estimated
    assert "About <strong>" not in page.content.decode()
