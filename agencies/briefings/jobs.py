"""Briefing jobs: request one, build it (in a worker or in-process), sweep what was lost.

The Briefing row is the job and the outbox. It is created `queued` in the request's transaction and
published to Celery after commit; if the broker is down it stays queued and the sweep publishes it
later. Every change of status is a conditional UPDATE fenced by the attempt number, so two workers
never both build a briefing and a worker that lost its claim can never overwrite the one that won.
"""

import base64
import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerUnreachable

from agencies.briefings.data import ResolvedScope, resolve_scope, scope_claims
from agencies.briefings.errors import BriefingRenderError, InfrastructureFault, infrastructure_cause
from agencies.briefings.render import briefing_fingerprint, page_size_or_default
from agencies.core import permissions
from agencies.models import Briefing, BriefingAudience, BriefingStatus

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 2000
CONFIDENTIAL_PERMISSION = permissions.VIEW_CONFIDENTIAL
# What the user is told when a briefing could not be handed to the workers yet.
QUEUE_UNREACHABLE = "queued, the worker queue is unreachable; it will start when it is back."


class BriefingClaimLost(Exception):
    """This attempt no longer holds the briefing: the sweep or another worker took it over."""


@dataclass(frozen=True)
class SweepResult:
    failed: int = 0
    rescued: int = 0
    published: int = 0
    unpublished: int = 0


# The database's passing faults: a retry on a fresh connection may succeed.
DATABASE_FAULTS = (OperationalError, InterfaceError)


# --- requesting ---------------------------------------------------------------------------------


def briefing_scope_key(scope: dict) -> str:
    return hashlib.sha256(json.dumps(scope, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def briefing_request(
    *, actor, scope: dict, audience: str, page_size: str | None = None
) -> tuple[Briefing, bool]:
    """Ask for a briefing. Returns it and whether it reached the worker queue.

    A succeeded briefing of the same scope and audience built from the same data is returned as it
    is. Otherwise a new row is queued and published after commit; when the broker is unreachable
    the row stays queued (the sweep publishes it later) and `published` is False so that the caller
    can say so. Called inside an outer transaction, publishing waits for its commit and `published`
    is True: the sweep covers a publish that fails then.
    """
    _briefing_check_audience(actor=actor, audience=audience)
    resolved = resolve_scope(scope)
    scope = resolved.normalised
    # Both before the fingerprint, which reads the whole scope's data.
    _briefing_check_size(resolved)
    _briefing_check_queue(actor=actor)
    key = briefing_scope_key(scope)
    try:
        page_size = page_size_or_default(page_size)
        # The fingerprint covers the page size: a Letter request never gets an A4 PDF.
        fingerprint = briefing_fingerprint(scope=scope, audience=audience, page_size=page_size)
    except BriefingRenderError as exc:  # a scope the record cannot answer: the caller's input
        raise ValidationError(str(exc)) from exc
    reusable = _briefing_reusable(scope_key=key, audience=audience, fingerprint=fingerprint)
    if reusable is not None:
        return reusable, True

    outcome: dict[str, bool] = {}
    with transaction.atomic():
        # Requests for the same scope and audience wait for each other here, so that the second one
        # sees the first one's row and joins it instead of building the same PDF twice.
        _briefing_lock_scope(scope_key=key, audience=audience)
        joined = _briefing_in_flight(scope_key=key, audience=audience, fingerprint=fingerprint)
        if joined is not None:
            return joined, True
        _briefing_check_queue(actor=actor, lock=True)  # again, with two requests of one user in line
        briefing = _briefing_create(
            actor=actor, scope=scope, scope_key=key, audience=audience, page_size=page_size
        )
        transaction.on_commit(
            lambda: outcome.setdefault("published", briefing_publish(briefing_id=briefing.pk))
        )
    # An in-process build (no broker configured) has already finished here.
    briefing.refresh_from_db()
    return briefing, outcome.get("published", True)


def briefing_render_now(*, actor, scope: dict, audience: str, page_size: str | None = None) -> Briefing:
    """Build a briefing here and now, through the worker's own code path (the command line)."""
    _briefing_check_audience(actor=actor, audience=audience)
    resolved = resolve_scope(scope)
    scope = resolved.normalised
    _briefing_check_size(resolved)
    try:
        page_size = page_size_or_default(page_size)
    except BriefingRenderError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        briefing = _briefing_create(
            actor=actor,
            scope=scope,
            scope_key=briefing_scope_key(scope),
            audience=audience,
            page_size=page_size,
        )
    return briefing_build(
        briefing_id=briefing.pk, worker=f"{briefing_worker_name()} (in-process)", retry_on_error=False
    )


def _briefing_check_size(resolved: ResolvedScope) -> None:
    """A briefing covers at most BRIEFING_MAX_CLAIMS claims: past that it is a book, built for minutes
    and held whole in a worker's memory. Counted only up to the limit."""
    limit = settings.BRIEFING_MAX_CLAIMS
    if scope_claims(resolved).order_by()[: limit + 1].count() > limit:
        raise ValidationError(
            f"This briefing would cover more than {limit:,} claims, the most one may cover: "
            "narrow it (fewer agencies, or a filter of their claims).",
            code="too_many_claims",
        )


def _briefing_check_queue(*, actor, lock: bool = False) -> None:
    """At most BRIEFING_MAX_QUEUED_PER_USER briefings of one user queued or running at once. With
    `lock` (inside the transaction that adds one) the user's row is locked first, so that two
    requests at once cannot both take the last place."""
    if actor is None or not actor.is_authenticated:
        return  # a system action or a command without --user: no one to count against
    if lock:
        list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
    limit = settings.BRIEFING_MAX_QUEUED_PER_USER
    waiting = Briefing.objects.filter(
        requested_by=actor, status__in=[BriefingStatus.QUEUED, BriefingStatus.RUNNING]
    ).count()
    if waiting >= limit:
        raise ValidationError(
            f"You already have {waiting} briefings queued or running, the most one person may have at "
            "once: ask again when one of them is finished.",
            code="too_many_queued",
        )


def _briefing_check_audience(*, actor, audience: str) -> None:
    """Briefings for those who may ask; internal ones only for those who may see confidential notes.

    No actor: a system action (the sweep, a command run without --user for a public briefing).
    """
    if audience not in BriefingAudience.values:
        raise ValidationError({"audience": f"Unknown audience {audience!r}: use public or internal."})
    if actor is None:
        return
    if audience == BriefingAudience.INTERNAL and not permissions.can_request_internal(actor):
        raise PermissionDenied("Internal briefings carry confidential notes: you may not see those.")
    if not permissions.can_request_briefing(actor, audience):
        raise PermissionDenied("You may not ask for briefings.")


def _briefing_create(*, actor, scope: dict, scope_key: str, audience: str, page_size: str) -> Briefing:
    briefing = Briefing(
        page_size=page_size,
        scope=scope,
        scope_key=scope_key,
        audience=audience,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        max_attempts=settings.BRIEFING_MAX_ATTEMPTS,
    )
    briefing._change_reason = "requested"
    briefing.save()
    return briefing


def _briefing_reusable(*, scope_key: str, audience: str, fingerprint: str) -> Briefing | None:
    briefing = (
        Briefing.objects.filter(
            scope_key=scope_key, audience=audience, fingerprint=fingerprint, status=BriefingStatus.SUCCEEDED
        )
        .order_by("-finished_at")
        .first()
    )
    if briefing is None or not briefing.file.storage.exists(briefing.file.name):
        return None
    return briefing


def _briefing_lock_scope(*, scope_key: str, audience: str) -> None:
    """Serialise requests for one scope and audience until the transaction ends.

    PostgreSQL: a transaction-level advisory lock on the pair. SQLite: writers are serialised already
    (BEGIN IMMEDIATE), so the check that follows cannot race.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"briefing:{scope_key}:{audience}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def _briefing_in_flight(*, scope_key: str, audience: str, fingerprint: str) -> Briefing | None:
    """A briefing of this scope and audience that will print the data as it is now, if one is on its way.

    Queued: it has not read the record yet. Running: it has read the data this request would (the same
    fingerprint), or has not read it yet (no fingerprint so far).
    """
    return (
        Briefing.objects.filter(scope_key=scope_key, audience=audience)
        .filter(
            Q(status=BriefingStatus.QUEUED)
            | Q(status=BriefingStatus.RUNNING, fingerprint__in=[fingerprint, ""])
        )
        .order_by("requested_at", "pk")
        .first()
    )


def briefing_publish(*, briefing_id: int) -> bool:
    """Hand a briefing to the worker queue; False when the broker cannot be reached."""
    from agencies.briefings.tasks import briefing_build_task  # the tasks module imports this one

    try:
        briefing_build_task.apply_async(args=[briefing_id])
    except BrokerUnreachable as exc:
        logger.warning("Briefing %s stays queued: the worker queue is unreachable (%s)", briefing_id, exc)
        return False
    Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.QUEUED).update(published_at=timezone.now())
    return True


# --- building -----------------------------------------------------------------------------------


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


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.BRIEFING_STALE_SECONDS)


def _claimable(now: datetime) -> Q:
    """Queued, or running under a worker that stopped beating (it died or was killed)."""
    stale = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=_stale_before(now))
    return Q(status=BriefingStatus.QUEUED) | (Q(status=BriefingStatus.RUNNING) & stale)


def _exhausted(briefing: Briefing) -> bool:
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
        if _exhausted(seen):
            # A job that keeps killing its worker (or breaking) ends here instead of looping.
            _briefing_give_up(fenced, seen, now)
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
        ):
            return None
        return _briefing_record(briefing_id, f"attempt {seen.attempts + 1} started by {worker}")


def _briefing_give_up(fenced: QuerySet, seen: Briefing, now: datetime) -> bool:
    """Fail a briefing whose attempts are used up, if `fenced` still matches it; say so in history."""
    if not fenced.update(
        status=BriefingStatus.FAILED,
        stage="failed",
        finished_at=now,
        heartbeat_at=None,
        error=_exhausted_message(seen)[:ERROR_MAX_LENGTH],
    ):
        return False
    _briefing_record(seen.pk, "gave up: too many attempts")
    return True


def _briefing_record(briefing_id: int, reason: str) -> Briefing:
    """Write a transition into the history (conditional UPDATEs bypass simple_history's signals)."""
    briefing = Briefing.objects.get(pk=briefing_id)
    Briefing.history.bulk_history_create([briefing], update=True, default_change_reason=reason)
    return briefing


def _this_attempt(briefing: Briefing) -> QuerySet:
    return Briefing.objects.filter(pk=briefing.pk, status=BriefingStatus.RUNNING, attempts=briefing.attempts)


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


def _database_reset() -> None:
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
                    _database_reset()
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
            _database_reset()


def _briefing_run(*, briefing: Briefing, retry_on_error: bool) -> Briefing:
    # A second connection cannot see a row of the caller's uncommitted transaction: beat from the
    # progress callback alone then.
    heartbeat = None if transaction.get_connection().in_atomic_block else _Heartbeat(briefing)
    if heartbeat is not None:
        heartbeat.start()
    try:
        renderer = import_string(settings.BRIEFING_RENDERER)
        try:
            rendered = renderer(
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
                return _briefing_record(briefing.pk, f"succeeded: {rendered.page_count} pages")
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
            _database_reset()
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
                return _briefing_record(briefing.pk, "failed")
        return Briefing.objects.get(pk=briefing.pk)

    return _database_retry(fail)


def _briefing_release(*, briefing: Briefing, message: str, failed: bool) -> None:
    """Put this attempt back in the queue; `failed` spends one of the briefing's attempts."""
    fields = {"failures": F("failures") + 1} if failed else {}
    try:
        with transaction.atomic():
            if _this_attempt_or_given_back(briefing).update(
                status=BriefingStatus.QUEUED,
                stage="queued",
                progress=0,
                heartbeat_at=None,
                fingerprint="",
                error=message[:ERROR_MAX_LENGTH],
                **fields,
            ):
                _briefing_record(briefing.pk, message[:100])
    except DatabaseError:
        # The database is what failed: the row stays running; the task's retry gives it back first.
        _database_reset()
        logger.warning("Briefing %s could not be put back in the queue", briefing.pk)


def briefing_give_back(*, briefing_id: int, attempt: int, message: str) -> bool:
    """Put attempt `attempt` back in the queue if it is still marked running: its worker could not do
    so itself (the database was down when it stopped). Spends nothing."""
    with transaction.atomic():
        if Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.RUNNING, attempts=attempt).update(
            status=BriefingStatus.QUEUED,
            stage="queued",
            progress=0,
            heartbeat_at=None,
            fingerprint="",
            error=message[:ERROR_MAX_LENGTH],
        ):
            _briefing_record(briefing_id, message[:100])
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
            status=BriefingStatus.QUEUED,
            stage="queued",
            progress=0,
            heartbeat_at=None,
            fingerprint="",
            workers_lost=F("workers_lost") + 1,
            error=f"Attempt {seen.attempts}: its worker process died ({how})."[:ERROR_MAX_LENGTH],
        ):
            _briefing_record(briefing_id, f"attempt {seen.attempts}: worker process died")
            return True
    return False


# --- sweeping -----------------------------------------------------------------------------------

SWEEP_BATCH = 100


def briefing_sweep() -> SweepResult:
    """Rescue running briefings whose worker stopped beating; publish queued ones the broker lost."""
    now = timezone.now()
    failed = rescued = 0
    to_publish: list[int] = []
    stale = Briefing.objects.filter(
        Q(heartbeat_at__lt=_stale_before(now)) | Q(heartbeat_at__isnull=True), status=BriefingStatus.RUNNING
    ).only("pk", "attempts", "max_attempts", "failures", "workers_lost", "heartbeat_at", "worker", "error")
    for seen in stale[:SWEEP_BATCH]:
        fenced = Briefing.objects.filter(
            pk=seen.pk, status=BriefingStatus.RUNNING, attempts=seen.attempts, heartbeat_at=seen.heartbeat_at
        )
        seen.workers_lost += 1
        seen.error = f"Attempt {seen.attempts}: its worker stopped responding."
        with transaction.atomic():
            if _exhausted(seen):
                failed += _briefing_give_up(fenced, seen, now)
            elif fenced.update(
                status=BriefingStatus.QUEUED,
                stage="queued",
                progress=0,
                heartbeat_at=None,
                fingerprint="",
                workers_lost=seen.workers_lost,
                error=seen.error,
            ):
                _briefing_record(seen.pk, f"rescued from {seen.worker}")
                rescued += 1
                to_publish.append(seen.pk)

    republish_before = now - timedelta(seconds=settings.BRIEFING_REPUBLISH_SECONDS)
    unpublished = Briefing.objects.filter(
        Q(published_at__lt=republish_before)
        | Q(published_at__isnull=True, requested_at__lt=republish_before),
        status=BriefingStatus.QUEUED,
    ).exclude(pk__in=to_publish)
    candidates = list(unpublished.order_by("requested_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    if candidates:
        # Published but no longer in the broker (Redis restarted empty, a message acknowledged by a
        # worker that then could not put the row back): publish again. One still waiting is left be.
        held = briefing_ids_in_broker()
        to_publish += [pk for pk in candidates if held is None or pk not in held]

    published = 0
    for briefing_id in to_publish:
        if not briefing_publish(briefing_id=briefing_id):
            break  # the broker is down: the next sweep tries again
        published += 1
    result = SweepResult(
        failed=failed, rescued=rescued, published=published, unpublished=len(to_publish) - published
    )
    if result != SweepResult():
        logger.info("Briefing sweep: %s", result)
    return result


def briefing_rescue_own(*, nodename: str, before: datetime) -> int:
    """At a worker's start: briefings still marked running under its node name from before it started
    lost that worker's previous life (killed, restarted): back to the queue at once, without waiting
    for their heartbeat to go stale. Returns how many."""
    rescued = 0
    dead = Briefing.objects.filter(
        status=BriefingStatus.RUNNING, worker__startswith=f"{nodename} pid ", heartbeat_at__lt=before
    ).only("pk", "attempts", "heartbeat_at", "worker")
    for seen in dead[:SWEEP_BATCH]:
        fenced = Briefing.objects.filter(
            pk=seen.pk, status=BriefingStatus.RUNNING, attempts=seen.attempts, heartbeat_at=seen.heartbeat_at
        )
        with transaction.atomic():
            if fenced.update(
                status=BriefingStatus.QUEUED,
                stage="queued",
                progress=0,
                heartbeat_at=None,
                fingerprint="",
                workers_lost=F("workers_lost") + 1,
                error=f"Attempt {seen.attempts}: its worker was restarted.",
            ):
                _briefing_record(seen.pk, f"rescued from {seen.worker} at its restart")
                rescued += 1
                briefing_publish(briefing_id=seen.pk)
    if rescued:
        logger.info("Briefings taken back from %s's previous run: %s", nodename, rescued)
    return rescued


def briefing_sweeper(*, interval: float, stop: threading.Event) -> None:
    """The sweep, every `interval` seconds, in a thread of beat's own process: it never waits in a
    queue behind briefings (a worker busy rendering would take a sweep task only between two)."""
    while not stop.wait(interval):
        try:
            briefing_sweep()
        except Exception as exc:  # noqa: BLE001 - the database is down: the next round tries again
            logger.warning("Briefing sweep failed: %s", infrastructure_cause(exc) or type(exc).__name__)
            _database_reset()


def briefing_ids_in_broker() -> set[int] | None:
    """The briefing ids of the build tasks Redis holds (waiting, or delivered and not acknowledged);
    None when that cannot be read (no Redis broker, or it is down)."""
    from oversight.celery import app

    if app.conf.task_always_eager or not str(app.conf.broker_url).startswith(("redis://", "rediss://")):
        return None
    ids: set[int] = set()
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            client = channel.client
            raw = list(client.lrange(settings.BRIEFING_QUEUE, 0, -1))
            for value in client.hvals(channel.unacked_key):
                raw.append(value)
    except Exception as exc:  # noqa: BLE001 - the broker is down: nothing can be published anyway
        logger.warning("Briefing sweep could not read the worker queue: %s", type(exc).__name__)
        return None
    for item in raw:
        try:
            message = json.loads(item)
            if isinstance(message, list):  # unacked entries are [message, exchange, routing_key]
                message = message[0]
            if message.get("headers", {}).get("task") != "agencies.briefing_build":
                continue
            args = json.loads(base64.b64decode(message["body"]))[0]
            ids.add(int(args[0]))
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return ids


def briefing_files_sweep() -> int:
    """Remove files under briefings/ that no briefing records and no running attempt will record (a
    worker died between writing and recording, or storage came back after a failed write). Returns how
    many were removed."""
    storage = Briefing._meta.get_field("file").storage
    removed = 0
    try:
        folders, _files = storage.listdir("briefings")
    except FileNotFoundError:
        return 0
    for folder in folders:
        if not folder.isdigit():
            continue
        _sub, names = storage.listdir(f"briefings/{folder}")
        if not names:
            continue
        row = Briefing.objects.filter(pk=int(folder)).only("pk", "file", "status", "attempts").first()
        for filename in names:
            name = f"briefings/{folder}/{filename}"
            if row is not None and row.file.name == name:
                continue
            match = FILE_NAME.match(filename)
            if (
                row is not None
                and row.status in (BriefingStatus.RUNNING, BriefingStatus.QUEUED)
                and (match is None or int(match["attempt"]) >= row.attempts)
            ):
                continue  # its attempt may still record it
            storage.delete(name)
            removed += 1
    if removed:
        logger.info("Briefing files sweep: removed %s files no briefing records", removed)
    return removed


# --- reading and deleting -----------------------------------------------------------------------


def briefing_visible_to(*, user) -> QuerySet:
    """Briefings a user may see: internal ones only with the confidential permission."""
    briefings = Briefing.objects.select_related("requested_by")
    if not user.has_perm(CONFIDENTIAL_PERMISSION):
        briefings = briefings.filter(audience=BriefingAudience.PUBLIC)
    return briefings


def briefing_downloadable(*, user, briefing_id: int) -> Briefing | None:
    """The briefing if this user may download it and it has a file; None otherwise (a 404)."""
    if not user.is_active or not user.has_perm("agencies.view_briefing"):
        return None
    briefing = (
        briefing_visible_to(user=user)
        .filter(pk=briefing_id, status=BriefingStatus.SUCCEEDED)
        .exclude(file="")
        .first()
    )
    return briefing


def briefing_delete(*, briefing: Briefing) -> None:
    """Delete a briefing and its file. A worker still building it finds no row and drops its PDF."""
    name = briefing.file.name
    storage = briefing.file.storage
    briefing.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
