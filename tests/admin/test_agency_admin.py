"""Agencies: the hierarchy stays a tree, missions are read against roles, every edit keeps its author."""

import pytest
from django.urls import reverse

from agencies.models import Agency, MissionFit
from tests import factories as f
from tests.admin.form_data import form_data


@pytest.fixture
def tree(db):
    dhs = f.AgencyFactory(acronym="DHS", name="Department of Homeland Security")
    ice = f.AgencyFactory(acronym="ICE", name="Immigration and Customs Enforcement", parent=dhs)
    ero = f.AgencyFactory(acronym="ERO", name="Enforcement and Removal Operations", parent=ice)
    return dhs, ice, ero


def test_parent_that_makes_a_cycle_is_refused_naming_it(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    url = reverse("admin:agencies_agency_change", args=[dhs.pk])
    data = form_data(client.get(url))
    data["parent"] = ero.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "ERO cannot be the parent of DHS: it is already under it (ERO → ICE → DHS), "
        "so this would make a cycle."
    ]
    dhs.refresh_from_db()
    assert dhs.parent is None


def test_admin_edit_records_the_user_in_history(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    url = reverse("admin:agencies_agency_change", args=[ero.pk])
    data = form_data(client.get(url))
    data["name"] = "ICE Enforcement and Removal Operations"
    data["parent"] = dhs.pk
    response = client.post(url, data)
    assert response.status_code == 302
    latest = Agency.objects.get(pk=ero.pk).history.latest("history_date")
    assert (latest.name, latest.parent_id, latest.history_user) == (
        "ICE Enforcement and Removal Operations",
        dhs.pk,
        researcher,
    )
    history = client.get(reverse("admin:agencies_agency_history", args=[ero.pk])).content.decode()
    assert "researcher" in history


def test_change_page_reads_missions_against_roles_and_lists_sub_agencies(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    f.StatedMissionFactory(agency=ice, text="Old <b>mission</b>.", position=0, as_of="2019")
    f.StatedMissionFactory(agency=ice, text="Enforces immigration law.", position=1, as_of="2025-05")
    f.ReportedRoleFactory(
        agency=ice,
        partner=dhs,
        summary="Reads mail covers.",
        mission_fit=MissionFit.OUTSIDE,
        rationale="Mail is not immigration.",
    )
    html = client.get(reverse("admin:agencies_agency_change", args=[ice.pk])).content.decode()
    panel = html[html.index('<div class="ov-section">') :]
    panel = panel[: panel.index("</table>")]
    assert "Old &lt;b&gt;mission&lt;/b&gt;." in panel
    assert "(2019)" in panel and "(May 2025)" in panel
    current = panel.index('<span class="ov-flag">current</span>')
    assert panel.index("Old &lt;b&gt;mission") < current < panel.index("Enforces immigration law.")
    assert panel.count('<span class="ov-flag">current</span>') == 1
    assert '<td class="ov-fit-outside">Outside the stated mission</td>' in panel
    assert "<td>Mail is not immigration.</td>" in panel
    assert "<td>DHS</td>" in panel
    # The sub-agency is listed, linked, and not editable here.
    assert reverse("admin:agencies_agency_change", args=[ero.pk]) in html
    assert 'name="children-0-name"' not in html


def test_changelist_counts_claims_roles_and_sub_agencies(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    f.ClaimFactory(agencies=[ice])
    f.ClaimFactory(agencies=[ice, dhs])
    f.ReportedRoleFactory(agency=ice)
    response = client.get(reverse("admin:agencies_agency_changelist"))
    rows = {agency.acronym: agency for agency in response.context["cl"].result_list}
    assert (rows["ICE"].claim_count, rows["ICE"].role_count, rows["ICE"].sub_agency_count) == (2, 1, 1)
    assert (rows["DHS"].claim_count, rows["DHS"].role_count, rows["DHS"].sub_agency_count) == (1, 0, 1)
    assert (rows["ERO"].claim_count, rows["ERO"].role_count, rows["ERO"].sub_agency_count) == (0, 0, 0)


def test_a_role_rests_on_at_least_one_claim(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    page = client.get(reverse("admin:agencies_agency_change", args=[ice.pk])).content.decode()
    add_url = reverse("admin:agencies_reportedrole_add") + f"?agency={ice.pk}"
    assert f'href="{add_url}"' in page
    assert 'id="roles-empty"' not in page  # no bare role added from the agency page
    data = form_data(client.get(add_url))
    assert str(data["agency"]) == str(ice.pk)
    data.update({"slug": "ice-mail", "summary": "Reads mail.", "category": "surveillance"})
    response = client.post(reverse("admin:agencies_reportedrole_add"), data)
    assert response.status_code == 200
    assert "Please submit at least 1 form" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    claim = f.ClaimFactory(agencies=[ice])
    data["role_claims-0-claim"] = claim.pk
    response = client.post(reverse("admin:agencies_reportedrole_add"), data)
    assert response.status_code == 302
    role = ice.roles.get(slug="ice-mail")
    assert list(role.claims.all()) == [claim]
    assert role.history.get().history_user == researcher


def test_data_access_is_added_on_its_own_page_with_its_claims(client, researcher, tree):
    dhs, ice, ero = tree
    client.force_login(researcher)
    from agencies.models import DataSystem

    system = DataSystem.objects.create(slug="mail-covers", agency=ice, name="Mail covers")
    page = client.get(reverse("admin:agencies_datasystem_change", args=[system.pk])).content.decode()
    add_url = reverse("admin:agencies_dataaccess_add") + f"?system={system.pk}"
    assert f'href="{add_url}"' in page
    data = form_data(client.get(add_url))
    data["seeker"] = dhs.pk
    response = client.post(reverse("admin:agencies_dataaccess_add"), data)
    assert response.status_code == 200
    assert not system.accesses.exists()
    data["access_claims-0-claim"] = f.ClaimFactory(agencies=[dhs]).pk
    assert client.post(reverse("admin:agencies_dataaccess_add"), data).status_code == 302
    assert system.accesses.get().seeker == dhs


def test_agency_changelist_offers_the_briefing_action(client, researcher, tree):
    client.force_login(researcher)
    response = client.get(reverse("admin:agencies_agency_changelist"))
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert actions["generate_briefing_action"] == "Generate briefing"
