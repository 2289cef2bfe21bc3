"""Users in each role, and a source whose confidential note carries a canary string."""

import pytest
from django.contrib.auth import get_user_model

from agencies import models as m
from agencies.core import services
from agencies.core.permissions import roles_sync
from tests import factories as f

# Never in the clear anywhere but a permitted user's screen or an internal export.
CANARY = "CANARY-7f3a9c Jane Roe, Signal +1 555 0100"
PASSWORD = "correct horse battery staple"

# (role, confidential grant): every combination a user can have, plus none at all.
ROLE_CASES = [
    (None, False),
    ("viewer", False),
    ("researcher", False),
    ("editor", False),
    ("viewer", True),
    ("researcher", True),
    ("editor", True),
]


def case_id(case) -> str:
    role, confidential = case
    return f"{role or 'staff-without-role'}{'+confidential' if confidential else ''}"


@pytest.fixture
def roles(db):
    # The migration made them; a transactional test's flush empties auth tables, so make sure.
    roles_sync()


@pytest.fixture
def make_user(roles):
    def make(role: str | None, confidential: bool = False, **kwargs):
        username = kwargs.pop("username", None) or f"{case_id((role, confidential))}-user"
        user = f.UserFactory(username=username, is_staff=True, **kwargs)
        services.user_set_role(actor=None, user=user, role=role, confidential=confidential)
        return get_user_model().objects.get(pk=user.pk)  # no cached permissions

    return make


@pytest.fixture
def canary_source(db):
    """An anonymous source whose note carries the canary, cited by a claim, with some history."""
    document = f.DocumentFactory(slug="wapo-report", title="Postal inspectors asked to help")
    source = f.AnonymousSourceFactory(slug="wapo-two-people", granted_by=document)
    note = m.SourceConfidentialNote.objects.create(source=source, notes=f"First draft. {CANARY}")
    note.notes = f"{CANARY} (met twice)"
    note.save()
    agency = f.AgencyFactory(slug="uspis", acronym="USPIS")
    claim = f.ClaimFactory(slug="uspis-enlisted", agencies=[agency])
    f.AttributionFactory(claim=claim, document=document, origin=source)
    return source


# The models of the record that have an admin page of their own (link rows are edited inline), and
# the roles that read and edit them: what the authorization tests expect each role may do.
RECORD = {
    "agency",
    "attribution",
    "claim",
    "commentrequest",
    "dataaccess",
    "datasystem",
    "document",
    "figure",
    "outlet",
    "reportedrole",
    "source",
    "statedmission",
}
ROLES_WHO_READ = {"viewer", "researcher", "editor"}
ROLES_WHO_EDIT = {"researcher", "editor"}
