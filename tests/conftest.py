import os

import pytest


@pytest.fixture
def researcher(db, django_user_model):
    return django_user_model.objects.create_superuser("researcher", "r@example.org", "pw-for-tests-only")


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test whose real service is missing, except in CI, where that is a failure."""
    if available:
        return
    message = f"{name} is needed: {why}"
    if os.environ.get("OVERSIGHT_REQUIRE_SERVICES"):
        pytest.fail(f"{message} (OVERSIGHT_REQUIRE_SERVICES is set)")
    pytest.skip(message)


@pytest.fixture
def postgres(db):
    from django.db import connection

    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    return connection
