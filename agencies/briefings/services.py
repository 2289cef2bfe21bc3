"""Asking for briefings and deleting them: the writes a person makes, each atomic and recorded.

A request answers in constant time, whatever the record's size: the scope is checked (and its claims
counted only up to the limit), then a succeeded briefing of the same scope, audience and page size
at the same version of the record (agencies.briefings.selectors.briefing_version: one query) is
returned as it is; otherwise a row is queued and published after commit. Reading the data is the
worker's job.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from agencies.briefings.errors import BriefingRenderError
from agencies.briefings.queue import briefing_publish
from agencies.briefings.render import page_size_or_default
from agencies.briefings.scope import ResolvedScope, resolve_scope, scope_claims
from agencies.briefings.selectors import briefing_in_flight, briefing_reusable, briefing_version
from agencies.briefings.worker import briefing_build, briefing_worker_name
from agencies.core import permissions
from agencies.models import Briefing, BriefingAudience, BriefingStatus

# What the user is told when a briefing could not be handed to the workers yet.
QUEUE_UNREACHABLE = "queued, the worker queue is unreachable; it will start when it is back."


def briefing_scope_key(scope: dict) -> str:
    return hashlib.sha256(json.dumps(scope, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def briefing_request(
    *, actor, scope: dict, audience: str, page_size: str | None = None
) -> tuple[Briefing, bool]:
    """Ask for a briefing. Returns it and whether it reached the worker queue.

    A succeeded briefing of the same scope, audience and page size read at the record's current
    version is returned as it is. Otherwise a new row is queued and published after commit; when the
    broker is unreachable the row stays queued (the sweep publishes it later) and `published` is
    False so that the caller can say so. Called inside an outer transaction, publishing waits for its
    commit and `published` is True: the sweep covers a publish that fails then.
    """
    scope, page_size = _briefing_checked(actor=actor, scope=scope, audience=audience, page_size=page_size)
    _briefing_check_queue(actor=actor)
    key = briefing_scope_key(scope)
    version = briefing_version()
    wanted = {"scope_key": key, "audience": audience, "page_size": page_size}
    reusable = briefing_reusable(**wanted, version=version)
    if reusable is not None:
        return reusable, True

    outcome: dict[str, bool] = {}
    with transaction.atomic():
        # Requests for the same scope and audience wait for each other here, so that the second one
        # sees the first one's row and joins it instead of building the same PDF twice.
        _briefing_lock_scope(scope_key=key, audience=audience)
        joined = briefing_in_flight(**wanted, version=version)
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
    scope, page_size = _briefing_checked(actor=actor, scope=scope, audience=audience, page_size=page_size)
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


def briefing_delete(*, briefing: Briefing) -> None:
    """Delete a briefing and its file. A worker still building it finds no row and drops its PDF."""
    name = briefing.file.name
    storage = briefing.file.storage
    briefing.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _briefing_checked(*, actor, scope: dict, audience: str, page_size: str | None) -> tuple[dict, str]:
    """Who may ask, the scope in its normal form, its size and the page size: ValidationError or
    PermissionDenied when one of them is wrong."""
    _briefing_check_audience(actor=actor, audience=audience)
    resolved = resolve_scope(scope)
    _briefing_check_size(resolved)
    try:
        return resolved.normalised, page_size_or_default(page_size)
    except BriefingRenderError as exc:  # the caller's input
        raise ValidationError(str(exc)) from exc


def _briefing_check_size(resolved: ResolvedScope) -> None:
    """A briefing covers at most BRIEFING_MAX_CLAIMS claims: past that it is a book, built for minutes
    and held whole in a worker's memory. Counted only up to the limit, so a selection of every claim
    costs what one of the limit costs."""
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
