"""Claims that answer claims: the rule every write of Claim.answers obeys, and what an answer says.

A denial or a dispute points at the claim it answers. The answers form chains (a rebuttal of a
denial answers the denial), never a cycle and never a claim answering itself. The check is pure:
it takes the links as a mapping, so that the service (primary keys, read from the database) and
the dossier importer (ids, read from the file and the database) apply the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

from agencies.models import ClaimStatus

# An answer that was itself refuted or retracted no longer contests the claim it answers.
SPENT_STATUSES = frozenset({ClaimStatus.REFUTED, ClaimStatus.RETRACTED})


class AnswerCycle(ValueError):
    """Raised by check_answers; the message names the claims in the cycle."""


def check_answers(
    *,
    claim: Hashable,
    answers: Hashable | None,
    answered: Callable[[Hashable], Hashable | None] | Mapping,
    label: Callable[[Hashable], str] = str,
) -> None:
    """Refuse `claim` answering `answers` if that is the claim itself or closes a cycle.

    `answered(x)` (or `answered[x]`, a mapping) gives the claim x answers now, None if none;
    `claim`'s own current link is ignored, since it is being replaced.
    """
    if answers is None:
        return
    if answers == claim:
        raise AnswerCycle(f"{label(claim)} cannot answer itself.")
    step = answered.get if isinstance(answered, Mapping) else answered
    chain, current = [claim, answers], step(answers)
    while current is not None:
        if current == claim:
            path = " → ".join(label(x) for x in [*chain, claim])
            raise AnswerCycle(
                f"{label(claim)} cannot answer {label(answers)}: {label(answers)} already answers it "
                f"({path}), so this would make a cycle."
            )
        if current in chain:  # a cycle stored before this rule existed: stop walking it
            return
        chain.append(current)
        current = step(current)


def contests(status: str) -> bool:
    """Whether an answer with this status contests the claim it answers."""
    return status not in SPENT_STATUSES
