"""A full slice of the record per call, and admin form data the way a browser would post it."""

import itertools

from agencies import models as m
from tests import factories as f

_numbers = itertools.count()


def populate(n: int = 1) -> None:
    """`n` slices of the record, each touching every model and every relation the changelists show."""
    for _ in range(n):
        i = next(_numbers)
        parent = f.AgencyFactory()
        agency = f.AgencyFactory(parent=parent)
        outlet = f.OutletFactory()
        cited = f.DocumentFactory(outlet=outlet)
        document = f.DocumentFactory(outlet=outlet)
        m.Citation.objects.create(citing=document, cited=cited)
        f.StatedMissionFactory(agency=agency, document=document)
        anonymous = f.AnonymousSourceFactory(granted_by=cited)
        m.SourceConfidentialNote.objects.create(source=anonymous, notes=f"Secret identity {i}")
        named = f.SourceFactory(affiliation=agency)
        claim = f.ClaimFactory(agencies=[agency, parent], status=m.ClaimStatus.CORROBORATED)
        f.AttributionFactory(claim=claim, document=document, origin=anonymous, via=[cited])
        f.AttributionFactory(claim=claim, document=cited, origin=named)
        f.FigureFactory(claim=claim)
        anonymous_only = f.ClaimFactory(agencies=[agency])
        f.AttributionFactory(claim=anonymous_only, document=document, origin=anonymous, via=[cited])
        role = f.ReportedRoleFactory(agency=agency, partner=parent)
        m.RoleClaim.objects.create(role=role, claim=claim)
        system = m.DataSystem.objects.create(slug=f"system-{i}", agency=agency, name=f"Mail covers {i}")
        access = m.DataAccess.objects.create(system=system, seeker=parent)
        m.DataAccessClaim.objects.create(access=access, claim=claim)
        f.CommentRequestFactory(document=document, agency=parent)


def form_data(response) -> dict:
    """The POST data of the admin form in `response`, as rendered: change what a test needs, post it."""
    context = response.context
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data
