"""Briefings under faults, in this process: snapshots, joining, files that are recorded or removed, a
full disk, errors that name their cause. The worker-process versions are in tests/integration."""

import errno
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection

from agencies.briefings import selectors, services, sweep, worker
from agencies.briefings.errors import InfrastructureFault, infrastructure_cause
from agencies.briefings.snapshot import record_snapshot
from agencies.models import Agency, Briefing, BriefingStatus
from tests import factories as f
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    agency_with_claim,
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
)
from tests.conftest import require_service

PUBLIC = {"agencies": ["uspis"]}
BASE_DIR = Path(django_settings.BASE_DIR)


def queued(**fields) -> Briefing:
    values = {"scope": PUBLIC, "scope_key": services.briefing_scope_key(PUBLIC), "audience": "public"}
    return Briefing.objects.create(**(values | fields))


# --- one snapshot -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_does_not_see_what_commits_while_it_reads(postgres):
    f.AgencyFactory(slug="first")

    def commit_another():
        f.AgencyFactory(slug="second")
        connection.close()

    with record_snapshot():
        before = Agency.objects.count()
        writer = threading.Thread(target=commit_another)
        writer.start()
        writer.join()
        assert Agency.objects.count() == before == 1
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone() == ("repeatable read",)
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone() == ("on",)
    assert Agency.objects.count() == 2


def test_postgresql_connections_are_checked_before_reuse():
    # Read from the settings module as production builds them (the test database may be SQLite).
    env = dict(os.environ, DATABASE_URL="postgres://u@127.0.0.1:5432/x", DJANGO_DEBUG="1")
    code = "from oversight import settings as s; d = s.DATABASES['default']; print(d['CONN_HEALTH_CHECKS'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "True", result.stderr


# --- joining ----------------------------------------------------------------------------------------


def test_requests_for_the_same_scope_and_audience_join_the_briefing_on_its_way(script, researcher):
    agency_with_claim()
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):  # unreachable: it stays queued
        first, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")
        assert first.status == BriefingStatus.QUEUED
        again, _ = services.briefing_request(
            actor=researcher, scope={"agencies": ["USPIS"]}, audience="public"
        )
        internal, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="internal")
        assert again.pk == first.pk and internal.pk != first.pk

        # Running on the version of the record this request would read: joined. On another: a new one.
        version = selectors.briefing_version()
        Briefing.objects.filter(pk=first.pk).update(status=BriefingStatus.RUNNING, record_version=version)
        assert services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")[0].pk == first.pk
        Briefing.objects.filter(pk=first.pk).update(record_version="0" * 64)
        other, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")
        assert other.pk != first.pk
    assert Briefing.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_requests_at_the_same_moment_build_one_briefing(postgres, settings, tmp_path, in_process):
    settings.MEDIA_ROOT = str(tmp_path)
    agency_with_claim()
    pks, errors = [], []
    barrier = threading.Barrier(4)

    def ask():
        try:
            with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
                barrier.wait()
                pks.append(services.briefing_request(actor=None, scope=PUBLIC, audience="public")[0].pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(set(pks)) == 1 and Briefing.objects.count() == 1


# --- files: recorded or removed ------------------------------------------------------------------------


def test_the_files_sweep_removes_what_no_briefing_records_and_keeps_what_a_running_attempt_may(
    script, settings
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    agency_with_claim()
    done = services.briefing_render_now(actor=None, scope=PUBLIC, audience="public")
    running = queued(status=BriefingStatus.RUNNING, attempts=2)
    names = {
        "recorded": done.file.name,
        "older attempt": f"briefings/{done.pk}/briefing-{done.pk}-public-a7-{'0' * 12}.pdf",
        "running attempt": f"briefings/{running.pk}/briefing-{running.pk}-public-a2-{'1' * 12}.pdf",
        "earlier attempt": f"briefings/{running.pk}/briefing-{running.pk}-public-a1-{'2' * 12}.pdf",
        "deleted briefing": f"briefings/99999/briefing-99999-public-a1-{'3' * 12}.pdf",
    }
    for key, name in names.items():
        if key != "recorded":
            default_storage.save(name, ContentFile(b"%PDF-1.7 partial"))
    assert sweep.briefing_files_sweep() == 3
    kept = {key for key, name in names.items() if default_storage.exists(name)}
    assert kept == {"recorded", "running attempt"}
    assert sweep.briefing_files_sweep() == 0


def test_a_file_whose_attempt_lost_the_briefing_is_removed_at_once(script):
    agency_with_claim()
    briefing = queued()

    def taken_over(report):
        Briefing.objects.filter(pk=briefing.pk).update(attempts=5)

    script.during = taken_over
    worker.briefing_build(briefing_id=briefing.pk, worker="w")
    folder = Path(django_settings.MEDIA_ROOT) / "briefings" / str(briefing.pk)
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.fixture
def full_disk(tmp_path):
    """A real filesystem that is full: a 1 MiB tmpfs, filled."""
    require_service(
        "root (to mount a small tmpfs)",
        os.geteuid() == 0 and shutil.which("mount") is not None,
        "run as root",
    )
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    require_service("a tmpfs mount", result.returncode == 0, result.stderr.decode(errors="replace"))
    filler = mount / "filler"
    try:
        with filler.open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    try:
        yield mount, filler
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_leaves_no_file_and_says_so_without_spending_an_attempt(script, settings, full_disk):
    mount, filler = full_disk
    settings.MEDIA_ROOT = str(mount / "media")
    (mount / "media").mkdir(exist_ok=True)
    agency_with_claim()
    # Full to the last byte: a file can be created (tmpfs folders and empty files take no blocks) but
    # nothing written into it.
    briefing = queued()
    with pytest.raises(InfrastructureFault, match="the storage is full"):
        worker.briefing_build(briefing_id=briefing.pk, worker="w")
    briefing.refresh_from_db()
    assert (briefing.status, briefing.failures) == (BriefingStatus.QUEUED, 0)
    assert briefing.error == (
        "Attempt 1: the storage is full (no space left on device); it will be tried again (no attempt spent)."
    )
    assert [p for p in (mount / "media").rglob("*") if p.is_file()] == []  # no partial, no empty file

    filler.unlink()
    done = worker.briefing_build(briefing_id=briefing.pk, worker="w")
    assert done.status == BriefingStatus.SUCCEEDED and done.failures == 0
    assert [p.name for p in (mount / "media").rglob("*.pdf")] == [Path(done.file.name).name]


# --- errors that name their cause ------------------------------------------------------------------------


def test_faults_are_named_by_their_cause_never_by_their_text():
    secret = "SELECT ... WHERE note = 'Jane Roe'"
    assert infrastructure_cause(OperationalError(secret)) == "the database was unreachable"
    assert infrastructure_cause(OSError(errno.ENOSPC, "No space left on device")) == (
        "the storage is full (no space left on device)"
    )
    from botocore.exceptions import ClientError, EndpointConnectionError

    assert infrastructure_cause(EndpointConnectionError(endpoint_url="http://s3")) == (
        "the storage was unreachable (EndpointConnectionError)"
    )
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": secret}}, "PutObject")
    assert infrastructure_cause(denied) == "the storage refused the request (AccessDenied)"
    assert infrastructure_cause(ValueError(secret)) is None
    assert infrastructure_cause(ValueError(secret), storing=True) == "the storage failed (ValueError)"


def test_request_briefing_with_the_database_down_says_so_in_one_line():
    env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/oversight")
    env["DJANGO_SETTINGS_MODULE"] = "oversight.test_settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "request_briefing", "--agency", "USPIS"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line and not line.startswith("AXES:")]
    assert lines == [
        "CommandError: Cannot ask for a briefing: the database was unreachable. Is PostgreSQL running, "
        "and DATABASE_URL right?"
    ]


def test_check_services_names_what_is_not_reachable(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oversight.test_settings", OVERSIGHT_VAR_DIR=str(tmp_path))
    env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    env["DJANGO_MEDIA_ROOT"] = str(tmp_path / "media")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "check_services"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database: ok, sqlite")
    assert lines[1] == "broker: FAILED, the worker queue (Redis) was unreachable"
    assert lines[2].startswith("storage: ok, files under")
    assert "Not reachable or not writable: broker." in result.stderr
    assert not (tmp_path / "media" / "checks").exists() or not any((tmp_path / "media" / "checks").iterdir())


def test_the_admin_shows_the_cause_and_what_was_spent(researcher, client):
    briefing = queued(
        attempts=2,
        workers_lost=1,
        error="Attempt 2: the storage is full (no space left on device); it will be tried again "
        "(no attempt spent).",
    )
    client.force_login(researcher)
    page = client.get(f"/admin/agencies/briefing/{briefing.pk}/change/").content.decode()
    assert "the storage is full (no space left on device)" in page
    assert "Workers lost" in page and "Failures" in page


def test_a_restarted_worker_takes_back_at_once_what_its_previous_run_left_running(script):
    from datetime import timedelta

    from django.utils import timezone

    started = timezone.now()
    before = started - timedelta(seconds=2)
    mine = queued(status=BriefingStatus.RUNNING, attempts=1, worker="w1@host pid 41", heartbeat_at=before)
    new_child = queued(
        status=BriefingStatus.RUNNING, attempts=1, worker="w1@host pid 42", heartbeat_at=started
    )
    other = queued(status=BriefingStatus.RUNNING, attempts=1, worker="w11@host pid 43", heartbeat_at=before)
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        assert sweep.briefing_rescue_own(nodename="w1@host", before=started) == 1
    states = {b.pk: (b.status, b.workers_lost) for b in Briefing.objects.all()}
    assert states[mine.pk] == (BriefingStatus.QUEUED, 1)
    assert states[new_child.pk] == states[other.pk] == (BriefingStatus.RUNNING, 0)
    assert "rescued from w1@host pid 41 at its restart" in mine.history.values_list(
        "history_change_reason", flat=True
    )
