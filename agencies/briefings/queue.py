"""Handing a briefing to the worker queue: the one place outside tasks.py that knows the build task.

The task is imported when a briefing is published, not when this module is: tasks.py delegates to
the worker modules, which publish (a rescue, the sweep), so a module-level import would be a cycle.
A registry filled by tasks.py at import would not be one, but a web process has no other reason to
import tasks.py, and a publish made before it was would find nothing registered.
"""

import logging

from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from agencies.models import Briefing, BriefingStatus

logger = logging.getLogger(__name__)


def briefing_publish(*, briefing_id: int) -> bool:
    """Hand a briefing to the worker queue; False when the broker cannot be reached."""
    from agencies.briefings.tasks import briefing_build_task

    try:
        briefing_build_task.apply_async(args=[briefing_id])
    except BrokerUnreachable as exc:
        logger.warning("Briefing %s stays queued: the worker queue is unreachable (%s)", briefing_id, exc)
        return False
    Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.QUEUED).update(published_at=timezone.now())
    return True
