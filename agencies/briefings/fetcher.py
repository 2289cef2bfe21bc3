"""The only way the PDF renderer reaches anything: the project's bundled assets and `data:` URIs.

WeasyPrint fetches whatever a document or stylesheet names (images, stylesheets, fonts, attachments).
A briefing needs nothing from outside, so everything else is refused: `file://`, http(s) to any
host (loopback included), relative paths, other schemes. Nothing is opened on the way to refusing,
so there is no redirect to follow. Each refusal is recorded; the caller fails the render on any.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from pathlib import Path
from urllib import request

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME = "oversight-asset"
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
# What the renderer resolves relative references against: nothing it could fetch.
BASE_URL = f"{ASSET_SCHEME}:"

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9.+-]*):")
_SHOWN_URL_LENGTH = 200
_MIME_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".css": "text/css", ".svg": "image/svg+xml"}


def asset_url(relative_path: str) -> str:
    """The URL a template or stylesheet uses for a bundled asset: 'oversight-asset:fonts/x.ttf'."""
    if relative_path not in bundled_assets():
        raise ValueError(f"no bundled asset {relative_path!r}")
    return f"{ASSET_SCHEME}:{relative_path}"


@functools.cache
def bundled_assets() -> dict[str, Path]:
    """Every file under assets/, by its exact relative path: the whole of what can be served."""
    root = ASSETS_DIR
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(root)
    }


def _shown(url: str) -> str:
    url = url.replace("\n", " ").replace("\r", " ")
    return url if len(url) <= _SHOWN_URL_LENGTH else url[: _SHOWN_URL_LENGTH - 1] + "…"


class RefusedURL(ValueError):
    """WeasyPrint logs and skips the resource; the fetcher has recorded it for the caller."""


class BundledAssetFetcher(URLFetcher):
    """Serves `oversight-asset:<exact path under assets/>` and `data:` URIs; refuses the rest.

    One instance per render: `refused` lists what that render asked for and did not get.
    """

    def __init__(self):
        # No protocol allowed and no redirects for the parent's machinery, which is never used:
        # `fetch` below answers every request itself, without opening a connection or a file.
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False, timeout=1)
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url, headers=None):
        match = _SCHEME.match(url)
        scheme = match[1].lower() if match else ""
        if scheme == "data":
            return self._data(url)
        if scheme == ASSET_SCHEME:
            path = bundled_assets().get(url[len(match[0]) :])
            if path is not None:
                self.served.append(url)
                mime_type = _MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
                return URLFetcherResponse(
                    url, path.read_bytes(), headers={"Content-Type": mime_type or "application/octet-stream"}
                )
        return self._refuse(url)

    def _data(self, url: str) -> URLFetcherResponse:
        try:
            # Only ever a data: URI here (the scheme was checked), decoded in memory.
            response = request.DataHandler().data_open(request.Request(url))  # noqa: S310
        except Exception:
            return self._refuse(url)
        with response:
            body = response.read()
        return URLFetcherResponse(url, body, headers={"Content-Type": response.headers["Content-Type"]})

    def _refuse(self, url: str):
        shown = _shown(url)
        if shown not in self.refused:
            self.refused.append(shown)
        raise RefusedURL(f"refused: {shown}")

    # The parent is an OpenerDirector: make sure nothing reaches its handlers by another door.
    def open(self, url, data=None, timeout=None):
        return self.fetch(url.full_url if isinstance(url, request.Request) else url)

    def __call__(self, url):
        return self.fetch(url)
