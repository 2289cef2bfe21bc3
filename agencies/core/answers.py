"""Claims that answer claims: the rule every write of Claim.answers obeys, and what an answer says.

A denial or a dispute points at the claim it answers. The answers form chains (a rebuttal of a
denial answers the denial), never a cycle and never a claim answering itself. The check is pure:
it takes the links as a mapping, so that the service (primary keys, read from the database) and
the dossier importer (ids, read from the file and the database) apply the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from agencies.core import rules
from agencies.models import ClaimStatus

K = TypeVar("K", bound=Hashable)

# An answer that was itself refuted or retracted no longer contests the claim it answers.
SPENT_STATUSES = frozenset({ClaimStatus.REFUTED, ClaimStatus.RETRACTED})


class AnswerCycle(ValueError):
    """Raised by check_answers; the message names the claims in the cycle."""


def answers_cycle(answers: Mapping[K, K | None], claim: K, target: K | None) -> list[K] | None:
    """The cycle that making `claim` answer `target` would close, from the claim back to itself
    ([c, c] when a claim would answer itself); None when the answers stay chains. The same walk as
    an agency's parent: `answers` maps each claim to the one it answers now."""
    return rules.parent_cycle(answers, claim, target)


def check_answers(
    *,
    claim: Hashable,
    answers: Hashable | None,
    answered: Mapping,
    label: Callable[[Hashable], str] = str,
) -> None:
    """Raise AnswerCycle, naming the claims, if `claim` may not answer `answers` (see answers_cycle)."""
    cycle = answers_cycle(answered, claim, answers)
    if cycle is None:
        return
    if len(cycle) == 2:
        raise AnswerCycle(f"{label(claim)} cannot answer itself.")
    path = " → ".join(label(x) for x in cycle)
    raise AnswerCycle(
        f"{label(claim)} cannot answer {label(answers)}: {label(answers)} already answers it "
        f"({path}), so this would make a cycle."
    )


def contests(status: str) -> bool:
    """Whether an answer with this status contests the claim it answers."""
    return status not in SPENT_STATUSES
