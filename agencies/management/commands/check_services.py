"""Check that the database, the worker queue and the storage are reachable and writable; say which is not.

Run it on every machine of a deployment (web, workers, beat) with that machine's environment: each
check writes something and removes it again, so a read-only replica, a full disk or a bucket without
write permission is caught, not only an address that does not answer.
"""

import secrets
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from agencies.briefings.errors import infrastructure_cause


class _Rollback(Exception):
    pass


def check_database() -> str:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("CREATE TEMPORARY TABLE oversight_check (token varchar(32))")
                cursor.execute("INSERT INTO oversight_check (token) VALUES (%s)", ["ok"])
                cursor.execute("SELECT token FROM oversight_check")
                if cursor.fetchone() != ("ok",):
                    raise RuntimeError("wrote a row and read back something else")
            raise _Rollback  # leave nothing behind
    except _Rollback:
        pass
    settings = connection.settings_dict
    where = f" at {settings['HOST']}:{settings['PORT'] or 5432}" if settings.get("HOST") else ""
    return f"{connection.vendor} {settings['NAME']}{where}"


def check_broker() -> str:
    from oversight.celery import app

    if app.conf.task_always_eager or not app.conf.broker_url:
        return "none configured: briefings are built in the web process (CELERY_BROKER_URL unset)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        client = conn.default_channel.client
        key = f"oversight:check:{secrets.token_hex(8)}"
        client.set(key, "ok", ex=60)
        if client.get(key) not in (b"ok", "ok"):
            raise RuntimeError("wrote a key and read back something else")
        client.delete(key)
        return f"{conn.as_uri()}"


def check_storage() -> str:
    name = f"checks/check-{secrets.token_hex(8)}.txt"
    payload = f"oversight storage check {time.time()}".encode()
    saved = default_storage.save(name, ContentFile(payload))
    try:
        with default_storage.open(saved, "rb") as handle:
            if handle.read() != payload:
                raise RuntimeError("wrote a file and read back something else")
    finally:
        default_storage.delete(saved)
    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:
        return f"S3 bucket {bucket} at {default_storage.endpoint_url or 'AWS'}"
    return f"files under {default_storage.location}"


CHECKS = [("database", check_database), ("broker", check_broker), ("storage", check_storage)]


class Command(BaseCommand):
    help = "Check that the database, the worker queue and the storage are reachable and writable."
    requires_system_checks = []

    def handle(self, *args, **options):
        failed = []
        for name, check in CHECKS:
            try:
                detail = check()
            except Exception as exc:  # noqa: BLE001 - each failure is reported, named, in one line
                cause = infrastructure_cause(exc, storing=name == "storage") or type(exc).__name__
                self.stdout.write(f"{name}: FAILED, {cause}")
                failed.append(name)
            else:
                self.stdout.write(f"{name}: ok, {detail}")
        if failed:
            raise CommandError(f"Not reachable or not writable: {', '.join(failed)}.")
