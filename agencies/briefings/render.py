"""Render a briefing: the API the briefing worker (and the commands through it) calls.

    briefing_render(scope=..., audience=...)  -> RenderedBriefing (PDF, page count, fingerprint, title)
    briefing_fingerprint(scope=..., audience=...) -> the same fingerprint, without rendering
    scope_validate(scope) -> the normalised scope, or ValidationError

A scope is {"agencies": [slug or acronym, ...]} (sub-agencies at any depth included) or
{"filter": "<query string of agencies.core.filters.ClaimFilter>"}; the audience is "public" or "internal".
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import get_template
from django.utils import timezone

from agencies.briefings.data import BriefingData, briefing_data
from agencies.briefings.errors import BriefingRenderError
from agencies.briefings.html import TEMPLATE, briefing_html
from agencies.briefings.pdf import PAGE_SIZES, STYLESHEET, pdf_from_html
from agencies.briefings.scope import resolve_scope
from agencies.briefings.snapshot import record_snapshot
from agencies.core import charts

# Raise when the briefing's meaning changes in a way the template digest below cannot see.
TEMPLATE_VERSION = "1"

# progress(stage, percent) or, once the data is read, progress(stage, percent, fingerprint).
Progress = Callable[..., None]


@dataclass(frozen=True)
class RenderedBriefing:
    pdf: bytes
    page_count: int
    fingerprint: str  # SHA-256 hex of the data, the audience and the template version
    title: str


def scope_validate(scope: dict) -> dict:
    """The scope in its normal form (sorted slugs, or a sorted query string), or ValidationError."""
    return resolve_scope(scope).normalised


@functools.cache
def _digest(template_dir: str) -> str:
    digest = hashlib.sha256(TEMPLATE_VERSION.encode())
    files = [*sorted(Path(template_dir).glob("*.html")), STYLESHEET, Path(charts.__file__)]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def template_version() -> str:
    """TEMPLATE_VERSION and a digest of the templates, stylesheet and chart code: a change to how a
    briefing looks changes the fingerprint, so an old PDF is never served for a new layout."""
    origin = Path(get_template(TEMPLATE).origin.name)
    return _digest(str(origin.parent))


def page_size_or_default(page_size: str | None) -> str:
    """The page size asked for, else the BRIEFING_PAGE_SIZE setting; BriefingRenderError if unknown."""
    page_size = page_size or settings.BRIEFING_PAGE_SIZE
    if page_size not in PAGE_SIZES:
        raise BriefingRenderError(f"Unknown page size {page_size!r}: use {' or '.join(PAGE_SIZES)}.")
    return page_size


def _fingerprint(data: BriefingData, page_size: str) -> str:
    canonical = json.dumps(
        {
            "audience": data.audience,
            "template": template_version(),
            "page_size": page_size,
            "data": data.canonical(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _data(scope: dict, audience: str) -> BriefingData:
    # One snapshot for every query: the PDF and its fingerprint print a state the record was in.
    try:
        with record_snapshot():
            return briefing_data(scope=scope, audience=audience)
    except ValidationError as exc:
        raise BriefingRenderError(" ".join(exc.messages)) from exc


def briefing_fingerprint(*, scope: dict, audience: str, page_size: str | None = None) -> str:
    """What briefing_render would return as the fingerprint, without laying out a page."""
    return _fingerprint(_data(scope, audience), page_size_or_default(page_size))


def briefing_render(
    *, scope: dict, audience: str, progress: Progress | None = None, page_size: str | None = None
) -> RenderedBriefing:
    """Read the data, write the HTML, lay out the PDF. Raises BriefingRenderError when the scope or
    audience is wrong or the layout asked for anything outside the bundled assets."""
    report = progress or (lambda stage, percent, fingerprint=None: None)
    report("data", 5)
    page_size = page_size_or_default(page_size)
    data = _data(scope, audience)
    fingerprint = _fingerprint(data, page_size)
    report("html", 30, fingerprint)
    html = briefing_html(data, fingerprint=fingerprint, generated=timezone.now())
    report("pdf", 40)
    pdf = pdf_from_html(html, page_size=page_size)
    report("pdf", 100)
    return RenderedBriefing(
        pdf=pdf.data, page_count=pdf.page_count, fingerprint=fingerprint, title=data.title
    )
