"""The seed record and a reader of it."""

import io

import pytest
from django.core.management import call_command

from tests.factories import user_with


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=io.StringIO())


@pytest.fixture
def reader(db, django_user_model):
    """Staff who may read the record and nothing else."""
    return user_with(django_user_model, "reader", "view_claim", "view_briefing")
