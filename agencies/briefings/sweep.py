"""Keeping briefings moving when workers die or the broker forgets: the sweep, a restarted worker's
rescue of its own, and the removal of files no briefing records."""

import base64
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.briefings.errors import infrastructure_cause
from agencies.briefings.queue import briefing_publish
from agencies.briefings.worker import (
    BACK_IN_QUEUE,
    FILE_NAME,
    briefing_give_up,
    database_reset,
    exhausted,
    record_transition,
    stale_before,
)
from agencies.models import Briefing, BriefingStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    failed: int = 0
    rescued: int = 0
    published: int = 0
    unpublished: int = 0


SWEEP_BATCH = 100


def briefing_sweep() -> SweepResult:
    """Rescue running briefings whose worker stopped beating; publish queued ones the broker lost."""
    now = timezone.now()
    failed = rescued = 0
    to_publish: list[int] = []
    stale = Briefing.objects.filter(
        Q(heartbeat_at__lt=stale_before(now)) | Q(heartbeat_at__isnull=True), status=BriefingStatus.RUNNING
    ).only("pk", "attempts", "max_attempts", "failures", "workers_lost", "heartbeat_at", "worker", "error")
    for seen in stale[:SWEEP_BATCH]:
        fenced = Briefing.objects.filter(
            pk=seen.pk, status=BriefingStatus.RUNNING, attempts=seen.attempts, heartbeat_at=seen.heartbeat_at
        )
        seen.workers_lost += 1
        seen.error = f"Attempt {seen.attempts}: its worker stopped responding."
        with transaction.atomic():
            if exhausted(seen):
                failed += briefing_give_up(fenced, seen, now)
            elif fenced.update(
                **BACK_IN_QUEUE,
                workers_lost=seen.workers_lost,
                error=seen.error,
            ):
                record_transition(seen.pk, f"rescued from {seen.worker}")
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
                **BACK_IN_QUEUE,
                workers_lost=F("workers_lost") + 1,
                error=f"Attempt {seen.attempts}: its worker was restarted.",
            ):
                record_transition(seen.pk, f"rescued from {seen.worker} at its restart")
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
            database_reset()


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
