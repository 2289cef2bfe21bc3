"""The worker side of a briefing: claim it, render it, store its PDF, give it back when a service fails.

Every change of status is a conditional UPDATE fenced by the attempt number, so two workers never
both build a briefing and a worker that lost its claim can never overwrite the one that won. The
render is agencies.briefings.render.briefing_render; tests replace it there.
"""

import hashlib
import logging
import os
import re
import socket
import threading
import time
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from agencies.briefings import render
from agencies.briefings.errors import BriefingRenderError, InfrastructureFault, infrastructure_cause
from agencies.briefings.selectors import briefing_version
from agencies.models import Briefing, BriefingStatus

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 2000
# The database's passing faults: a retry on a fresh connection may succeed.
DATABASE_FAULTS = (OperationalError, InterfaceError)
# What a briefing put back in the queue holds, whoever puts it back (a worker, the sweep, a rescue).
BACK_IN_QUEUE = {
    "status": BriefingStatus.QUEUED,
    "stage": "queued",
    "progress": 0,
    "heartbeat_at": None,
    "fingerprint": "",
}


class BriefingClaimLost(Exception):
    """This attempt no longer holds the briefing: the sweep or another worker took it over."""


def briefing_worker_name(hostname: str | None = None, pid: int | None = None) -> str:
    return f"{hostname or socket.gethostname()} pid {pid or os.getpid()}"


def briefing_build(*, briefing_id: int, worker: str, retry_on_error: bool = True) -> Briefing:
    """Build a briefing unless it is finished or another worker holds it; return its row as it stands.

    Raises Briefing.DoesNotExist if it was deleted. A fault that is not the render's verdict (a bug,
    the database, the storage) puts the briefing back in the queue for the sweep and propagates;
    with retry_on_error=False (in-process builds, which nothing would retry) it fails the briefing.
    """
    briefing = _briefing_claim(briefing_id=briefing_id, worker=worker)
    if briefing is None:
        return Briefing.objects.get(pk=briefing_id)
    return _briefing_run(briefing=briefing, retry_on_error=retry_on_error)


def briefing_wait_seconds(*, briefing: Briefing) -> float | None:
    """For a briefing another worker is building: how long until its heartbeat would be stale."""
    if briefing.status != BriefingStatus.RUNNING or briefing.heartbeat_at is None:
        return None
    stale_at = briefing.heartbeat_at + timedelta(seconds=settings.BRIEFING_STALE_SECONDS)
    return max(1.0, (stale_at - timezone.now()).total_seconds() + 1)


def stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.BRIEFING_STALE_SECONDS)


def _claimable(now: datetime) -> Q:
    """Queued, or running under a worker that stopped beating (it died or was killed)."""
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before(now))
    return Q(status=BriefingStatus.QUEUED) | (Q(status=BriefingStatus.RUNNING) & stale)


def exhausted(briefing: Briefing) -> bool:
    if briefing.failures >= briefing.max_attempts:
        return True
    return briefing.workers_lost >= settings.BRIEFING_MAX_WORKERS_LOST


def _exhausted_message(briefing: Briefing) -> str:
    """Why a briefing was given up, counting what spent its attempts, and the last attempt's end."""
    if briefing.failures >= briefing.max_attempts:
        message = f"Stopped after {briefing.failures} attempts that failed on an error of the render."
    else:
        message = (
            f"Stopped after {briefing.workers_lost} attempts whose worker process died under it "
            "(killed, out of memory, or out of time)."
        )
    last = ""
    if briefing.error.startswith("Attempt ") and ": " in briefing.error:
        last = briefing.error.split(": ", 1)[1].split(" It will be tried again.")[0]
    return f"{message} The last: {last}" if last else message


def _briefing_claim(*, briefing_id: int, worker: str) -> Briefing | None:
    now = timezone.now()
    claimable = _claimable(now)
    seen = Briefing.objects.filter(claimable, pk=briefing_id).first()
    if seen is None:
        return None
    # Fenced by the attempt seen: of two workers racing for it, one UPDATE matches and one does not.
    fenced = Briefing.objects.filter(claimable, pk=briefing_id, attempts=seen.attempts)
    with transaction.atomic():
        if seen.status == BriefingStatus.RUNNING:
            # Its worker stopped beating and nobody took it back yet: that worker is lost.
            seen.workers_lost += 1
            seen.error = f"Attempt {seen.attempts}: its worker stopped responding."
            if not fenced.update(workers_lost=seen.workers_lost, error=seen.error):
                return None
            fenced = Briefing.objects.filter(claimable, pk=briefing_id, attempts=seen.attempts)
        if exhausted(seen):
            # A job that keeps killing its worker (or breaking) ends here instead of looping.
            briefing_give_up(fenced, seen, now)
            return None
        if not fenced.update(
            status=BriefingStatus.RUNNING,
            attempts=seen.attempts + 1,
            worker=worker[:200],
            stage="starting",
            progress=0,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            fingerprint="",
            # Read before the render's snapshot: the data it prints is at least this version.
            record_version=briefing_version(),
        ):
            return None
        return record_transition(briefing_id, f"attempt {seen.attempts + 1} started by {worker}")


def briefing_give_up(fenced: QuerySet, seen: Briefing, now: datetime) -> bool:
    """Fail a briefing whose attempts are used up, if `fenced` still matches it; say so in history."""
    if not fenced.update(
        status=BriefingStatus.FAILED,
        stage="failed",
        finished_at=now,
        heartbeat_at=None,
        error=_exhausted_message(seen)[:ERROR_MAX_LENGTH],
    ):
        return False
    record_transition(seen.pk, "gave up: too many attempts")
    return True


def record_transition(briefing_id: int, reason: str) -> Briefing:
    """Write a transition into the history (conditional UPDATEs bypass simple_history's signals)."""
    briefing = Briefing.objects.get(pk=briefing_id)
    Briefing.history.bulk_history_create([briefing], update=True, default_change_reason=reason)
    return briefing


def _this_attempt_or_given_back(briefing: Briefing) -> QuerySet:
    """This attempt, running, or put back in the queue while this worker was cut off from the database
    (the sweep saw its heartbeat stop) and not claimed since: nobody else builds it, it is still ours."""
    return Briefing.objects.filter(
        pk=briefing.pk,
        status__in=[BriefingStatus.RUNNING, BriefingStatus.QUEUED],
        attempts=briefing.attempts,
    )


def _beat(briefing: Briefing, **fields) -> bool:
    """Say this attempt is alive (and anything else in `fields`); False if it is no longer ours."""
    return bool(
        _this_attempt_or_given_back(briefing).update(
            status=BriefingStatus.RUNNING, heartbeat_at=timezone.now(), **fields
        )
    )


def database_reset() -> None:
    """After a database error: drop this thread's connection if it is broken, so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        try:
            if conn.in_atomic_block:
                continue
            conn.close_if_unusable_or_obsolete()
            if conn.errors_occurred:
                conn.close()
        except DatabaseError:
            conn.close()


class _Heartbeat(threading.Thread):
    """Beats while the render runs, including inside one long WeasyPrint call that reports nothing.

    A beat that fails (the database restarting) drops the thread's connection and tries again each
    second until the database answers, so a blip does not make a live render look dead.
    """

    def __init__(self, briefing: Briefing):
        super().__init__(name=f"briefing-{briefing.pk}-heartbeat", daemon=True)
        self.briefing = briefing
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        wait = settings.BRIEFING_HEARTBEAT_SECONDS
        try:
            while not self.stopped.wait(wait):
                try:
                    if not _beat(self.briefing):
                        self.lost.set()
                        return
                    wait = settings.BRIEFING_HEARTBEAT_SECONDS
                except DatabaseError as exc:  # a passing outage: reconnect and try again soon
                    logger.warning("Briefing %s heartbeat failed: %s", self.briefing.pk, type(exc).__name__)
                    database_reset()
                    wait = min(1.0, settings.BRIEFING_HEARTBEAT_SECONDS)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)


class _Progress:
    """The render's progress callback: writes stage and percent, at most about once a second, and the
    fingerprint of the data as soon as it is read (a request for the same data joins this briefing)."""

    def __init__(self, briefing: Briefing, heartbeat: _Heartbeat | None):
        self.briefing = briefing
        self.heartbeat = heartbeat
        self.stage = ""
        self.written_at = 0.0

    def __call__(self, stage: str, percent: int, fingerprint: str | None = None) -> None:
        if self.heartbeat is not None and self.heartbeat.lost.is_set():
            raise BriefingClaimLost
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < 1.0 and fingerprint is None:
            return
        self.stage, self.written_at = stage, now
        percent = max(0, min(99, int(percent)))
        extra = {"fingerprint": fingerprint} if fingerprint else {}
        try:
            if not _beat(self.briefing, stage=stage[:100], progress=percent, **extra):
                raise BriefingClaimLost
        except DATABASE_FAULTS:
            # Progress is not worth failing a render for; the heartbeat keeps the claim.
            database_reset()


def _briefing_run(*, briefing: Briefing, retry_on_error: bool) -> Briefing:
    # A second connection cannot see a row of the caller's uncommitted transaction: beat from the
    # progress callback alone then.
    heartbeat = None if transaction.get_connection().in_atomic_block else _Heartbeat(briefing)
    if heartbeat is not None:
        heartbeat.start()
    try:
        try:
            rendered = render.briefing_render(
                scope=briefing.scope,
                audience=briefing.audience,
                progress=_Progress(briefing, heartbeat),
                page_size=briefing.page_size,
            )
        except (BriefingRenderError, SoftTimeLimitExceeded, BriefingClaimLost):
            raise
        except Exception as exc:
            cause = infrastructure_cause(exc)
            if cause is None:
                raise
            raise InfrastructureFault(cause) from exc
        return _briefing_store(briefing=briefing, rendered=rendered)
    except BriefingRenderError as exc:
        _stop(heartbeat)
        return _briefing_fail(briefing=briefing, message=str(exc))
    except SoftTimeLimitExceeded:
        _stop(heartbeat)
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        return _briefing_fail(
            briefing=briefing, message=f"Took longer than {limit} seconds: narrow the scope."
        )
    except BriefingClaimLost:
        return Briefing.objects.get(pk=briefing.pk)
    except InfrastructureFault as exc:
        _stop(heartbeat)  # first: a beat after the release would take the briefing back
        # The services failed, not the briefing: it goes back to the queue without spending an attempt.
        message = f"Attempt {briefing.attempts}: {exc.cause}; it will be tried again (no attempt spent)."
        if not retry_on_error:
            return _briefing_fail(briefing=briefing, message=f"Stopped: {exc.cause}.")
        _briefing_release(briefing=briefing, message=message, failed=False)
        exc.attempt = briefing.attempts  # for the retry to give back, should the release have failed
        raise
    except Exception as exc:
        _stop(heartbeat)
        # Not the render's verdict on the scope but a fault (a bug). A worker gives the briefing back
        # for another attempt, within max_attempts; a build in this process has no one to retry it
        # and fails. Only the error's class is stored: its text could quote the record.
        message = f"Attempt {briefing.attempts}: stopped on an unexpected error ({type(exc).__name__})."
        if retry_on_error:
            _briefing_release(briefing=briefing, message=f"{message} It will be tried again.", failed=True)
            raise
        logger.exception("Briefing %s failed", briefing.pk)
        return _briefing_fail(
            briefing=briefing,
            message=f"Stopped on an unexpected error ({type(exc).__name__}); the log has details.",
        )
    finally:
        _stop(heartbeat)


def _stop(heartbeat: "_Heartbeat | None") -> None:
    if heartbeat is not None:
        heartbeat.stop()


def briefing_file_name(briefing: Briefing, *, attempt: int, sha256: str) -> str:
    """Where an attempt stores its PDF: the attempt in the name lets the files sweep tell a file still
    being recorded (its attempt is running) from one nobody will record."""
    field = briefing.file.field
    return field.generate_filename(
        briefing, f"briefing-{briefing.pk}-{briefing.audience}-a{attempt}-{sha256[:12]}.pdf"
    )


FILE_NAME = re.compile(r"^briefing-(?P<pk>\d+)-\w+-a(?P<attempt>\d+)-[0-9a-f]{12}\.pdf$")


def _storage_write(storage, name: str, data: bytes) -> str:
    """Write a whole file or none: a write that fails midway (a full disk) removes what it left."""
    try:
        return storage.save(name, ContentFile(data))
    except Exception as exc:
        try:
            if storage.exists(name):
                storage.delete(name)
        except Exception:  # noqa: S110 - the storage is failing; the files sweep removes it later
            pass
        raise InfrastructureFault(infrastructure_cause(exc, storing=True)) from exc


def _briefing_store(*, briefing: Briefing, rendered) -> Briefing:
    _database_retry(lambda: _beat(briefing, stage="storing", progress=99))
    pdf = rendered.pdf
    sha256 = hashlib.sha256(pdf).hexdigest()
    storage = briefing.file.storage
    name = briefing_file_name(briefing, attempt=briefing.attempts, sha256=sha256)
    name = _storage_write(storage, name, pdf)

    def record() -> Briefing | None:
        now = timezone.now()
        with transaction.atomic():
            stored = _this_attempt_or_given_back(briefing).update(
                status=BriefingStatus.SUCCEEDED,
                stage="done",
                progress=100,
                finished_at=now,
                heartbeat_at=now,
                file=name,
                page_count=rendered.page_count,
                size=len(pdf),
                sha256=sha256,
                fingerprint=rendered.fingerprint,
                title=rendered.title[:300],
                error="",
            )
            if stored:
                return record_transition(briefing.pk, f"succeeded: {rendered.page_count} pages")
        return None

    # The PDF is made: a database blip here is waited out, not paid for with a new render. Should the
    # database stay away, the file is left for the files sweep, which removes it unless it was
    # recorded after all (a commit whose answer was lost).
    done = _database_retry(record)
    if done is not None:
        return done
    # Another attempt owns the briefing now: this file is nobody's.
    storage.delete(name)
    return Briefing.objects.get(pk=briefing.pk)


def _database_retry(action):
    """Run `action`, again on a fresh connection while the database is unreachable, for at most
    BRIEFING_STORE_RETRY_SECONDS; then raise InfrastructureFault."""
    deadline = time.monotonic() + settings.BRIEFING_STORE_RETRY_SECONDS
    pause = 0.5
    while True:
        try:
            return action()
        except DATABASE_FAULTS as exc:
            database_reset()
            if time.monotonic() + pause > deadline:
                raise InfrastructureFault("the database was unreachable") from exc
            logger.warning("Briefing store: the database is unreachable; trying again in %.1f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _briefing_fail(*, briefing: Briefing, message: str) -> Briefing:
    def fail() -> Briefing:
        with transaction.atomic():
            if _this_attempt_or_given_back(briefing).update(
                status=BriefingStatus.FAILED,
                stage="failed",
                finished_at=timezone.now(),
                error=message[:ERROR_MAX_LENGTH],
            ):
                return record_transition(briefing.pk, "failed")
        return Briefing.objects.get(pk=briefing.pk)

    return _database_retry(fail)


def _briefing_release(*, briefing: Briefing, message: str, failed: bool) -> None:
    """Put this attempt back in the queue; `failed` spends one of the briefing's attempts."""
    fields = {"failures": F("failures") + 1} if failed else {}
    try:
        with transaction.atomic():
            if _this_attempt_or_given_back(briefing).update(
                **BACK_IN_QUEUE,
                error=message[:ERROR_MAX_LENGTH],
                **fields,
            ):
                record_transition(briefing.pk, message[:100])
    except DatabaseError:
        # The database is what failed: the row stays running; the task's retry gives it back first.
        database_reset()
        logger.warning("Briefing %s could not be put back in the queue", briefing.pk)


def briefing_give_back(*, briefing_id: int, attempt: int, message: str) -> bool:
    """Put attempt `attempt` back in the queue if it is still marked running: its worker could not do
    so itself (the database was down when it stopped). Spends nothing."""
    with transaction.atomic():
        if Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.RUNNING, attempts=attempt).update(
            **BACK_IN_QUEUE,
            error=message[:ERROR_MAX_LENGTH],
        ):
            record_transition(briefing_id, message[:100])
            return True
    return False


def briefing_worker_lost(*, briefing_id: int, worker: str, how: str) -> bool:
    """The pool process `worker` died while building this briefing (told by its parent worker process):
    put it back in the queue at once, counting the lost worker, instead of waiting for the heartbeat to
    go stale. Fenced by the worker's name: an attempt since then is left alone."""
    with transaction.atomic():
        fenced = Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.RUNNING, worker=worker[:200])
        seen = fenced.only("pk", "attempts").first()
        if seen is None:
            return False
        if fenced.filter(attempts=seen.attempts).update(
            **BACK_IN_QUEUE,
            workers_lost=F("workers_lost") + 1,
            error=f"Attempt {seen.attempts}: its worker process died ({how})."[:ERROR_MAX_LENGTH],
        ):
            record_transition(briefing_id, f"attempt {seen.attempts}: worker process died")
            return True
    return False
