"""The record's rules, written once: pure checks shared by the services and the dossier importer.

Each check takes plain values (keys, labels, statuses) rather than rows, so that the services
(one row at a time, from the admin and the intake) and the importer (a whole dossier, before
anything is written) ask the same question. A check returns the problem as a sentence meant for
the person who typed the input, or None when there is none; the caller says where it happened
(a form field, `claims[3].agencies`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from agencies.core import permissions

K = TypeVar("K", bound=Hashable)

# simple_history's change reason column is a CharField(max_length=100).
REASON_MAX_LENGTH = 100


def check_reason(reason: str | None, *, required: bool = False, change: str = "") -> str | None:
    """A reason for a change is kept in the history: short, and given where the change needs one
    (`change` names it: "the status changes")."""
    reason = (reason or "").strip()
    if required and not reason:
        return f"Say why{' ' + change if change else ''}: the reason is kept in the history."
    if len(reason) > REASON_MAX_LENGTH:
        return f"Keep the reason to {REASON_MAX_LENGTH} characters (it has {len(reason)})."
    return None


def repeated(labels: Sequence[str]) -> list[str]:
    """The labels listed more than once, each named once, in the order they first repeat."""
    seen: set[str] = set()
    again: list[str] = []
    for label in labels:
        if label in seen and label not in again:
            again.append(label)
        seen.add(label)
    return again


def _repeats_problem(labels: Sequence[str]) -> str | None:
    again = repeated(labels)
    return f"Listed more than once: {', '.join(again)}." if again else None


def claim_agencies_problem(agencies: Sequence[str]) -> str | None:
    """A claim is about at least one agency, each named once."""
    if not agencies:
        return "A claim is about at least one agency."
    return _repeats_problem(agencies)


def resting_claims_problem(claims: Sequence[str], *, what: str = "A role") -> str | None:
    """A reported role or a data access rests on at least one claim: never free text alone."""
    if not claims:
        return f"{what} rests on at least one claim."
    return _repeats_problem(claims)


def citations_problem(document: str, cited: Sequence[str]) -> str | None:
    """A document cites each document once, and never itself."""
    if document in cited:
        return f"{document} cannot cite itself."
    return _repeats_problem(cited)


def via_problem(document: str | None, via: Sequence[str]) -> str | None:
    """The documents a claim passed through are distinct and never the document it appears in."""
    if document is not None and document in via:
        return f"{document} is the document the claim appears in: it cannot also be a via."
    return _repeats_problem(via)


def parent_cycle(parents: Mapping[K, K | None], agency: K, parent: K | None) -> list[K] | None:
    """The cycle that giving `agency` this `parent` would close, from the agency back to itself.

    `parents` maps each agency to its current parent (None at a root); the agency's own entry is
    ignored. None when the hierarchy stays a forest.
    """
    if parent is None:
        return None
    chain = [agency, parent]
    current = parent
    while current != agency:
        above = parents.get(current)
        if above is None or above in chain[1:]:
            return None
        chain.append(above)
        current = above
    return chain


def status_change_problem(actor, status: str, *, current: str | None = None) -> str | None:
    """Only editors give a claim a verdict (confirmed, refuted, retracted) or take one back.

    `actor` None is a system action (a command run without a user), which may.
    """
    if actor is None or permissions.can_set_status(actor, status, current=current):
        return None
    verdicts = ", ".join(sorted(permissions.VERDICT_STATUSES))
    if not permissions.can_edit_record(actor):
        return "Your role does not allow you to change claims."
    return f"Only editors may set a claim's status to {verdicts}, or change it from one."


def period_problem(start_first_day, end_last_day) -> str | None:
    """A figure's period ends on or after it starts (compared as the widest reading of each)."""
    if start_first_day is not None and end_last_day is not None and end_last_day < start_first_day:
        return "The period ends before it starts."
    return None
