"""What the migrations need from Oversight, frozen here so that they never import the application.

A migration must run the same on an empty database years from now, whatever the application has
become: it may not import agencies.models, agencies.fields, agencies.permissions... (the model or
role added next would break `migrate`). Only the migrations import this module; Django's loader
skips it because its name starts with "_". tests/test_migrations.py holds both rules.

Field classes and callables a migration names must stay importable under the same path for as
long as a migration names them. The live classes (agencies.dates.PartialDateField,
agencies.fields.EncryptedTextField, agencies.models.briefing's upload path) deconstruct to the
twins below, so `makemigrations` writes this module's path into new migrations, never theirs.
A twin keeps what the historical models need (the column type, the encryption of the stored
value); change a live class freely, and change a twin only in ways every existing migration
still runs with.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.utils.deconstruct import deconstructible


class PartialDateField(models.CharField):
    """The partial-date column: text of at most 10 characters ("2025", "2025-05", "2025-05-12").

    Historical models read and write it as plain text: a data migration sees what is stored.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("help_text", "YYYY, YYYY-MM or YYYY-MM-DD: no more precise than reported.")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, "agencies.migrations._frozen.PartialDateField", args, kwargs


def _fernet() -> MultiFernet:
    # The keys as the application reads them (settings.FIELD_ENCRYPTION_KEYS): the first encrypts.
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt_text(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def is_encrypted(value: str) -> bool:
    try:
        decrypt_text(value)
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


class EncryptedTextField(models.TextField):
    """The confidential-note column: a Fernet token. A historical model still never stores plaintext
    (a data migration that writes a note through it encrypts), and reads the text back."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt_text(str(value))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "agencies.migrations._frozen.EncryptedTextField", args, kwargs


@deconstructible(path="agencies.migrations._frozen.BriefingUploadTo")
class BriefingUploadTo:
    """Where a briefing's file goes: a folder per briefing."""

    def __call__(self, instance, filename: str) -> str:
        return f"briefings/{instance.pk}/{filename}"

    def __eq__(self, other):
        return isinstance(other, BriefingUploadTo)

    def __hash__(self):
        return hash(BriefingUploadTo)


# The roles as migration 0003 made them (agencies.permissions then). Later changes to the roles are
# applied after every `migrate` by agencies.apps (permissions.roles_sync), not by rewriting this.
ROLES_0003_RECORD_MODELS = (
    "agency",
    "attribution",
    "attributionhop",
    "citation",
    "claim",
    "claimagency",
    "commentrequest",
    "dataaccess",
    "dataaccessclaim",
    "datasystem",
    "document",
    "figure",
    "outlet",
    "reportedrole",
    "roleclaim",
    "source",
    "statedmission",
)
ROLES_0003_CUSTOM_PERMISSIONS = {
    "set_verdict": "Can set a claim's status to confirmed, refuted or retracted",
    "publish": "Can publish: export the record as a dossier, in Oversight's name",
}


def _roles_0003() -> dict[str, set[str]]:
    def record(*actions):
        return {f"agencies.{action}_{model}" for model in ROLES_0003_RECORD_MODELS for action in actions}

    viewer = record("view") | {"agencies.view_briefing"}
    researcher = (
        viewer
        | record("add", "change", "delete")
        | {f"agencies.{action}_sourceconfidentialnote" for action in ("add", "change", "delete")}
        | {"agencies.add_briefing"}
    )
    editor = researcher | {"agencies.set_verdict", "agencies.publish", "agencies.delete_briefing"}
    confidential = {"agencies.view_confidential", "agencies.view_sourceconfidentialnote"}
    return {"viewer": viewer, "researcher": researcher, "editor": editor, "confidential": confidential}


def roles_sync_0003(apps) -> None:
    """Create the custom permissions and the four groups with exactly their 0003 permissions."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    claim_type, _ = ContentType.objects.get_or_create(app_label="agencies", model="claim")
    for codename, name in ROLES_0003_CUSTOM_PERMISSIONS.items():
        Permission.objects.get_or_create(content_type=claim_type, codename=codename, defaults={"name": name})
    wanted = _roles_0003()
    found = {
        f"agencies.{codename}": pk
        for pk, codename in Permission.objects.filter(content_type__app_label="agencies").values_list(
            "pk", "codename"
        )
    }
    missing = sorted({name for names in wanted.values() for name in names} - found.keys())
    if missing:
        raise RuntimeError(f"Permissions missing: {', '.join(missing)}")
    for group_name, names in wanted.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set([found[name] for name in names])
