"""What a reader sees: affiliations in chains, every comment request outcome everywhere, and the small
things that looked broken."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from agencies import models as m
from agencies.briefings.data import briefing_data
from agencies.briefings.html import briefing_html
from agencies.core.selectors import claim_evidence, claims_with_evidence, timeline
from tests import factories as f
from tests.briefings.job_support import in_process_fixture, script_fixture  # noqa: F401 - fixtures
from tests.factories import user_with

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def usps_record():
    usps = f.AgencyFactory(slug="usps", name="United States Postal Service", acronym="USPS")
    ice = f.AgencyFactory(slug="ice", name="Immigration and Customs Enforcement", acronym="ICE")
    reuters = f.OutletFactory(slug="reuters", name="Reuters")
    story = f.DocumentFactory(slug="reuters-story", outlet=reuters, title="Mail and deportations")
    jane = f.SourceFactory(
        slug="jane", kind=m.SourceKind.PERSON, name="Jane Doe", title="spokesperson", affiliation=usps
    )
    claim = f.ClaimFactory(slug="usps-says", text="The Postal Service shares data.", agencies=[usps])
    f.AttributionFactory(claim=claim, document=story, origin=jane)
    m.CommentRequest.objects.create(document=story, agency=ice, requested="2025-05-02", response="declined")
    m.CommentRequest.objects.create(
        document=story,
        agency=usps,
        requested="2025-05",
        response="responded",
        response_text="We follow the law.",
    )
    return usps


def test_a_chain_names_the_affiliation_of_its_source(usps_record, client, django_user_model):
    (claim,) = claims_with_evidence(m.Claim.objects.filter(slug="usps-says"))
    (chain,) = claim_evidence(claim).chains
    assert chain.text == "Reuters → Jane Doe, spokesperson, USPS"
    data = briefing_data(scope={"agencies": ["usps"]}, audience="public")
    assert data.agencies[0].claims[0].chains[0].origin == "Jane Doe, spokesperson, USPS"
    client.force_login(user_with(django_user_model, "r", "view_claim"))
    assert "Jane Doe, spokesperson, USPS" in client.get("/claims/").content.decode()
    # An affiliation the title already says is not said twice.
    homan = f.SourceFactory(
        kind=m.SourceKind.PERSON, name="Tom Homan", title="USPS border czar", affiliation=usps_record
    )
    assert homan.public_label == "Tom Homan, USPS border czar"


def test_every_comment_request_outcome_is_shown_dated_everywhere(usps_record, client, django_user_model):
    client.force_login(user_with(django_user_model, "r", "view_claim", "view_agency"))
    page = client.get("/agencies/usps/").content.decode()
    assert "Responded: “We follow the law.”" in page and "May 2025" in page
    # ICE, asked for a document the USPS claims cite, is not USPS's: the page shows USPS's own.
    assert "Declined to comment" not in page
    assert "Declined to comment" in client.get("/agencies/ice/").content.decode()
    findings = client.get("/admin/findings/").content.decode()
    assert "Declined to comment" in findings and "Responded: “We follow the law.”" in findings
    events = [e.text for e in timeline(None) if e.kind == "comment_request"]
    assert "Reuters: Mail and deportations: asked ICE for comment; declined to comment" in events
    assert any(text.endswith("responded: “We follow the law.”") for text in events)
    data = briefing_data(scope={"agencies": ["ice"]}, audience="public")
    (request,) = data.comment_requests
    assert (request.outcome, request.requested) == ("declined to comment", "2 May 2025")
    assert data.findings.declined_requests == 1
    printed = briefing_html(data, fingerprint="0" * 64, generated=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert "Declined to comment" in printed and "1 declined" in printed


def test_a_comment_request_is_named_by_agency_and_document(usps_record):
    request = m.CommentRequest.objects.get(agency__slug="ice")
    assert str(request) == "ICE asked for comment for “Mail and deportations”"


def test_an_acronym_or_capitals_lead_to_the_agency(usps_record, client, django_user_model):
    client.force_login(user_with(django_user_model, "r", "view_claim"))
    response = client.get("/agencies/USPS/")
    assert response.status_code == 301 and response["Location"] == "/agencies/usps/"
    assert client.get("/agencies/NOPE/").status_code == 404


def test_the_count_line_agrees_with_one_claim_and_many(usps_record, client, django_user_model):
    client.force_login(user_with(django_user_model, "r", "view_claim"))
    page = client.get("/claims/?anonymous_only=false").content.decode()
    assert "claim not only on anonymous sources" in " ".join(page.split()).replace("</strong>", "")
    quoted = client.get('/claims/?q="shares data"').content.decode()
    assert "Mentioning &quot;shares data&quot;" in quoted and "“&quot;" not in quoted


def test_commands_print_no_lockout_banner(tmp_path):
    env = {**os.environ, "DJANGO_DEBUG": "1", "OVERSIGHT_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "AXES: BEGIN" not in done.stdout + done.stderr


def test_the_seed_comment_request_reads_as_a_sentence():
    call_command("load_seeds", stdout=io.StringIO())
    assert str(m.CommentRequest.objects.get()) == (
        "DHS asked for comment for “U.S. Post Office Accused of Secret Deportation Assistance”"
    )


def test_make_run_checks_the_pdf_libraries_first_and_names_the_install_command():
    dry = subprocess.run(
        ["make", "-n", "pdf-libs"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert 'find_library("harfbuzz-subset")' in dry and "import" in dry and "weasyprint" in dry
    assert "sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" in dry
    makefile = (ROOT / "Makefile").read_text()
    assert "run: pdf-libs seeds login" in makefile


# --- The admin as a reader meets it -----------------------------------------------------------------


def test_the_admin_index_starts_with_the_record_and_ends_with_accounts(client, researcher):
    client.force_login(researcher)
    page = client.get("/admin/")
    apps = [app["name"] for app in page.context["app_list"]]
    assert apps[0] == "Oversight record" and apps[-2:] == ["Authentication and Authorization", "Axes"]
    models = [model["object_name"] for model in page.context["app_list"][0]["models"]]
    assert models[:4] == ["Claim", "Agency", "StatedMission", "ReportedRole"]
    html = page.content.decode()
    assert html.index("Oversight record") < html.index("Authentication and Authorization")


def test_generate_briefing_lands_on_its_download_not_under_the_job_fields(
    client, researcher, script, django_capture_on_commit_callbacks
):
    agency = f.AgencyFactory(slug="uspis", acronym="USPIS")
    f.ClaimFactory(agencies=[agency])
    client.force_login(researcher)
    post = {"action": "generate_briefing_action", "_selected_action": [agency.pk], "post": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/agencies/agency/", {**post, "audience": "public"})
    html = client.get(response["Location"]).content.decode()
    download = html.index('id="briefing-download"')
    details = html.index("Request and job details")
    # Status and download first; the job's technical fields after them, in a folded fieldset.
    assert html.index('<div class="readonly">Succeeded</div>') < download < details < html.index("Worker:")
    assert 'class="module aligned collapse"' in html[details - 300 : details]
    # What does not apply is not shown: no progress and no error on a finished briefing.
    assert "Progress" not in html[:details] and "Error" not in html[:details]


def test_the_explorer_labels_its_links_into_the_admin(client, researcher):
    client.force_login(researcher)
    html = client.get("/claims/").content.decode()
    admin_nav = html[html.index('aria-label="Admin pages"') :]
    admin_nav = admin_nav[: admin_nav.index("</nav>")]
    assert "In the admin:" in admin_nav
    for link in ("Briefings", "Import a dossier", "The record"):
        assert f">{link}</a>" in admin_nav
    main_nav = html[html.index('aria-label="Main"') :]
    assert "/admin/" not in main_nav[: main_nav.index("</nav>")]
