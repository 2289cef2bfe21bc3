import pytest


@pytest.fixture
def researcher(db, django_user_model):
    return django_user_model.objects.create_superuser("researcher", "r@example.org", "pw-for-tests-only")
