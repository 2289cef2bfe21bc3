"""Reading briefings: who may see and download which, and which one a request may reuse or join."""

import hashlib

from django.db.models import Q, QuerySet

from agencies.briefings.render import template_version
from agencies.core import permissions
from agencies.core.versions import record_version
from agencies.models import Briefing, BriefingAudience, BriefingStatus

CONFIDENTIAL_PERMISSION = permissions.VIEW_CONFIDENTIAL
# What a briefing reads: a write to any of these tables is a new version of what it would print.
BRIEFING_READS = (*permissions.RECORD_MODELS, "sourceconfidentialnote")


def briefing_version() -> str:
    """The version a briefing read now would be built from: the record's (one query, whatever its
    size) and the layout's. A briefing labelled with it when its worker began to read prints that
    state or a later one, never an earlier one: reusing it is never stale."""
    token = f"{template_version()}|{record_version(BRIEFING_READS)}"
    return hashlib.sha256(token.encode()).hexdigest()


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
    return (
        briefing_visible_to(user=user)
        .filter(pk=briefing_id, status=BriefingStatus.SUCCEEDED)
        .exclude(file="")
        .first()
    )


def briefing_reusable(*, scope_key: str, audience: str, page_size: str, version: str) -> Briefing | None:
    """A succeeded briefing of this scope, audience and page size read at `version`, with its file."""
    briefing = (
        Briefing.objects.filter(
            scope_key=scope_key,
            audience=audience,
            page_size=page_size,
            record_version=version,
            status=BriefingStatus.SUCCEEDED,
        )
        .order_by("-finished_at")
        .first()
    )
    if briefing is None or not briefing.file.storage.exists(briefing.file.name):
        return None
    return briefing


def briefing_in_flight(*, scope_key: str, audience: str, page_size: str, version: str) -> Briefing | None:
    """A briefing of this scope, audience and page size that will print the record as it is now, if one
    is on its way: queued (it has not read the record yet) or running from `version`."""
    return (
        Briefing.objects.filter(scope_key=scope_key, audience=audience, page_size=page_size)
        .filter(Q(status=BriefingStatus.QUEUED) | Q(status=BriefingStatus.RUNNING, record_version=version))
        .order_by("requested_at", "pk")
        .first()
    )
