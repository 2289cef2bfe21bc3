import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from agencies import models as m
from tests import factories as f


@pytest.mark.integration
def test_protect_and_constraints_hold_in_postgresql(postgres):
    """The invariants the database itself enforces, checked on the production database."""
    attribution = f.AttributionFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        attribution.document.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        attribution.origin.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Source.objects.create(slug="named", kind=m.SourceKind.PERSON, count=3)
    assert m.Document.objects.filter(pk=attribution.document.pk).exists()
    assert m.Source.objects.filter(pk=attribution.origin.pk).exists()
