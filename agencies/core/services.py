"""Every write to the record: keyword-only, typed, atomic, and kept in history with who made it and why.

`actor` is the user making the change (None for a system action, e.g. a command run without a user).
Bad input raises django's ValidationError with a message meant for the researcher who typed it; an
actor whose role does not allow the change gets PermissionDenied (agencies/core/permissions.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from agencies.core import permissions, rules
from agencies.core.answers import AnswerCycle, check_answers
from agencies.core.fields import encrypted_fields
from agencies.models import (
    Agency,
    Attribution,
    AttributionHop,
    Citation,
    Claim,
    ClaimAgency,
    DataAccess,
    DataAccessClaim,
    Document,
    Figure,
    ReportedRole,
    RoleChange,
    RoleClaim,
    Source,
    Stance,
    StatedMission,
)

Actor = User | None
M = TypeVar("M", bound=models.Model)
# The rows that put a claim, a document or a via in order under their owner.
Link = ClaimAgency | AttributionHop | Citation | RoleClaim | DataAccessClaim

REASON_MAX_LENGTH = rules.REASON_MAX_LENGTH


def _record(instance: models.Model, *, actor: Actor, reason: str = "") -> None:
    """Tell simple_history who makes the next save or delete of `instance`, and why."""
    instance._history_user = actor  # type: ignore[attr-defined]  # read off the instance by simple_history
    instance._change_reason = reason or None  # type: ignore[attr-defined]


def _check_allowed(actor: Actor, model: type[models.Model], action: str) -> None:
    """A user may write a model's rows only as permissions.can_write says; a system action (no actor) may."""
    if actor is not None and not permissions.can_write(actor, model, action):
        raise PermissionDenied(f"Your role does not allow you to {action} {model._meta.verbose_name_plural}.")


def claim_check_status(*, actor: Actor, status: str, current: str | None = None) -> None:
    """Only editors give a claim a verdict (confirmed, refuted, retracted) or take one back."""
    problem = rules.status_change_problem(actor, status, current=current)
    if problem:
        raise PermissionDenied(problem)


def _check_reason(reason: str, *, required: bool = False, change: str = "") -> str:
    problem = rules.check_reason(reason, required=required, change=change)
    if problem:
        raise ValidationError({"reason": problem})
    return (reason or "").strip()


def _check_saved(objects: Iterable[models.Model], *, field: str) -> None:
    if any(obj.pk is None for obj in objects):
        raise ValidationError({field: "Save every referenced row before linking it."})


def _raise(field: str, problem: str | None) -> None:
    if problem:
        raise ValidationError({field: problem})


def _sync_ordered_links(
    *,
    actor: Actor,
    reason: str,
    links: Iterable[Link],
    target_attname: str,
    targets: Sequence[M],
    build: Callable[[M, int], Link],
) -> None:
    """Make the ordered link rows match `targets`, touching only the rows that change.

    Rows are saved and deleted one by one so that history keeps each with its actor.
    """
    current = {getattr(link, target_attname): link for link in links}
    wanted = [target.pk for target in targets]
    for target_id, stale in current.items():
        if target_id not in wanted:
            _record(stale, actor=actor, reason=reason)
            stale.delete()
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
    cycle = rules.parent_cycle({pk: row[0] for pk, row in rows.items()}, agency.pk, parent.pk)
    if cycle:
        path = " → ".join(rows[pk][1] for pk in cycle[1:])
        raise ValidationError(
            {
                "parent": f"{parent.label} cannot be the parent of {agency.label}: "
                f"it is already under it ({path}), so this would make a cycle."
            }
        )


def _agency_parents() -> list[tuple[int, int | None, str]]:
    return [
        (pk, parent_id, acronym or name)
        for pk, parent_id, acronym, name in Agency.objects.values_list("pk", "parent_id", "acronym", "name")
    ]


# Claims


def _check_agencies(agencies: Sequence[Agency]) -> None:
    _check_saved(agencies, field="agencies")
    _raise("agencies", rules.claim_agencies_problem([agency.label for agency in agencies]))


@transaction.atomic
def claim_set_agencies(*, actor: Actor, claim: Claim, agencies: Sequence[Agency], reason: str = "") -> Claim:
    """Make the claim be about exactly `agencies`, in this order."""
    _check_allowed(actor, Claim, "change")
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


# Attributions


def attribution_check_via(*, document: Document | None, via: Sequence[Document]) -> None:
    """The via documents are distinct, saved, and never the document the claim appears in."""
    via = list(via)
    _check_saved(via, field="via")
    _raise("via", rules.via_problem(document.slug if document else None, [d.slug for d in via]))


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
    """This claim appears in `document`, which got it via `via` (nearest first), from `origin`: a new
    line after the claim's last one (record_save numbers it under a lock on the claim)."""
    via = list(via)
    _check_saved([claim, document, origin], field="attribution")
    attribution_check_via(document=document, via=via)
    line = Attribution(
        claim=claim, document=document, origin=origin, stance=stance, quote=quote, locator=locator
    )
    line.position = None  # type: ignore[assignment]  # no position given: record_save puts it last
    attribution = record_save(actor=actor, instance=line, reason=reason or "Created")
    attribution_set_via(actor=actor, attribution=attribution, documents=via, reason=reason or "Created")
    return attribution


@transaction.atomic
def attribution_set_via(
    *, actor: Actor, attribution: Attribution, documents: Sequence[Document], reason: str = ""
) -> Attribution:
    """Replace the attribution's via documents with `documents`, from the citing document outwards."""
    _check_allowed(actor, Attribution, "change")
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
    _check_allowed(actor, Document, "change")
    cited = list(cited)
    reason = _check_reason(reason)
    _check_saved(cited, field="cites")
    _raise("cites", rules.citations_problem(document.slug, [d.slug for d in cited]))
    _sync_ordered_links(
        actor=actor,
        reason=reason,
        links=Citation.objects.filter(citing=document),
        target_attname="cited_id",
        targets=cited,
        build=lambda other, position: Citation(citing=document, cited=other, position=position),
    )
    return document


# Roles and data access


def _set_resting_claims(
    *, actor: Actor, owner, claims: Sequence[Claim], reason: str, what: str, links, build
):
    _check_allowed(actor, type(owner), "change")
    claims = list(claims)
    reason = _check_reason(reason)
    _check_saved(claims, field="claims")
    _raise("claims", rules.resting_claims_problem([claim.slug for claim in claims], what=what))
    _sync_ordered_links(
        actor=actor, reason=reason, links=links, target_attname="claim_id", targets=claims, build=build
    )
    return owner


@transaction.atomic
def role_set_claims(
    *, actor: Actor, role: ReportedRole, claims: Sequence[Claim], reason: str = ""
) -> ReportedRole:
    """Make the reported role rest on exactly `claims`, in this order."""
    return _set_resting_claims(
        actor=actor,
        owner=role,
        claims=claims,
        reason=reason,
        what="A role",
        links=RoleClaim.objects.filter(role=role),
        build=lambda claim, position: RoleClaim(role=role, claim=claim, position=position),
    )


@transaction.atomic
def data_access_set_claims(
    *, actor: Actor, access: DataAccess, claims: Sequence[Claim], reason: str = ""
) -> DataAccess:
    """Make the data access rest on exactly `claims`, in this order."""
    return _set_resting_claims(
        actor=actor,
        owner=access,
        claims=claims,
        reason=reason,
        what="Data access",
        links=DataAccessClaim.objects.filter(access=access),
        build=lambda claim, position: DataAccessClaim(access=access, claim=claim, position=position),
    )


# Any row of the record: the door the admin's forms, inlines, deletes and actions go through.


def record_check(*, actor: Actor, instance: models.Model, reason: str = "") -> None:
    """Whether `actor` may save `instance` as it stands in memory: the role's permission and the
    model's rules, weighed against the stored row (never against what a form was shown). Writes nothing."""
    model = type(instance)
    adding = instance._state.adding
    _check_allowed(actor, model, "add" if adding else "change")
    stored = None if adding else model._default_manager.filter(pk=instance.pk).first()
    check = _SAVE_RULES.get(model)
    if check is not None:
        check(actor=actor, instance=instance, stored=stored, reason=reason)


def _claim_rules(*, actor: Actor, instance: Claim, stored: Claim | None, reason: str) -> None:
    if instance.answers_id != (stored.answers_id if stored else None):
        claim_check_answers(claim=instance, answers=instance.answers)
    current = stored.status if stored else None
    if current == instance.status:
        return
    claim_check_status(actor=actor, status=instance.status, current=current)
    if stored is not None:
        _check_reason(reason, required=True, change="the status changes")


def _agency_rules(*, instance: Agency, stored: Agency | None, **_) -> None:
    if stored is None or stored.parent_id != instance.parent_id:
        agency_check_parent(agency=instance, parent=instance.parent)


def _citation_rules(*, instance: Citation, **_) -> None:
    _raise("cited", rules.citations_problem(instance.citing.slug, [instance.cited.slug]))


def _hop_rules(*, instance: AttributionHop, **_) -> None:
    _raise("document", rules.via_problem(instance.attribution.document.slug, [instance.document.slug]))


def _attribution_rules(*, instance: Attribution, stored: Attribution | None, **_) -> None:
    if stored is not None and stored.document_id != instance.document_id:
        via = [hop.document.slug for hop in instance.hops.select_related("document")]
        _raise("document", rules.via_problem(instance.document.slug, via))


def _figure_rules(*, instance: Figure, **_) -> None:
    start, end = instance.period_start, instance.period_end
    _raise("period_end", rules.period_problem(start.start if start else None, end.end if end else None))


_SAVE_RULES: dict[type[models.Model], Callable[..., None]] = {
    Agency: _agency_rules,
    Attribution: _attribution_rules,
    AttributionHop: _hop_rules,
    Citation: _citation_rules,
    Claim: _claim_rules,
    Figure: _figure_rules,
}


def _last_link_rule(owner_attname: str, problem: str):
    def check(*, instance: models.Model) -> None:
        siblings = type(instance)._default_manager.filter(**{owner_attname: getattr(instance, owner_attname)})
        if not siblings.exclude(pk=instance.pk).exists():
            raise ValidationError(problem)

    return check


_DELETE_RULES: dict[type[models.Model], Callable[..., None]] = {
    ClaimAgency: _last_link_rule("claim_id", rules.claim_agencies_problem([]) or ""),
    RoleClaim: _last_link_rule("role_id", rules.resting_claims_problem([]) or ""),
    DataAccessClaim: _last_link_rule("access_id", rules.resting_claims_problem([], what="Data access") or ""),
}


# Rows kept in order under an owner: a new one with no position given goes last.
_POSITIONED_UNDER: dict[type[models.Model], str] = {Attribution: "claim", StatedMission: "agency"}


def _next_position(instance: models.Model, owner: str) -> int:
    """After the owner's last row. The owner's row is held so that two concurrent adds under one
    owner cannot take the same position."""
    owner_field = cast(models.ForeignKey, instance._meta.get_field(owner))  # get_field may give a relation
    owner_id = getattr(instance, owner_field.attname)
    list(owner_field.related_model._default_manager.select_for_update().filter(pk=owner_id).values_list("pk"))
    siblings = type(instance)._default_manager.filter(**{owner_field.attname: owner_id})
    last = siblings.aggregate(last=models.Max("position"))["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def record_save(*, actor: Actor, instance: M, reason: str = "") -> M:
    """Save one row of the record as `actor`: checked by record_check, validated, kept in history."""
    reason = _check_reason(reason)
    model = type(instance)
    adding = instance._state.adding
    if not adding:
        # Hold the stored row: the checks read it, and a concurrent save waits for this one.
        list(model._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk"))
    record_check(actor=actor, instance=instance, reason=reason)
    owner = _POSITIONED_UNDER.get(model)
    if owner and adding and isinstance(instance, Attribution | StatedMission) and instance.position is None:
        instance.position = _next_position(instance, owner)
    instance.full_clean()
    _record(instance, actor=actor, reason=reason or ("Created" if adding else "Changed"))
    instance.save()
    return instance


@transaction.atomic
def record_delete(*, actor: Actor, instance: models.Model, reason: str = "") -> None:
    """Delete one row of the record as `actor`. What other rows rest on is refused, never cascaded."""
    model = type(instance)
    _check_allowed(actor, model, "delete")
    reason = _check_reason(reason)
    check = _DELETE_RULES.get(model)
    if check is not None:
        check(instance=instance)
    _record(instance, actor=actor, reason=reason or "Deleted")
    try:
        instance.delete()
    except models.ProtectedError as exc:
        raise ValidationError(_protected_message(instance, exc.protected_objects)) from None


def _protected_message(instance: models.Model, protected: Iterable[models.Model]) -> str:
    counts: dict[str, int] = {}
    for row in protected:
        name = str(type(row)._meta.verbose_name_plural)
        counts[name] = counts.get(name, 0) + 1
    resting = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    name = str(instance._meta.verbose_name).capitalize()
    return f"{name} “{instance}” cannot be deleted: {resting} rest on it."


@transaction.atomic
def records_delete(*, actor: Actor, instances: Iterable[models.Model], reason: str = "") -> int:
    """Delete every row in `instances`, all or none."""
    count = 0
    for instance in instances:
        record_delete(actor=actor, instance=instance, reason=reason)
        count += 1
    return count


# Keys


@transaction.atomic
def encrypted_values_rotate(*, batch: int = 500) -> int:
    """Re-encrypt every encrypted value (history included) with the newest key; how many were.

    The step between putting a new key first and dropping the old ones. Reading decrypts with
    whichever key opens a value; writing encrypts with the first. bulk_update sends no signals:
    a rotation adds no history row and no new updated_at, since the record did not change.
    """
    total = 0
    for model, field in encrypted_fields():
        manager = model._base_manager
        pks = list(manager.filter(**{f"{field.attname}__isnull": False}).values_list("pk", flat=True))
        for start in range(0, len(pks), batch):
            rows = list(manager.filter(pk__in=pks[start : start + batch]).only("pk", field.attname))
            manager.bulk_update(rows, [field.attname])
            total += len(rows)
    return total


# Users


@transaction.atomic
def user_set_role(
    *, actor: Actor, user: User, role: str | None, confidential: bool, reason: str = ""
) -> User:
    """Give `user` exactly one role (viewer, researcher, editor; None: no role) and the confidential grant
    or not. A role opens the admin (is_staff); other groups the user is in are left alone. A change is
    kept in RoleChange: who made it, from what, to what, and why."""
    if actor is not None and not permissions.can_manage_roles(actor):
        raise PermissionDenied("Only superusers and users allowed to manage roles may change a user's role.")
    if role is not None and role not in permissions.ROLES:
        raise ValidationError({"role": f"Unknown role {role!r}: use one of {', '.join(permissions.ROLES)}."})
    reason = _check_reason(reason)
    managed = {*permissions.ROLES, permissions.CONFIDENTIAL}
    wanted = {role} if role else set()
    if confidential:
        wanted.add(permissions.CONFIDENTIAL)
    groups = {group.name: group for group in Group.objects.filter(name__in=managed)}
    missing = sorted(wanted - groups.keys())
    if missing:
        raise ValidationError({"role": f"Group {', '.join(missing)} is missing: run `manage.py migrate`."})
    # Lock the user: of two changes at once, the second records what the first left.
    list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    held = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    user.groups.remove(*[group for name, group in groups.items() if name not in wanted])
    user.groups.add(*[groups[name] for name in wanted])
    if role is not None and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if held != wanted:
        RoleChange.objects.create(
            actor=actor,
            actor_name=actor.get_username() if actor is not None else "",
            user=user,
            user_name=user.get_username(),
            old_role="+".join(name for name in permissions.ROLES if name in held),
            new_role=role or "",
            old_confidential=permissions.CONFIDENTIAL in held,
            new_confidential=confidential,
            reason=reason,
        )
    return user


# Claims that answer claims


def claim_check_answers(*, claim: Claim, answers: Claim | None) -> None:
    """Refuse a claim answering itself, or answering a claim that (through others) answers it."""
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
