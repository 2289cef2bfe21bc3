"""Celery tasks: thin, ids only in their arguments; the work is in agencies.briefings.worker and .sweep."""

import logging
import math

from billiard.exceptions import WorkerLostError
from celery import Task, shared_task
from celery.worker.request import Request
from django.conf import settings
from django.db import close_old_connections, connection

from agencies.briefings.errors import InfrastructureFault, infrastructure_cause
from agencies.briefings.sweep import briefing_files_sweep, briefing_sweep
from agencies.briefings.worker import (
    DATABASE_FAULTS,
    briefing_build,
    briefing_give_back,
    briefing_wait_seconds,
    briefing_worker_lost,
    briefing_worker_name,
)
from agencies.models import Briefing

logger = logging.getLogger(__name__)

# Watching a briefing another worker holds: enough checks to outlast that worker's time limit.
WATCH_RETRIES = math.ceil(settings.CELERY_TASK_TIME_LIMIT / settings.BRIEFING_STALE_SECONDS) + 2
# Waiting for the database, the broker or the storage to come back: a pause that grows to this.
INFRASTRUCTURE_PAUSE_MAX = 30


class BriefingRequest(Request):
    """The build task as the parent worker process sees it: told at once when its pool child dies."""

    def on_failure(self, exc_info, send_failed_event=True, return_ok=False):
        exc = getattr(exc_info, "exception", None)
        exc = getattr(exc, "exc", exc)  # billiard wraps what the pool reports in ExceptionWithTraceback
        if isinstance(exc, WorkerLostError) and self.args:
            # The child that held the briefing is dead: give it back now, so that the copy of this
            # task Celery puts back in the queue finds it claimable instead of waiting for staleness.
            for _try in range(2):
                # This process's connection may have sat idle since the database restarted: check it
                # (CONN_HEALTH_CHECKS), and on a broken one try once more on a new connection.
                close_old_connections()
                try:
                    briefing_worker_lost(
                        briefing_id=int(self.args[0]),
                        worker=briefing_worker_name(self.hostname, pid=self.worker_pid),
                        how=str(exc)[:120],
                    )
                    break
                except DATABASE_FAULTS:
                    connection.close()
                except Exception:
                    logger.exception("Briefing %s: could not record its lost worker", self.args[0])
                    break
        return super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


class BriefingTask(Task):
    Request = BriefingRequest


@shared_task(
    bind=True,
    base=BriefingTask,
    name="agencies.briefing_build",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=WATCH_RETRIES,
)
def briefing_build_task(self, briefing_id: int, give_back_attempt: int | None = None) -> None:
    worker = briefing_worker_name(self.request.hostname)
    try:
        if give_back_attempt is not None:
            # An earlier run stopped on the database and could not put its attempt back: do it now.
            briefing_give_back(
                briefing_id=briefing_id,
                attempt=give_back_attempt,
                message=f"Attempt {give_back_attempt}: the database was unreachable; it will be tried "
                "again (no attempt spent).",
            )
        briefing = briefing_build(
            briefing_id=briefing_id,
            worker=worker,
            # Built in-process (no broker), nothing would retry it: a fault fails it instead.
            retry_on_error=not self.request.is_eager,
        )
    except Briefing.DoesNotExist:
        logger.info("Briefing %s was deleted before it was built", briefing_id)
        return
    except Exception as exc:
        cause = exc.cause if isinstance(exc, InfrastructureFault) else infrastructure_cause(exc)
        if cause is None or self.request.is_eager:
            raise
        # The services failed, not the briefing: come back when they may be back, spending nothing.
        pause = min(INFRASTRUCTURE_PAUSE_MAX, 2 ** min(self.request.retries, 5))
        logger.warning("Briefing %s: %s; trying again in %s s", briefing_id, cause, pause)
        raise self.retry(
            args=[briefing_id],
            kwargs={"give_back_attempt": getattr(exc, "attempt", None)},
            countdown=pause,
            max_retries=None,
            exc=exc,
        ) from exc
    # Redelivered after a worker died, it may find the briefing still marked running: look again
    # once that worker's heartbeat is stale, so recovery needs no sweep.
    wait = briefing_wait_seconds(briefing=briefing)
    if wait is not None and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=wait)


@shared_task(name="agencies.briefing_sweep", ignore_result=True)
def briefing_sweep_task() -> None:
    briefing_sweep()


@shared_task(name="agencies.briefing_files_sweep", ignore_result=True)
def briefing_files_sweep_task() -> int:
    return briefing_files_sweep()
