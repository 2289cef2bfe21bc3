"""The briefing job: requested, published after commit, claimed once, built, retried within bounds, swept."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from agencies.briefings import render, services, sweep, worker
from agencies.briefings.tasks import briefing_build_task
from agencies.models import Briefing, BriefingStatus
from oversight.celery import app as celery_app
from tests import factories as f
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    agency_with_claim,
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
    sha256,
)

PUBLIC = {"agencies": ["uspis"]}


def queued(**fields) -> Briefing:
    """A queued row as briefing_request leaves it, without publishing it."""
    values = {"scope": PUBLIC, "scope_key": services.briefing_scope_key(PUBLIC), "audience": "public"}
    return Briefing.objects.create(**(values | fields))


def reasons(briefing: Briefing) -> list[str]:
    return list(briefing.history.order_by("history_id").values_list("history_change_reason", flat=True))


# --- request and publish ---------------------------------------------------------------------------


def test_request_queues_then_publishes_after_commit_and_the_task_builds_it(
    script, researcher, django_capture_on_commit_callbacks
):
    agency_with_claim()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        briefing, published = services.briefing_request(
            actor=researcher, scope={"agencies": ["USPIS"]}, audience="public"
        )
        # Nothing leaves before the transaction commits.
        assert briefing.status == BriefingStatus.QUEUED
        assert script.calls == []
    assert len(callbacks) == 1
    assert briefing.scope == PUBLIC  # normalised: slugs, not the acronym typed
    assert briefing.requested_by == researcher
    assert briefing.max_attempts == 3

    callbacks[0]()  # the commit: publish, and in-process the task runs now
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.SUCCEEDED
    assert (briefing.stage, briefing.progress, briefing.attempts) == ("done", 100, 1)
    assert briefing.published_at is None or briefing.published_at <= briefing.finished_at
    pdf = script.pdf_for(PUBLIC, "public")
    assert briefing.file.name.startswith(f"briefings/{briefing.pk}/")
    assert default_storage.open(briefing.file.name).read() == pdf
    assert (briefing.size, briefing.sha256, briefing.page_count) == (len(pdf), sha256(pdf), 2)
    assert briefing.fingerprint == render.briefing_fingerprint(scope=PUBLIC, audience="public")
    assert briefing.title == "Stand-in briefing"
    assert briefing.started_at <= briefing.finished_at
    assert reasons(briefing)[0] == "requested"
    assert reasons(briefing)[-1] == "succeeded: 2 pages"
    assert len(script.calls) == 1


def test_a_rolled_back_request_publishes_nothing(script, researcher, django_capture_on_commit_callbacks):
    agency_with_claim()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")
        raise RuntimeError("the request failed after asking")
    assert callbacks == []
    assert not Briefing.objects.exists()
    assert script.calls == []


@pytest.mark.django_db(transaction=True)
def test_request_outside_a_transaction_reports_published_and_in_process_it_is_done(script):
    agency_with_claim()
    briefing, published = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    assert published is True
    assert briefing.status == BriefingStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_broker_down_the_request_succeeds_quickly_and_the_row_stays_queued(script):
    agency_with_claim()
    started = time.monotonic()
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        briefing, published = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    assert time.monotonic() - started < 10
    assert published is False
    assert briefing.status == BriefingStatus.QUEUED
    assert briefing.published_at is None
    assert script.calls == []

    # The sweep publishes it once the broker is back (here: in-process again) and it is stale.
    Briefing.objects.filter(pk=briefing.pk).update(requested_at=timezone.now() - timedelta(hours=1))
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        assert sweep.briefing_sweep() == sweep.SweepResult(unpublished=1)
    assert sweep.briefing_sweep() == sweep.SweepResult(published=1)
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.SUCCEEDED


def test_a_succeeded_briefing_built_from_the_same_data_is_returned_instead_of_rendering_again(
    script, researcher, django_capture_on_commit_callbacks
):
    agency = agency_with_claim()
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, published = services.briefing_request(
            actor=researcher, scope={"agencies": ["USPIS"]}, audience="public"
        )
    assert again.pk == first.pk and published is True
    assert callbacks == []
    assert len(script.calls) == 1

    with django_capture_on_commit_callbacks(execute=True):
        internal, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="internal")
    assert internal.pk != first.pk

    f.ClaimFactory(agencies=[agency], text="A new claim changes the data.")
    with django_capture_on_commit_callbacks(execute=True):
        changed, _ = services.briefing_request(actor=researcher, scope=PUBLIC, audience="public")
    assert changed.pk not in (first.pk, internal.pk)
    first.refresh_from_db()
    changed.refresh_from_db()
    assert changed.fingerprint != first.fingerprint
    assert len(script.calls) == 3


def test_a_succeeded_briefing_whose_file_is_gone_is_not_reused(script, django_capture_on_commit_callbacks):
    agency_with_claim()
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    first.refresh_from_db()
    default_storage.delete(first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        second, _ = services.briefing_request(actor=None, scope=PUBLIC, audience="public")
    second.refresh_from_db()
    assert second.pk != first.pk and second.status == BriefingStatus.SUCCEEDED


def test_request_refuses_a_bad_scope_and_internal_without_permission(script, django_user_model):
    agency_with_claim()
    with pytest.raises(ValidationError, match="Unknown agency"):
        services.briefing_request(actor=None, scope={"agencies": ["nope"]}, audience="public")
    with pytest.raises(ValidationError, match="filter"):
        services.briefing_request(actor=None, scope={"filter": "colour=red"}, audience="public")
    with pytest.raises(ValidationError, match="audience"):
        services.briefing_request(actor=None, scope=PUBLIC, audience="everyone")
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    with pytest.raises(PermissionDenied):
        services.briefing_request(actor=staff, scope=PUBLIC, audience="internal")
    assert not Briefing.objects.exists()


# --- build: claimed once, fenced, bounded ----------------------------------------------------------


def test_a_finished_briefing_returns_at_once(script):
    agency_with_claim()
    done = services.briefing_render_now(actor=None, scope=PUBLIC, audience="public")
    assert done.status == BriefingStatus.SUCCEEDED
    finished_at, history = done.finished_at, done.history.count()
    again = worker.briefing_build(briefing_id=done.pk, worker="late duplicate")
    assert again.status == BriefingStatus.SUCCEEDED
    assert (again.finished_at, again.attempts, again.history.count()) == (finished_at, 1, history)
    assert len(script.calls) == 1

    failed = queued(status=BriefingStatus.FAILED, error="earlier")
    assert worker.briefing_build(briefing_id=failed.pk, worker="w").status == BriefingStatus.FAILED
    assert len(script.calls) == 1


def test_a_second_worker_arriving_mid_render_does_not_render(script):
    agency_with_claim()
    briefing = queued()
    seen = []

    def second_worker(report):
        seen.append(worker.briefing_build(briefing_id=briefing.pk, worker="second"))

    script.during = second_worker
    result = worker.briefing_build(briefing_id=briefing.pk, worker="first")
    assert len(script.calls) == 1
    assert seen[0].status == BriefingStatus.RUNNING and seen[0].worker == "first"
    assert worker.briefing_wait_seconds(briefing=seen[0]) > 0  # the task looks again later
    assert (result.status, result.worker, result.attempts) == (BriefingStatus.SUCCEEDED, "first", 1)


def test_a_running_briefing_with_a_stale_heartbeat_is_taken_over(script, settings):
    agency_with_claim()
    stale = timezone.now() - timedelta(seconds=settings.BRIEFING_STALE_SECONDS + 1)
    briefing = queued(status=BriefingStatus.RUNNING, attempts=1, heartbeat_at=stale, worker="dead")
    result = worker.briefing_build(briefing_id=briefing.pk, worker="rescuer")
    assert (result.status, result.attempts, result.worker) == (BriefingStatus.SUCCEEDED, 2, "rescuer")
    assert "attempt 2 started by rescuer" in reasons(result)


def test_a_fresh_running_briefing_is_left_to_its_worker(script):
    briefing = queued(status=BriefingStatus.RUNNING, attempts=1, heartbeat_at=timezone.now(), worker="alive")
    result = worker.briefing_build(briefing_id=briefing.pk, worker="other")
    assert (result.status, result.attempts, result.worker) == (BriefingStatus.RUNNING, 1, "alive")
    assert script.calls == []


def test_a_job_that_keeps_killing_its_worker_fails_after_max_workers_lost(script, settings):
    stale = timezone.now() - timedelta(seconds=settings.BRIEFING_STALE_SECONDS + 1)
    lost = settings.BRIEFING_MAX_WORKERS_LOST - 1
    briefing = queued(
        status=BriefingStatus.RUNNING, attempts=7, workers_lost=lost, heartbeat_at=stale, worker="w"
    )
    result = worker.briefing_build(briefing_id=briefing.pk, worker="next")
    assert result.status == BriefingStatus.FAILED
    assert (result.attempts, result.workers_lost) == (7, settings.BRIEFING_MAX_WORKERS_LOST)
    assert result.error.startswith(f"Stopped after {lost + 1} attempts whose worker process died")
    assert result.error.endswith("The last: its worker stopped responding.")
    assert result.finished_at is not None
    assert script.calls == []


def test_lost_workers_and_unreachable_services_spend_no_attempt(script, settings):
    """Three unrelated kills do not fail a briefing; the render's own failures do, at max_attempts."""
    agency_with_claim()
    stale = timezone.now() - timedelta(seconds=settings.BRIEFING_STALE_SECONDS + 1)
    briefing = queued(status=BriefingStatus.RUNNING, attempts=3, workers_lost=2, heartbeat_at=stale)
    result = worker.briefing_build(briefing_id=briefing.pk, worker="next")
    assert (result.status, result.attempts, result.workers_lost, result.failures) == (
        BriefingStatus.SUCCEEDED,
        4,
        3,
        0,
    )
    broken = queued(failures=2, max_attempts=3)
    script.mode = "bug"
    with pytest.raises(RuntimeError):
        worker.briefing_build(briefing_id=broken.pk, worker="w")
    broken.refresh_from_db()
    assert (broken.status, broken.failures) == (BriefingStatus.QUEUED, 3)
    given_up = worker.briefing_build(briefing_id=broken.pk, worker="w")
    assert given_up.status == BriefingStatus.FAILED
    assert given_up.error == (
        "Stopped after 3 attempts that failed on an error of the render. The last: stopped on an "
        "unexpected error (RuntimeError)."
    )


def test_a_render_error_fails_the_briefing_with_its_message(script):
    agency_with_claim()
    script.mode = "refused"
    result = worker.briefing_build(briefing_id=queued().pk, worker="w")
    assert result.status == BriefingStatus.FAILED
    assert result.stage == "failed"
    assert "outside its bundled assets: http://127.0.0.1:9/tracker.png" in result.error
    assert not result.file
    assert reasons(result)[-1] == "failed"


def test_a_fault_in_a_worker_gives_the_briefing_back_and_propagates(script):
    agency_with_claim()
    script.mode = "bug"
    briefing = queued()
    with pytest.raises(RuntimeError):
        worker.briefing_build(briefing_id=briefing.pk, worker="w")
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts, briefing.failures) == (BriefingStatus.QUEUED, 1, 1)
    assert "stopped on an unexpected error (RuntimeError)" in briefing.error
    assert "CANARY" not in briefing.error


def test_a_fault_in_process_fails_the_briefing_naming_only_the_error_class(script):
    agency_with_claim()
    script.mode = "bug"
    result = services.briefing_render_now(actor=None, scope=PUBLIC, audience="public")
    assert result.status == BriefingStatus.FAILED
    assert "RuntimeError" in result.error and "CANARY" not in result.error


def test_a_worker_that_lost_its_claim_stores_nothing(script):
    """The sweep rescued the briefing and another attempt took it while this one still rendered."""
    agency_with_claim()
    briefing = queued()

    def taken_over(report):
        Briefing.objects.filter(pk=briefing.pk).update(attempts=2, worker="newer")

    script.during = taken_over
    result = worker.briefing_build(briefing_id=briefing.pk, worker="older")
    assert (result.status, result.worker, result.attempts) == (BriefingStatus.RUNNING, "newer", 2)
    assert not result.file
    assert default_storage.listdir(f"briefings/{briefing.pk}")[1] == []  # its PDF was deleted


def test_progress_after_losing_the_claim_stops_the_render(script):
    agency_with_claim()
    briefing = queued()

    def taken_over_then_report(report):
        Briefing.objects.filter(pk=briefing.pk).update(attempts=5)
        report("later stage", 80)
        pytest.fail("the render should have been stopped")

    script.during = taken_over_then_report
    result = worker.briefing_build(briefing_id=briefing.pk, worker="older")
    assert result.attempts == 5 and result.status == BriefingStatus.RUNNING


def test_progress_is_written_while_rendering(script):
    agency_with_claim()
    briefing = queued()
    seen = []
    script.during = lambda report: seen.append(
        Briefing.objects.values_list("status", "stage", "progress", "worker").get(pk=briefing.pk)
    )
    worker.briefing_build(briefing_id=briefing.pk, worker="w")
    assert seen == [(BriefingStatus.RUNNING, "pdf", 40, "w")]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_during_a_long_silent_render(script, settings):
    settings.BRIEFING_HEARTBEAT_SECONDS = 0.05
    agency_with_claim()
    briefing = queued()
    beats = []

    def silent_for_a_while(report):
        first = Briefing.objects.get(pk=briefing.pk).heartbeat_at
        time.sleep(0.5)
        beats.append((first, Briefing.objects.get(pk=briefing.pk).heartbeat_at))

    script.during = silent_for_a_while
    assert worker.briefing_build(briefing_id=briefing.pk, worker="w").status == BriefingStatus.SUCCEEDED
    first, later = beats[0]
    assert later > first
    assert not [t for t in threading.enumerate() if t.name.startswith("briefing-")]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_briefing_render_it_once(postgres, script):
    agency_with_claim()
    briefing = queued()
    start = threading.Barrier(2)
    results = {}

    def build_as(name):
        from django.db import connection

        try:
            start.wait()
            results[name] = worker.briefing_build(briefing_id=briefing.pk, worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=build_as, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(script.calls) == 1
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (BriefingStatus.SUCCEEDED, 1)
    assert briefing.worker in ("a", "b")


# --- the task ---------------------------------------------------------------------------------------


def test_the_task_takes_only_the_id_and_json(script):
    agency_with_claim()
    briefing = queued()
    assert celery_app.conf.task_serializer == "json" and celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    assert celery_app.conf.worker_prefetch_multiplier == 1
    transport = celery_app.conf.broker_transport_options
    assert celery_app.conf.task_time_limit < transport["visibility_timeout"]
    assert celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit
    briefing_build_task.apply(args=[briefing.pk])
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.SUCCEEDED
    assert briefing_build_task.apply(args=[987654]).successful()  # deleted: nothing to do


def test_wait_seconds_is_until_the_holder_would_be_stale(settings):
    now = timezone.now()
    running = Briefing(status=BriefingStatus.RUNNING, heartbeat_at=now)
    assert (
        settings.BRIEFING_STALE_SECONDS
        <= worker.briefing_wait_seconds(briefing=running)
        <= (settings.BRIEFING_STALE_SECONDS + 2)
    )
    assert worker.briefing_wait_seconds(briefing=Briefing(status=BriefingStatus.SUCCEEDED)) is None


# --- sweep ------------------------------------------------------------------------------------------


def test_sweep_rescues_stale_running_fails_exhausted_and_publishes_stale_queued(script, settings):
    agency_with_claim()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.BRIEFING_STALE_SECONDS + 1)
    long_ago = now - timedelta(seconds=settings.BRIEFING_REPUBLISH_SECONDS + 1)
    dead = queued(status=BriefingStatus.RUNNING, attempts=1, heartbeat_at=stale, worker="dead")
    exhausted = queued(
        status=BriefingStatus.RUNNING,
        attempts=3,
        workers_lost=settings.BRIEFING_MAX_WORKERS_LOST - 1,
        heartbeat_at=stale,
        worker="dead",
    )
    alive = queued(status=BriefingStatus.RUNNING, attempts=1, heartbeat_at=now, worker="alive")
    lost = queued(requested_at=long_ago)
    republish = queued(requested_at=long_ago, published_at=long_ago)
    just_asked = queued(requested_at=now)
    just_published = queued(requested_at=long_ago, published_at=now)

    result = sweep.briefing_sweep()

    assert result == sweep.SweepResult(failed=1, rescued=1, published=3, unpublished=0)
    status = dict(Briefing.objects.values_list("pk", "status"))
    assert status[dead.pk] == status[lost.pk] == status[republish.pk] == BriefingStatus.SUCCEEDED
    assert status[exhausted.pk] == BriefingStatus.FAILED
    assert status[alive.pk] == BriefingStatus.RUNNING
    assert status[just_asked.pk] == status[just_published.pk] == BriefingStatus.QUEUED
    assert "rescued from dead" in reasons(Briefing.objects.get(pk=dead.pk))
    assert Briefing.objects.get(pk=dead.pk).attempts == 2
    assert sweep.briefing_sweep() == sweep.SweepResult()


def test_delete_removes_the_file_once_committed(script, django_capture_on_commit_callbacks):
    agency_with_claim()
    briefing = services.briefing_render_now(actor=None, scope=PUBLIC, audience="public")
    name = briefing.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_delete(briefing=briefing)
    assert not default_storage.exists(name)
    assert not Briefing.objects.filter(pk=briefing.pk).exists()
