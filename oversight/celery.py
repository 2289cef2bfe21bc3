"""The Celery app: workers build briefings; beat runs the periodic sweep.

Configuration is Django's settings under the CELERY_ prefix (oversight/settings.py). Without
CELERY_BROKER_URL tasks run in-process, so a worker or beat started without it has nothing to do
and refuses to start instead of idling against some default broker.
"""

import os

from celery import Celery
from celery.signals import beat_init, celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")

app = Celery("oversight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _require_broker(**_kwargs) -> None:
    if not app.conf.broker_url or app.conf.task_always_eager:
        # SystemExit passes through Celery's signal dispatch, which logs and swallows Exceptions.
        raise SystemExit(
            "CELERY_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0, in the environment or .env): "
            "without it briefings are built in-process and a worker has nothing to do."
        )


celeryd_init.connect(_require_broker, weak=False)
beat_init.connect(_require_broker, weak=False)
