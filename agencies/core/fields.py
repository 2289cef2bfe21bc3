"""Text encrypted at rest (error reports hide its plaintext: oversight/error_reports.py).

`EncryptedTextField` stores a Fernet token (AES-128-CBC with HMAC-SHA256) and gives Python the text.
The keys come from settings.FIELD_ENCRYPTION_KEYS (the environment's comma-separated
FIELD_ENCRYPTION_KEY): the first encrypts, every one decrypts, so a key is rotated by putting the
new one first and running `manage.py reencrypt_fields`. The database, its dumps and the history
tables (simple-history copies the field class) only ever hold the token.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.views.decorators.debug import sensitive_variables


class DecryptionError(Exception):
    """A stored value none of the configured keys opens: a key was dropped before re-encrypting."""


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set: confidential fields cannot be read.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never repeat the key in the message: it ends up in logs.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from exc


def field_fernet() -> MultiFernet:
    """The keys in force; read from settings at each call so that a test or a rotation can change them."""
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


@sensitive_variables()
def encrypt_text(text: str) -> str:
    return field_fernet().encrypt(text.encode("utf-8")).decode("ascii")


@sensitive_variables()
def decrypt_text(token: str) -> str:
    try:
        return field_fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise DecryptionError(
            "A confidential value cannot be decrypted with any key in FIELD_ENCRYPTION_KEY. "
            "Put back the key it was written with (keys after the first still decrypt)."
        ) from exc


def is_encrypted(value: str) -> bool:
    """Whether `value` is a token the configured keys open (plaintext left from before encryption is not)."""
    try:
        decrypt_text(value)
    except DecryptionError:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A TextField whose column holds only ciphertext. It cannot be searched or filtered on."""

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt_text(value)

    @sensitive_variables()
    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        # Migrations name the frozen twin (agencies/migrations/_frozen.py), never this module: a
        # migration must run the same whatever this class becomes.
        return name, "agencies.migrations._frozen.EncryptedTextField", args, kwargs

    def get_lookup(self, lookup_name):
        # Every encryption of the same text differs: only "is there a value" can be asked in SQL.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) that stores ciphertext, history models included."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
