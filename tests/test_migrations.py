"""Migrations run the same whatever the application becomes: they import nothing of it."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.writer import MigrationWriter

from agencies import models as m
from agencies.core import permissions
from tests import factories as f

MIGRATIONS = Path(__file__).resolve().parent.parent / "agencies" / "migrations"
APP = "agencies"
FROZEN = "agencies.migrations"


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a file imports, anywhere in it (inside functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, inside agencies/migrations
                found.append((node.lineno, FROZEN))
            else:
                found.append((node.lineno, node.module or ""))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def _outside(module: str) -> bool:
    return (module == APP or module.startswith(f"{APP}.")) and not (
        module == FROZEN or module.startswith(f"{FROZEN}.")
    )


def test_no_migration_imports_the_application():
    files = sorted(MIGRATIONS.glob("*.py"))
    assert len(files) > 4
    offending = [
        f"{path.name}:{line} imports {module}"
        for path in files
        for line, module in _imported(ast.parse(path.read_text(), filename=str(path)))
        if _outside(module)
    ]
    assert offending == []


def test_the_check_itself_finds_an_import_of_the_application():
    source = "import agencies.core.fields\nfrom agencies.migrations import _frozen\n"
    source += "def f():\n    from agencies.core.permissions import roles_sync\n"
    modules = [module for _line, module in _imported(ast.parse(source))]
    assert [module for module in modules if _outside(module)] == [
        "agencies.core.fields",
        "agencies.core.permissions",
    ]


def test_a_new_migration_would_not_import_the_application_either():
    """What makemigrations would write for every field, constraint and index of every model."""
    imports = set()
    for model in apps.get_app_config(APP).get_models():
        for field in model._meta.local_fields + model._meta.local_many_to_many:
            imports |= MigrationWriter.serialize(field)[1]
        for item in [*model._meta.constraints, *model._meta.indexes]:
            imports |= MigrationWriter.serialize(item)[1]
    modules = {line.split()[1] for line in imports}
    assert {module for module in modules if _outside(module)} == set()
    assert "agencies.migrations._frozen" in modules


def _executor():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate(target):
    executor = _executor()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _back_to_the_leaf():
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migrating_an_empty_database_does_not_depend_on_the_live_roles(monkeypatch):
    """0003 made the roles from agencies.core.permissions: a model added to the roles later broke it."""
    monkeypatch.setattr(permissions, "RECORD_MODELS", (*permissions.RECORD_MODELS, "modeladdedlater"))
    try:
        _migrate([("agencies", "0002_briefing")])
        _migrate([("agencies", "0003_trust")])
    finally:
        monkeypatch.undo()
        _back_to_the_leaf()
    # After migrating, the groups hold what agencies.core.permissions says today (apps.sync_roles).
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    editor = {f"{p.content_type.app_label}.{p.codename}" for p in _group("editor").permissions.all()}
    assert editor == set(permissions.role_permissions()["editor"])


def _group(name):
    from django.contrib.auth.models import Group

    return Group.objects.prefetch_related("permissions__content_type").get(name=name)


BEFORE = [("agencies", "0004_claim_search_indexes")]
AFTER = [("agencies", "0005_partial_date_checks")]


@pytest.mark.django_db(transaction=True)
def test_0005_renumbers_attribution_lines_that_repeat_or_skip_positions():
    try:
        old = _migrate(BEFORE)
        Claim, Attribution = old.get_model("agencies", "Claim"), old.get_model("agencies", "Attribution")
        Document, Source = old.get_model("agencies", "Document"), old.get_model("agencies", "Source")
        document = Document.objects.create(slug="doc", kind="article", title="Doc")
        source = Source.objects.create(slug="src", kind="person", name="A person")
        repeated, skipping, fine = (
            Claim.objects.create(slug=slug, kind="statement", text=slug)
            for slug in ("repeated", "skipping", "fine")
        )

        def lines(claim, *positions):
            return [
                Attribution.objects.create(claim=claim, document=document, origin=source, position=p).pk
                for p in positions
            ]

        repeated_ids = lines(repeated, 0, 0, 1, 1)
        skipping_ids = lines(skipping, 3, 7)
        fine_ids = lines(fine, 0, 1)
        new = _migrate(AFTER)  # the models as of 0005: later migrations add columns the live ones read
        Claim, Attribution = new.get_model("agencies", "Claim"), new.get_model("agencies", "Attribution")
        shown = lambda claim: list(  # noqa: E731
            Attribution.objects.filter(claim__slug=claim).order_by("position").values_list("pk", "position")
        )
        assert shown("repeated") == list(zip(repeated_ids, range(4), strict=True))
        assert shown("skipping") == list(zip(skipping_ids, range(2), strict=True))
        assert shown("fine") == list(zip(fine_ids, range(2), strict=True))
        claim = Claim.objects.get(slug="fine")
        with pytest.raises(IntegrityError), transaction.atomic():
            Attribution.objects.create(claim=claim, document_id=document.pk, origin_id=source.pk, position=1)
    finally:
        _back_to_the_leaf()


@pytest.mark.django_db(transaction=True)
def test_0005_stops_on_stored_dates_it_cannot_read_and_names_them():
    try:
        old = _migrate(BEFORE)
        Claim = old.get_model("agencies", "Claim")
        bad = Claim.objects.create(slug="bad-date", kind="statement", text="Said.", made="May 2025")
        Claim.objects.create(slug="good-date", kind="statement", text="Said.", made="2025-05")
        with pytest.raises(RuntimeError, match=rf"agencies_claim id {bad.pk}: made = 'May 2025'"):
            _migrate(AFTER)
        Claim.objects.filter(pk=bad.pk).update(made="2025-05")
        new = _migrate(AFTER)
        assert str(new.get_model("agencies", "Claim").objects.get(slug="bad-date").made) == "2025-05"
    finally:
        _back_to_the_leaf()


@pytest.mark.django_db
def test_the_frozen_twins_store_what_the_live_fields_store():
    """Historical models (a data migration's) read and write the same columns as the live ones."""
    from agencies.migrations import _frozen

    note = m.SourceConfidentialNote.objects.create(source=f.SourceFactory(), notes="Met twice.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM agencies_sourceconfidentialnote WHERE id = %s", [note.pk])
        (token,) = cursor.fetchone()
    assert token != "Met twice." and _frozen.decrypt_text(token) == "Met twice."
    assert _frozen.is_encrypted(_frozen.encrypt_text("x")) and not _frozen.is_encrypted("x")
    state = _executor().loader.project_state().apps
    Note = state.get_model("agencies", "SourceConfidentialNote")
    assert Note.objects.get(pk=note.pk).notes == "Met twice."
    Claim = state.get_model("agencies", "Claim")
    claim = f.ClaimFactory(made="2025-05")
    assert Claim.objects.get(pk=claim.pk).made == "2025-05"  # plain text in a historical model
