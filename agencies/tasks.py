"""Celery tasks: thin, ids only in their arguments; the work is in agencies.briefings.jobs."""

import logging
import math

from celery import shared_task
from django.conf import settings

from agencies.briefings.jobs import (
    briefing_build,
    briefing_sweep,
    briefing_wait_seconds,
    briefing_worker_name,
)
from agencies.models import Briefing

logger = logging.getLogger(__name__)

# Watching a briefing another worker holds: enough checks to outlast that worker's time limit.
WATCH_RETRIES = math.ceil(settings.CELERY_TASK_TIME_LIMIT / settings.BRIEFING_STALE_SECONDS) + 2


@shared_task(
    bind=True,
    name="agencies.briefing_build",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=WATCH_RETRIES,
)
def briefing_build_task(self, briefing_id: int) -> None:
    try:
        briefing = briefing_build(
            briefing_id=briefing_id,
            worker=briefing_worker_name(self.request.hostname),
            # Built in-process (no broker), nothing would retry it: a fault fails it instead.
            retry_on_error=not self.request.is_eager,
        )
    except Briefing.DoesNotExist:
        logger.info("Briefing %s was deleted before it was built", briefing_id)
        return
    # Redelivered after a worker died, it may find the briefing still marked running: look again
    # once that worker's heartbeat is stale, so recovery needs no sweep.
    wait = briefing_wait_seconds(briefing=briefing)
    if wait is not None and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=wait)


@shared_task(name="agencies.briefing_sweep", ignore_result=True)
def briefing_sweep_task() -> None:
    briefing_sweep()
