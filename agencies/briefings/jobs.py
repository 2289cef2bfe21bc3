"""Briefing jobs: request one, build it (in a worker or in-process), sweep what was lost.

The Briefing row is the job and the outbox. It is created `queued` in the request's transaction and
published to Celery after commit; if the broker is down it stays queued and the sweep publishes it
later. Every change of status is a conditional UPDATE fenced by the attempt number, so two workers
never both build a briefing and a worker that lost its claim can never overwrite the one that won.
"""

import hashlib
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerUnreachable

from agencies import permissions
from agencies.briefings.errors import BriefingRenderError
from agencies.briefings.render import briefing_fingerprint, page_size_or_default, scope_validate
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
    scope = scope_validate(scope)
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
    scope = scope_validate(scope)
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


def briefing_publish(*, briefing_id: int) -> bool:
    """Hand a briefing to the worker queue; False when the broker cannot be reached."""
    from agencies.tasks import briefing_build_task  # the tasks module imports this one

    try:
        briefing_build_task.apply_async(args=[briefing_id])
    except BrokerUnreachable as exc:
        logger.warning("Briefing %s stays queued: the worker queue is unreachable (%s)", briefing_id, exc)
        return False
    Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.QUEUED).update(published_at=timezone.now())
    return True


# --- building -----------------------------------------------------------------------------------


def briefing_worker_name(hostname: str | None = None) -> str:
    return f"{hostname or socket.gethostname()} pid {os.getpid()}"


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


def _exhausted_message(briefing: Briefing) -> str:
    message = (
        f"Stopped after {briefing.attempts} attempts: each ended without finishing "
        "(the worker process died or ran out of time)."
    )
    return f"{message} {briefing.error}" if briefing.error else message


def _briefing_claim(*, briefing_id: int, worker: str) -> Briefing | None:
    now = timezone.now()
    claimable = _claimable(now)
    seen = Briefing.objects.filter(claimable, pk=briefing_id).first()
    if seen is None:
        return None
    # Fenced by the attempt seen: of two workers racing for it, one UPDATE matches and one does not.
    fenced = Briefing.objects.filter(claimable, pk=briefing_id, attempts=seen.attempts)
    with transaction.atomic():
        if seen.attempts >= seen.max_attempts:
            # A job that keeps killing its worker ends here instead of looping.
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
        ):
            return None
        return _briefing_record(briefing_id, f"attempt {seen.attempts + 1} started by {worker}")


def _briefing_give_up(fenced: QuerySet, seen: Briefing, now: datetime) -> bool:
    """Fail a briefing whose attempts are used up, if `fenced` still matches it; say so in history."""
    if not fenced.update(
        status=BriefingStatus.FAILED,
        stage="failed",
        finished_at=now,
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


class _Heartbeat(threading.Thread):
    """Beats while the render runs, including inside one long WeasyPrint call that reports nothing."""

    def __init__(self, briefing: Briefing):
        super().__init__(name=f"briefing-{briefing.pk}-heartbeat", daemon=True)
        self.briefing = briefing
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.BRIEFING_HEARTBEAT_SECONDS):
                try:
                    if not _this_attempt(self.briefing).update(heartbeat_at=timezone.now()):
                        self.lost.set()
                        return
                except DatabaseError as exc:  # a passing outage: the next beat tries again
                    logger.warning("Briefing %s heartbeat failed: %s", self.briefing.pk, exc)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


class _Progress:
    """The render's progress callback: writes stage and percent, at most about once a second."""

    def __init__(self, briefing: Briefing, heartbeat: _Heartbeat | None):
        self.briefing = briefing
        self.heartbeat = heartbeat
        self.stage = ""
        self.written_at = 0.0

    def __call__(self, stage: str, percent: int) -> None:
        if self.heartbeat is not None and self.heartbeat.lost.is_set():
            raise BriefingClaimLost
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < 1.0:
            return
        self.stage, self.written_at = stage, now
        percent = max(0, min(99, int(percent)))
        if not _this_attempt(self.briefing).update(
            stage=stage[:100], progress=percent, heartbeat_at=timezone.now()
        ):
            raise BriefingClaimLost


def _briefing_run(*, briefing: Briefing, retry_on_error: bool) -> Briefing:
    # A second connection cannot see a row of the caller's uncommitted transaction: beat from the
    # progress callback alone then.
    heartbeat = None if transaction.get_connection().in_atomic_block else _Heartbeat(briefing)
    if heartbeat is not None:
        heartbeat.start()
    try:
        renderer = import_string(settings.BRIEFING_RENDERER)
        rendered = renderer(
            scope=briefing.scope,
            audience=briefing.audience,
            progress=_Progress(briefing, heartbeat),
            page_size=briefing.page_size,
        )
        return _briefing_store(briefing=briefing, rendered=rendered)
    except BriefingRenderError as exc:
        return _briefing_fail(briefing=briefing, message=str(exc))
    except SoftTimeLimitExceeded:
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        return _briefing_fail(
            briefing=briefing, message=f"Took longer than {limit} seconds: narrow the scope."
        )
    except BriefingClaimLost:
        return Briefing.objects.get(pk=briefing.pk)
    except Exception as exc:
        # Not the render's verdict on the scope but a fault (a bug, the database, the storage). A
        # worker gives the briefing back for another attempt, within max_attempts; a build in this
        # process has no one to retry it and fails. Only the error's class is stored: its text
        # could quote the record.
        if retry_on_error:
            _briefing_release(briefing=briefing)
            raise
        logger.exception("Briefing %s failed", briefing.pk)
        return _briefing_fail(
            briefing=briefing,
            message=f"Stopped on an unexpected error ({type(exc).__name__}); the log has details.",
        )
    finally:
        if heartbeat is not None:
            heartbeat.stop()


def _briefing_store(*, briefing: Briefing, rendered) -> Briefing:
    _this_attempt(briefing).update(stage="storing", progress=99, heartbeat_at=timezone.now())
    pdf = rendered.pdf
    sha256 = hashlib.sha256(pdf).hexdigest()
    field = briefing.file.field
    storage = briefing.file.storage
    name = field.generate_filename(briefing, f"briefing-{briefing.pk}-{briefing.audience}-{sha256[:12]}.pdf")
    name = storage.save(name, ContentFile(pdf))
    now = timezone.now()
    with transaction.atomic():
        stored = _this_attempt(briefing).update(
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
    # Another attempt owns the briefing now: this file is nobody's.
    storage.delete(name)
    return Briefing.objects.get(pk=briefing.pk)


def _briefing_fail(*, briefing: Briefing, message: str) -> Briefing:
    with transaction.atomic():
        if _this_attempt(briefing).update(
            status=BriefingStatus.FAILED,
            stage="failed",
            finished_at=timezone.now(),
            error=message[:ERROR_MAX_LENGTH],
        ):
            return _briefing_record(briefing.pk, "failed")
    return Briefing.objects.get(pk=briefing.pk)


def _briefing_release(*, briefing: Briefing) -> None:
    try:
        with transaction.atomic():
            if _this_attempt(briefing).update(
                status=BriefingStatus.QUEUED,
                stage="queued",
                progress=0,
                heartbeat_at=None,
                error=f"Attempt {briefing.attempts} stopped on an error; it will be tried again.",
            ):
                _briefing_record(briefing.pk, f"attempt {briefing.attempts} stopped on an error")
    except DatabaseError:
        # The database is what failed: the row stays running and the sweep rescues it once stale.
        logger.warning("Briefing %s could not be put back in the queue", briefing.pk)


# --- sweeping -----------------------------------------------------------------------------------

SWEEP_BATCH = 100


def briefing_sweep() -> SweepResult:
    """Rescue running briefings whose worker stopped beating; publish queued ones nobody picked up."""
    now = timezone.now()
    failed = rescued = 0
    to_publish: list[int] = []
    stale = Briefing.objects.filter(
        Q(heartbeat_at__lt=_stale_before(now)) | Q(heartbeat_at__isnull=True), status=BriefingStatus.RUNNING
    ).only("pk", "attempts", "max_attempts", "heartbeat_at", "worker", "error")
    for seen in stale[:SWEEP_BATCH]:
        fenced = Briefing.objects.filter(
            pk=seen.pk, status=BriefingStatus.RUNNING, attempts=seen.attempts, heartbeat_at=seen.heartbeat_at
        )
        with transaction.atomic():
            if seen.attempts >= seen.max_attempts:
                failed += _briefing_give_up(fenced, seen, now)
            elif fenced.update(
                status=BriefingStatus.QUEUED,
                stage="queued",
                progress=0,
                heartbeat_at=None,
                error=f"Attempt {seen.attempts} stopped: its worker stopped responding.",
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
    to_publish += list(unpublished.order_by("requested_at").values_list("pk", flat=True)[:SWEEP_BATCH])

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
