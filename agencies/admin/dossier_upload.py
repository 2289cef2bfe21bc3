"""Dossier upload in the admin: upload a file, read what the import would do (or every error with its
place), confirm to import it. All or nothing, through the same `dossier_import` as the command.

Between the dry run and the confirmation the file stays on the server, never in the browser: it is
encrypted with the field keys (a dossier may name confidential sources) and stored through Django's
storage under a random token that only the uploader's session knows. Confirming imports exactly the
bytes that were checked; the file is deleted once imported, and refused after UPLOAD_TTL (beat's
dossier_uploads_sweep deletes those left behind).

What the uploader's role may not write (confidential notes, verdicts) the importer refuses itself,
as on the command line. The page shows at most the importer's first hundred errors and the first
SHOWN_CHANGES changed entities, saying how many more there are.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from cryptography.fernet import InvalidToken
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET

from agencies.core import permissions
from agencies.core.fields import field_fernet
from agencies.exchange import MAX_BYTES, DossierError, ImportReport, dossier_import, dossier_load

logger = logging.getLogger(__name__)

UPLOAD_DIR = "dossier-uploads"
UPLOAD_TTL = timedelta(hours=1)
SESSION_KEY = "agencies.dossier_uploads"
FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
SHOWN_CHANGES = 500  # changed entities listed on the page; `import_dossier --dry-run` lists them all
FORMAT_PAGE = settings.BASE_DIR / "docs" / "dossier-format.md"


class DossierUploadForm(forms.Form):
    dossier = forms.FileField(
        label="Dossier file",
        help_text="YAML or JSON in the oversight-dossier/1 format, UTF-8, at most 16 MiB.",
    )

    def clean_dossier(self):
        upload = self.cleaned_data["dossier"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 2**20} MiB.")
        return upload


# --- The file between the dry run and the confirmation ----------------------------------------------


def _storage_name(token: str) -> str:
    return f"{UPLOAD_DIR}/{token}.dossier"


@sensitive_variables("raw")
def _keep(request, *, raw: bytes, filename: str) -> str:
    """Store the checked bytes, encrypted, under a new token this session alone knows."""
    token = secrets.token_urlsafe(24)
    default_storage.save(_storage_name(token), ContentFile(field_fernet().encrypt(raw)))
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {
        "filename": filename,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "user": request.user.pk,
        "at": timezone.now().isoformat(),
    }
    request.session[SESSION_KEY] = uploads
    return token


def _kept(request, token: str) -> tuple[dict, bytes] | None:
    """The entry and bytes of a kept upload of this session and user, unless gone or expired."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("user") != request.user.pk:
        return None
    if timezone.now() - datetime.fromisoformat(entry["at"]) > UPLOAD_TTL:
        _forget(request, token)
        return None
    try:
        with default_storage.open(_storage_name(token), "rb") as handle:
            raw = field_fernet().decrypt(handle.read())
    except (FileNotFoundError, InvalidToken):
        _forget(request, token)
        return None
    if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        _forget(request, token)
        return None
    return entry, raw


def _forget(request, token: str) -> None:
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    default_storage.delete(_storage_name(token))


def dossier_uploads_sweep(*, now: datetime | None = None) -> int:
    """Delete kept uploads older than UPLOAD_TTL, whoever left them. Returns how many."""
    now = now or timezone.now()
    try:
        _dirs, files = default_storage.listdir(UPLOAD_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    removed = 0
    for name in files:
        full = f"{UPLOAD_DIR}/{name}"
        try:
            stale = now - default_storage.get_modified_time(full) > UPLOAD_TTL
        except (FileNotFoundError, NotImplementedError):
            continue
        if stale:
            default_storage.delete(full)
            removed += 1
    return removed


# --- The view -----------------------------------------------------------------------------------


def _format(filename: str) -> str | None:
    return FORMATS.get(PurePosixPath(filename).suffix.lower())


def _errors(messages_: list[str]) -> list[dict]:
    """Each error split into its place and what is wrong there, for the report."""
    shown = []
    for text in messages_:
        place, sep, problem = text.partition(": ")
        if not sep or " " in place.strip():
            place, problem = "", text
        shown.append({"place": place, "problem": problem})
    return shown


def _check(*, raw: bytes, filename: str, user) -> tuple[ImportReport | None, DossierError | None]:
    """Load and dry-run as this user (whose permissions the importer applies): the report, or the errors."""
    try:
        return dossier_import(data=dossier_load(raw, fmt=_format(filename)), actor=user, dry_run=True), None
    except DossierError as exc:
        return None, exc


def _show_errors(context: dict, exc: DossierError) -> None:
    context["errors"] = _errors(exc.errors)
    context["error_total"] = exc.total
    context["more_errors"] = exc.more


def _rows(report: ImportReport) -> list[dict]:
    return [
        {"section": name.replace("_", " "), "created": counts.created, "updated": counts.updated}
        for name, counts in report.sections.items()
    ]


def _show_report(context: dict, report: ImportReport) -> None:
    context["report"] = report
    context["rows"] = _rows(report)
    context["changes"] = report.changes[:SHOWN_CHANGES]
    context["more_changes"] = max(0, len(report.changes) - SHOWN_CHANGES)
    context["new"] = [
        {"section": name.replace("_", " "), "keys": keys[:20], "more": max(0, len(keys) - 20)}
        for name, keys in report.new.items()
        if keys
    ]


@sensitive_post_parameters()
def dossier_upload_view(request):
    if not permissions.can_edit_record(request.user):
        raise PermissionDenied("Importing a dossier edits the record.")
    context = {
        **admin.site.each_context(request),
        "title": "Import a dossier",
        "form": DossierUploadForm(),
        "max_mib": MAX_BYTES // 2**20,
    }
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, context)
    if request.method == "POST":
        form = DossierUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["dossier"]
            raw = upload.read()
            filename = PurePosixPath(upload.name or "dossier").name
            report, error = _check(raw=raw, filename=filename, user=request.user)
            context["filename"] = filename
            if error:
                _show_errors(context, error)
            else:
                _show_report(context, report)
                # A file the record already holds has nothing to confirm: nothing is kept.
                if report.created or report.updated:
                    context["token"] = _keep(request, raw=raw, filename=filename)
    return TemplateResponse(request, "agencies/dossier_upload.html", context)


def _confirm(request, context):
    token = request.POST["token"]
    kept = _kept(request, token)
    if kept is None:
        messages.error(request, "That upload has expired or was already imported: upload the file again.")
        return HttpResponseRedirect(reverse("admin:dossier_upload"))
    entry, raw = kept
    # Checked again: the record (or this user's permissions) may have changed since the dry run.
    report, error = _check(raw=raw, filename=entry["filename"], user=request.user)
    if error is None:
        try:
            report = dossier_import(
                data=dossier_load(raw, fmt=_format(entry["filename"])), actor=request.user
            )
        except DossierError as exc:
            error = exc
    if error is not None:
        context.update(filename=entry["filename"], confirming=True)
        _show_errors(context, error)
        _forget(request, token)
        return TemplateResponse(request, "agencies/dossier_upload.html", context)
    _forget(request, token)
    logger.info(
        "Dossier %s imported by %s: %s created, %s updated",
        entry["filename"],
        request.user.get_username(),
        report.created,
        report.updated,
    )
    messages.success(
        request,
        f"{entry['filename']} imported: {report.created} created, {report.updated} updated. "
        "Each change is in the history with your name.",
    )
    return HttpResponseRedirect(reverse("admin:dossier_upload"))


@require_GET
def dossier_format_view(request):
    """The format's reference (docs/dossier-format.md), for whoever may read the record."""
    if not permissions.can_view_record(request.user):
        raise PermissionDenied("The dossier format is documented for those who read the record.")
    context = {
        **admin.site.each_context(request),
        "title": "The dossier format",
        "text": FORMAT_PAGE.read_text(encoding="utf-8"),
    }
    return TemplateResponse(request, "agencies/dossier_format.html", context)
