"""The Celery app: workers build briefings; beat runs the periodic sweeps.

Configuration is Django's settings under the CELERY_ prefix (oversight/settings.py). Without
CELERY_BROKER_URL tasks run in-process, so a worker or beat started without it has nothing to do
and refuses to start instead of idling against some default broker.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, celeryd_init, import_modules, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")

app = Celery("oversight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["agencies.briefings", "agencies.admin"])


def _require_broker(**_kwargs) -> None:
    if not app.conf.broker_url or app.conf.task_always_eager:
        # SystemExit passes through Celery's signal dispatch, which logs and swallows Exceptions.
        raise SystemExit(
            "CELERY_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0, in the environment or .env): "
            "without it briefings are built in-process and a worker has nothing to do."
        )


celeryd_init.connect(_require_broker, weak=False)
beat_init.connect(_require_broker, weak=False)


def _schedule_folder(**_kwargs) -> None:
    # Beat keeps its schedule under var/, which settings only read: made before beat opens it.
    Path(app.conf.beat_schedule_filename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


import_modules.connect(_schedule_folder, weak=False)


def _start_sweeper(**_kwargs) -> None:
    # The briefing sweep runs in beat's process (there is exactly one beat), on its own thread.
    import threading

    from django.conf import settings

    from agencies.briefings.sweep import briefing_sweeper

    threading.Thread(
        target=briefing_sweeper,
        kwargs={"interval": settings.BRIEFING_SWEEP_SECONDS, "stop": threading.Event()},
        name="briefing-sweeper",
        daemon=True,
    ).start()


def _note_start(**_kwargs) -> None:
    from django.utils import timezone

    _started.append(timezone.now())


def _rescue_own(sender=None, **_kwargs) -> None:
    # A worker restarted under the same node name takes back what its previous run left running.
    from agencies.briefings.sweep import briefing_rescue_own

    try:
        briefing_rescue_own(nodename=sender.hostname, before=_started[0])
    except Exception:  # noqa: BLE001 - the sweep covers them once stale
        import logging

        logging.getLogger(__name__).exception("Could not take back briefings at the worker's start")


_started: list = []
beat_init.connect(_start_sweeper, weak=False)
celeryd_init.connect(_note_start, weak=False)
worker_ready.connect(_rescue_own, weak=False)
