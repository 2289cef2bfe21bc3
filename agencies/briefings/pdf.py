"""HTML to PDF with WeasyPrint, reaching nothing but the bundled assets.

The stylesheet and its fonts are parsed and loaded once per process (a worker renders many
briefings); each render gets its own fetcher, so that what it was refused is its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from agencies.briefings.errors import RefusedFetchError
from agencies.briefings.fetcher import ASSETS_DIR, BASE_URL, BundledAssetFetcher

STYLESHEET = ASSETS_DIR / "css" / "briefing.css"


@dataclass(frozen=True)
class Pdf:
    data: bytes
    page_count: int


# The paper a briefing is laid out for, and the cover's height on it (the cover fills its page).
PAGE_SIZES = {"A4": ("A4", "297mm"), "letter": ("letter", "279.4mm")}


@dataclass(frozen=True)
class _Prepared:
    font_config: FontConfiguration
    stylesheets: list[CSS]
    page_sizes: dict[str, CSS]


@functools.cache
def prepared() -> _Prepared:
    """The parsed stylesheet and its loaded fonts, once per process."""
    fetcher = BundledAssetFetcher()
    font_config = FontConfiguration()
    stylesheet = CSS(
        string=STYLESHEET.read_text(encoding="utf-8"),
        base_url=BASE_URL,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    if fetcher.refused:
        raise RefusedFetchError(fetcher.refused)
    page_sizes = {
        name: CSS(string=f"@page {{ size: {size}; }} .cover {{ height: {height}; }}", font_config=font_config)
        for name, (size, height) in PAGE_SIZES.items()
    }
    return _Prepared(font_config=font_config, stylesheets=[stylesheet], page_sizes=page_sizes)


def pdf_from_html(html: str, *, page_size: str = "A4") -> Pdf:
    """Render `html` (already escaped: it comes from the briefing's templates) to a PDF.

    Raises RefusedFetchError when anything in it named a resource outside the bundled assets.
    """
    ready = prepared()
    if page_size not in ready.page_sizes:
        raise ValueError(f"Unknown page size {page_size!r}: use {' or '.join(PAGE_SIZES)}.")
    fetcher = BundledAssetFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=[*ready.stylesheets, ready.page_sizes[page_size]], font_config=ready.font_config
    )
    data = document.write_pdf()
    if fetcher.refused:
        raise RefusedFetchError(fetcher.refused)
    return Pdf(data=data, page_count=len(document.pages))
