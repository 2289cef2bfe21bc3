"""Record an article: paste or upload it, review what Oversight proposes, record the accepted part."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from agencies.core import permissions
from agencies.exchange import DossierError
from agencies.intake import review
from agencies.models import IntakeDraft, IntakeState


def record_editor(view):
    """Signed in (else to the login page), and allowed to edit the record (else 403)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not permissions.can_edit_record(request.user):
            raise PermissionDenied("Your role does not allow you to record articles.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


class ArticleForm(forms.Form):
    text = forms.CharField(
        required=False,
        label="The article's text",
        help_text="As copied: the headline, byline, outlet and date lines, then the paragraphs.",
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90}),
        max_length=review.MAX_TEXT_CHARS,
        strip=False,
    )
    upload = forms.FileField(required=False, label="Or upload a .txt or .html file")
    outlet = forms.CharField(required=False, max_length=200, label="Outlet (optional)")
    published = forms.CharField(
        required=False, max_length=10, label="Published (optional)", help_text="YYYY, YYYY-MM or YYYY-MM-DD"
    )
    url = forms.URLField(required=False, max_length=500, label="Address (optional)", assume_scheme="https")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload:
            try:
                cleaned["text"] = review.read_upload(upload)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    self.add_error(name, errors)
        return cleaned


@require_http_methods(["GET", "HEAD", "POST"])
@record_editor
def intake_new(request):
    form = ArticleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intake = review.draft_start(
                actor=request.user,
                text=data.get("text") or "",
                outlet=data.get("outlet") or "",
                published=data.get("published") or "",
                url=data.get("url") or "",
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return HttpResponseRedirect(reverse("agencies:intake_review", args=[intake.pk]))
    drafts = IntakeDraft.objects.filter(owner=request.user, state=IntakeState.OPEN).only(
        "pk", "created_at", "text"
    )[:10]
    return render(request, "agencies/intake_new.html", {"form": form, "drafts": drafts})


def _own_draft(request, pk: int) -> IntakeDraft:
    # Another researcher's draft is not found rather than forbidden: its existence is not said.
    return get_object_or_404(IntakeDraft, pk=pk, owner=request.user)


@require_http_methods(["GET", "HEAD", "POST"])
@record_editor
def intake_review(request, pk: int):
    intake = _own_draft(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        if intake.state != IntakeState.OPEN:
            errors = [f"This draft was {intake.get_state_display().lower()} already."]
        elif "discard" in request.POST:
            review.draft_discard(actor=request.user, intake=intake)
            messages.info(request, "The draft was discarded; nothing was written to the record.")
            return HttpResponseRedirect(reverse("agencies:intake_new"))
        else:
            try:
                report = review.draft_record(actor=request.user, intake=intake, post=request.POST)
            except review.ReviewError as exc:
                errors = exc.messages
            except DossierError as exc:
                errors = ["The record refused the draft, nothing was written:", *exc.errors[:50]]
            else:
                messages.success(
                    request,
                    f"Recorded as one change of yours: {report.created} created, {report.updated} updated.",
                )
                return HttpResponseRedirect(reverse("agencies:intake_review", args=[intake.pk]))
    items = review.review_items(intake)
    if errors:
        # Show the page as the researcher left it: every choice and edit sent comes back.
        for item in items:
            item.choice = request.POST.get(item.name, "accept")
            item.fields = [
                (name, request.POST.get(f"{item.name}-{name}", value)) for name, value in item.fields
            ]
            if item.section == "claims":
                item.answers = request.POST.get(f"{item.name}-answers") or None
    sections = []
    for item in items:
        if not sections or sections[-1]["section"] != item.section:
            sections.append(
                {
                    "section": item.section,
                    "label": review.SECTION_LABELS.get(item.section, item.section),
                    "items": [],
                }
            )
        sections[-1]["items"].append(item)
    labels = {item.index: item.label for item in items}
    pieces = [
        {"text": text, "ids": covering, "section": section, "title": "; ".join(labels[i] for i in covering)}
        for text, covering, section in review.highlighted(intake)
    ]
    status = 400 if errors else 200
    return render(
        request,
        "agencies/intake_review.html",
        {
            "intake": intake,
            "sections": sections,
            "pieces": pieces,
            "questions": [item for item in items if item.question],
            "errors": errors,
            "open": intake.state == IntakeState.OPEN,
        },
        status=status,
    )


@require_safe
@record_editor
def intake_match(request, section: str, slug: str):
    """The record's entity a proposal matched, in the admin."""
    if section not in review.ADMIN_CHANGE:
        raise Http404("No such section.")
    name, model = review.ADMIN_CHANGE[section]
    pk = get_object_or_404(model.objects.only("pk"), slug=slug).pk
    return HttpResponseRedirect(reverse(f"admin:agencies_{name}_change", args=[pk]))
