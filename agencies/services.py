"""Every write to the record: keyword-only, typed, atomic, and kept in history with who made it and why.

`actor` is the user making the change (None for a system action, e.g. a command run without a user).
Bad input raises django's ValidationError with a message meant for the researcher who typed it; an
actor whose role does not allow the change gets PermissionDenied (agencies/permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from agencies import permissions
from agencies.dates import PartialDate
from agencies.models import (
    Agency,
    Attribution,
    AttributionHop,
    Citation,
    Claim,
    ClaimAgency,
    ClaimStatus,
    Document,
    Source,
    Stance,
)

Actor = AbstractBaseUser | None

# simple_history's change reason column is a CharField(max_length=100).
REASON_MAX_LENGTH = 100


def _record(instance: models.Model, *, actor: Actor, reason: str = "") -> None:
    """Tell simple_history who makes the next save or delete of `instance`, and why."""
    instance._history_user = actor
    instance._change_reason = reason or None


def _check_allowed(actor: Actor, perm: str, doing: str) -> None:
    """A user needs `perm` (e.g. agencies.change_claim) to do this; a system action (no actor) may."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(f"Your role does not allow you to {doing}.")


def claim_check_status(*, actor: Actor, status: str, current: str | None = None) -> None:
    """Only editors give a claim a verdict (confirmed, refuted, retracted) or take one back."""
    if actor is None or permissions.can_set_status(actor, status, current=current):
        return
    verdicts = ", ".join(sorted(permissions.VERDICT_STATUSES))
    raise PermissionDenied(f"Only editors may set a claim's status to {verdicts}, or change it from one.")


def _check_reason(reason: str, *, required: bool = False) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": "Say why: the reason is kept in the history."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason to {REASON_MAX_LENGTH} characters (it has {len(reason)})."}
        )
    return reason


def _check_saved(objects: Iterable[models.Model], *, field: str) -> None:
    if any(obj.pk is None for obj in objects):
        raise ValidationError({field: "Save every referenced row before linking it."})


def _check_no_repeats(objects: Sequence[models.Model], *, field: str, label: Callable[[models.Model], str]):
    seen, repeated = set(), []
    for obj in objects:
        if obj.pk in seen and label(obj) not in repeated:
            repeated.append(label(obj))
        seen.add(obj.pk)
    if repeated:
        raise ValidationError({field: f"Listed more than once: {', '.join(repeated)}."})


def _sync_ordered_links(
    *,
    actor: Actor,
    reason: str,
    links: Iterable[models.Model],
    target_attname: str,
    targets: Sequence[models.Model],
    build: Callable[[models.Model, int], models.Model],
) -> None:
    """Make the ordered link rows match `targets`, touching only the rows that change.

    Rows are saved and deleted one by one so that history keeps each with its actor.
    """
    current = {getattr(link, target_attname): link for link in links}
    wanted = [target.pk for target in targets]
    for target_id, link in current.items():
        if target_id not in wanted:
            _record(link, actor=actor, reason=reason)
            link.delete()
    for position, target in enumerate(targets):
        link = current.get(target.pk)
        if link is None:
            link = build(target, position)
        elif link.position == position:
            continue
        else:
            link.position = position
        _record(link, actor=actor, reason=reason)
        link.save()


# Agencies


def agency_check_parent(*, agency: Agency, parent: Agency | None) -> None:
    """Refuse a parent that would make the hierarchy a cycle, naming the agencies in it."""
    if parent is None or agency.pk is None:
        return  # a new agency has no children yet, so no parent can close a cycle
    if parent.pk == agency.pk:
        raise ValidationError({"parent": f"{agency.label} cannot be its own parent."})
    # One query for the whole hierarchy: walking up row by row would cost one query per level.
    rows = {pk: (parent_id, label) for pk, parent_id, label in _agency_parents()}
    chain = [parent.pk]  # from the proposed parent upwards
    current = rows.get(parent.pk, (None, ""))[0]
    while current is not None and current not in chain:
        chain.append(current)
        if current == agency.pk:
            path = " → ".join(rows[pk][1] for pk in chain)
            raise ValidationError(
                {
                    "parent": f"{parent.label} cannot be the parent of {agency.label}: "
                    f"it is already under it ({path}), so this would make a cycle."
                }
            )
        current = rows.get(current, (None, ""))[0]


def _agency_parents() -> list[tuple[int, int | None, str]]:
    return [
        (pk, parent_id, acronym or name)
        for pk, parent_id, acronym, name in Agency.objects.values_list("pk", "parent_id", "acronym", "name")
    ]


@transaction.atomic
def agency_set_parent(*, actor: Actor, agency: Agency, parent: Agency | None, reason: str = "") -> Agency:
    _check_allowed(actor, "agencies.change_agency", "change agencies")
    reason = _check_reason(reason)
    if parent is not None:
        _check_saved([parent], field="parent")
    agency_check_parent(agency=agency, parent=parent)
    if agency.parent_id == (parent.pk if parent else None):
        return agency
    agency.parent = parent
    _record(agency, actor=actor, reason=reason or "Parent changed")
    agency.save(update_fields=["parent", "updated_at"])
    return agency


# Claims


def _check_agencies(agencies: Sequence[Agency]) -> None:
    if not agencies:
        raise ValidationError({"agencies": "A claim is about at least one agency."})
    _check_saved(agencies, field="agencies")
    _check_no_repeats(agencies, field="agencies", label=lambda a: a.label)


@transaction.atomic
def claim_create(
    *,
    actor: Actor,
    slug: str,
    kind: str,
    text: str,
    agencies: Sequence[Agency],
    made: PartialDate | str | None = None,
    status: str = ClaimStatus.UNVERIFIED,
    reason: str = "",
) -> Claim:
    """Create a claim about `agencies` (in order). Attributions come next, through attribution_create."""
    _check_allowed(actor, "agencies.add_claim", "add claims")
    claim_check_status(actor=actor, status=status)
    agencies = list(agencies)
    reason = _check_reason(reason)
    _check_agencies(agencies)
    claim = Claim(slug=slug, kind=kind, text=text, made=made, status=status)
    claim.full_clean()
    _record(claim, actor=actor, reason=reason or "Created")
    claim.save()
    claim_set_agencies(actor=actor, claim=claim, agencies=agencies, reason=reason or "Created")
    return claim


@transaction.atomic
def claim_set_agencies(*, actor: Actor, claim: Claim, agencies: Sequence[Agency], reason: str = "") -> Claim:
    """Make the claim be about exactly `agencies`, in this order."""
    _check_allowed(actor, "agencies.change_claim", "change claims")
    agencies = list(agencies)
    reason = _check_reason(reason)
    _check_agencies(agencies)
    _sync_ordered_links(
        actor=actor,
        reason=reason,
        links=ClaimAgency.objects.filter(claim=claim),
        target_attname="agency_id",
        targets=agencies,
        build=lambda agency, position: ClaimAgency(claim=claim, agency=agency, position=position),
    )
    return claim


@transaction.atomic
def claim_set_status(*, actor: Actor, claim: Claim, status: str, reason: str) -> Claim:
    """Change a claim's verification status; the reason is required and kept in its history."""
    if status not in ClaimStatus.values:
        raise ValidationError(
            {"status": f"Unknown status {status!r}: use one of {', '.join(ClaimStatus.values)}."}
        )
    reason = _check_reason(reason, required=True)
    if claim.status == status:
        return claim
    claim_check_status(actor=actor, status=status, current=claim.status)
    claim.status = status
    _record(claim, actor=actor, reason=reason)
    claim.save(update_fields=["status", "updated_at"])
    return claim


# Attributions


def attribution_check_via(*, document: Document | None, via: Sequence[Document]) -> None:
    """The via documents are distinct, saved, and never the document the claim appears in."""
    via = list(via)
    _check_saved(via, field="via")
    _check_no_repeats(via, field="via", label=lambda d: d.slug)
    if document is not None and any(d.pk == document.pk for d in via):
        raise ValidationError(
            {"via": f"{document.slug} is the document the claim appears in: it cannot also be a via."}
        )


@transaction.atomic
def attribution_create(
    *,
    actor: Actor,
    claim: Claim,
    document: Document,
    origin: Source,
    via: Sequence[Document] = (),
    stance: str = Stance.SUPPORTS,
    quote: str = "",
    locator: str = "",
    reason: str = "",
) -> Attribution:
    """This claim appears in `document`, which got it via `via` (nearest first), from `origin`."""
    _check_allowed(actor, "agencies.add_attribution", "add attributions")
    reason = _check_reason(reason)
    via = list(via)
    _check_saved([claim, document, origin], field="attribution")
    attribution_check_via(document=document, via=via)
    last = claim.attributions.aggregate(last=models.Max("position"))["last"]
    attribution = Attribution(
        claim=claim,
        document=document,
        origin=origin,
        stance=stance,
        quote=quote,
        locator=locator,
        position=0 if last is None else last + 1,
    )
    attribution.full_clean()
    _record(attribution, actor=actor, reason=reason or "Created")
    attribution.save()
    attribution_set_via(actor=actor, attribution=attribution, documents=via, reason=reason or "Created")
    return attribution


@transaction.atomic
def attribution_set_via(
    *, actor: Actor, attribution: Attribution, documents: Sequence[Document], reason: str = ""
) -> Attribution:
    """Replace the attribution's via documents with `documents`, from the citing document outwards."""
    _check_allowed(actor, "agencies.change_attribution", "change attributions")
    documents = list(documents)
    reason = _check_reason(reason)
    attribution_check_via(document=attribution.document, via=documents)
    _sync_ordered_links(
        actor=actor,
        reason=reason,
        links=AttributionHop.objects.filter(attribution=attribution),
        target_attname="document_id",
        targets=documents,
        build=lambda document, position: AttributionHop(
            attribution=attribution, document=document, position=position
        ),
    )
    return attribution


# Documents


@transaction.atomic
def document_set_citations(
    *, actor: Actor, document: Document, cited: Sequence[Document], reason: str = ""
) -> Document:
    """Make `document` cite exactly `cited`, in the order it gives its sources."""
    _check_allowed(actor, "agencies.change_document", "change documents")
    cited = list(cited)
    reason = _check_reason(reason)
    _check_saved(cited, field="cites")
    _check_no_repeats(cited, field="cites", label=lambda d: d.slug)
    if any(d.pk == document.pk for d in cited):
        raise ValidationError({"cites": f"{document.slug} cannot cite itself."})
    _sync_ordered_links(
        actor=actor,
        reason=reason,
        links=Citation.objects.filter(citing=document),
        target_attname="cited_id",
        targets=cited,
        build=lambda other, position: Citation(citing=document, cited=other, position=position),
    )
    return document


# Users


@transaction.atomic
def user_set_role(*, user: AbstractBaseUser, role: str | None, confidential: bool) -> AbstractBaseUser:
    """Give `user` exactly one role (viewer, researcher, editor; None: no role) and the confidential grant
    or not. A role opens the admin (is_staff); other groups the user is in are left alone."""
    if role is not None and role not in permissions.ROLES:
        raise ValidationError({"role": f"Unknown role {role!r}: use one of {', '.join(permissions.ROLES)}."})
    managed = {*permissions.ROLES, permissions.CONFIDENTIAL}
    wanted = {role} if role else set()
    if confidential:
        wanted.add(permissions.CONFIDENTIAL)
    groups = {group.name: group for group in Group.objects.filter(name__in=managed)}
    missing = sorted(wanted - groups.keys())
    if missing:
        raise ValidationError({"role": f"Group {', '.join(missing)} is missing: run `manage.py migrate`."})
    user.groups.remove(*[group for name, group in groups.items() if name not in wanted])
    user.groups.add(*[groups[name] for name in wanted])
    if role is not None and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


# Claims that answer claims


def claim_check_answers(*, claim: Claim, answers: Claim | None) -> None:
    """Refuse a claim answering itself, or answering a claim that (through others) answers it."""
    from agencies.answers import AnswerCycle, check_answers

    if answers is None:
        return
    if answers.pk is None:
        raise ValidationError({"answers": "Save the answered claim before linking it."})
    if claim.pk is None:
        return  # a new claim is answered by nothing yet, so no link can close a cycle
    # One query for the links: walking them row by row would cost one query per hop.
    links = dict(Claim.objects.filter(answers__isnull=False).values_list("pk", "answers_id"))
    links.pop(claim.pk, None)

    def label(pk):
        return {claim.pk: claim.slug, answers.pk: answers.slug}.get(pk) or (
            Claim.objects.filter(pk=pk).values_list("slug", flat=True).first() or str(pk)
        )

    try:
        check_answers(claim=claim.pk, answers=answers.pk, answered=links, label=label)
    except AnswerCycle as exc:
        raise ValidationError({"answers": str(exc)}) from None


@transaction.atomic
def claim_set_answers(*, actor: Actor, claim: Claim, answers: Claim | None, reason: str = "") -> Claim:
    """Make `claim` answer (deny or dispute) `answers`, or nothing. Never itself, never a cycle."""
    _check_allowed(actor, "agencies.change_claim", "change claims")
    reason = _check_reason(reason)
    if claim.pk is None:
        raise ValidationError({"answers": "Save the claim before linking it."})
    if claim.answers_id == (answers.pk if answers is not None else None):
        return claim
    claim_check_answers(claim=claim, answers=answers)
    claim.answers = answers
    _record(claim, actor=actor, reason=reason or "Answers changed")
    claim.save(update_fields=["answers", "updated_at"])
    return claim
