"""The renderer reaches nothing but the bundled assets: not the file system, not the network, not a
loopback server this test runs, whatever the record holds."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from agencies import models as m
from agencies.briefings import pdf as pdf_module
from agencies.briefings.errors import BriefingRenderError, RefusedFetchError
from agencies.briefings.fetcher import BundledAssetFetcher, RefusedURL, asset_url, bundled_assets
from agencies.briefings.render import briefing_render
from tests import factories as f
from tests.briefings.pdf_reading import everything, flat_text, reader
from tests.factories import seed_case

PASSWD = Path("/etc/passwd")


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.server.requests.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", asset_url("css/briefing.css"))
            self.end_headers()
            return
        body = b"body { background: red } SECRET-FROM-LOOPBACK"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that records every request it gets, stopped after the test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- The fetcher on its own -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1/",
        "http://localhost:8000/admin/",
        "http://[::1]/",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "/etc/passwd",
        "etc/passwd",
        "oversight-asset:../../../oversight/settings.py",
        "oversight-asset:/etc/passwd",
        "oversight-asset:fonts/../css/briefing.css",
        "oversight-asset:css/missing.css",
        "oversight-asset:fonts",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_anything_but_bundled_assets(url):
    fetcher = BundledAssetFetcher()

    with pytest.raises(RefusedURL):
        fetcher.fetch(url)

    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_does_not_follow_a_redirect_or_even_ask(loopback):
    server, base = loopback
    fetcher = BundledAssetFetcher()

    for url in (f"{base}/redirect", f"{base}/style.css"):
        with pytest.raises(RefusedURL):
            fetcher(url)

    assert server.requests == []
    assert fetcher.refused == [f"{base}/redirect", f"{base}/style.css"]


def test_fetcher_serves_exact_bundled_paths_and_data_uris():
    fetcher = BundledAssetFetcher()

    css = fetcher.fetch(asset_url("css/briefing.css"))
    font = fetcher.fetch(asset_url("fonts/CharisSIL-Regular.ttf"))
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")

    assert b"@font-face" in css.read() and css.content_type == "text/css"
    assert font.read()[:4] == b"\x00\x01\x00\x00"
    assert data.read() == b"hello"
    assert fetcher.refused == []


def test_bundled_assets_are_the_files_under_assets_and_carry_their_fonts_licenses():
    assets = bundled_assets()

    assert "css/briefing.css" in assets
    assert {"fonts/LICENSES/CharisSIL.txt", "fonts/LICENSES/Inter.txt", "fonts/LICENSES/DejaVu.txt"} <= set(
        assets
    )
    assert all(path.is_file() for path in assets.values())
    with pytest.raises(ValueError):
        asset_url("../settings.py")


# --- Through WeasyPrint ------------------------------------------------------------------------------


def test_html_naming_refused_resources_fails_and_names_them(loopback):
    server, base = loopback
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/linked.css">'
        f"<style>@import url('{base}/imported.css'); body {{ background: url('file:///etc/passwd') }}</style>"
        f'</head><body><img src="{base}/logo.png"><p>text</p>'
        f'<a rel="attachment" href="file:///etc/passwd">passwd</a></body></html>'
    )

    with pytest.raises(RefusedFetchError) as caught:
        pdf_module.pdf_from_html(html)

    message = str(caught.value)
    for url in (f"{base}/linked.css", f"{base}/imported.css", f"{base}/logo.png", "file:///etc/passwd"):
        assert url in message
    assert isinstance(caught.value, BriefingRenderError)
    assert server.requests == []


def test_a_template_that_references_a_refused_url_makes_the_render_fail(db, settings, tmp_path, loopback):
    server, base = loopback
    seed_case()
    (tmp_path / "briefings").mkdir()
    (tmp_path / "briefings" / "briefing.html").write_text(
        f'<html><body><h1>{{{{ b.title }}}}</h1><img src="{base}/seal.png"></body></html>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]

    with pytest.raises(BriefingRenderError, match=f"{base}/seal.png"):
        briefing_render(scope={"agencies": ["uspis"]}, audience="public")

    assert server.requests == []


def test_the_stylesheet_and_fonts_are_prepared_once_per_process():
    first = pdf_module.prepared()
    pdf_module.pdf_from_html("<p>one</p>")
    pdf_module.pdf_from_html("<p>two</p>")

    assert pdf_module.prepared() is first
    assert pdf_module.prepared.cache_info().currsize == 1


# --- A hostile record ----------------------------------------------------------------------------------


@pytest.fixture
def hostile(db, loopback):
    """The postal record, with markup and addresses in every text and URL a briefing prints."""
    server, base = loopback
    record = seed_case()
    markup = (
        f'<img src="{base}/img.png"> <link rel="stylesheet" href="{base}/link.css">'
        f"<style>@import url({base}/import.css); p {{ background: url(file:///etc/passwd) }}</style>"
        f'<a rel="attachment" href="file:///etc/passwd">x</a> <iframe src="{base}/frame"></iframe>'
        f'<svg><image href="file:///etc/passwd"/></svg> <object data="{base}/object"></object>'
    )
    record.enlisted.text = "Enlisted. " + markup
    record.enlisted.save()
    m.Attribution.objects.filter(claim=record.enlisted).update(quote=f"quote {markup}")
    record.beast_article.url = f"{base}/article"
    record.beast_article.archived_url = "file:///etc/passwd"
    record.beast_article.title = f"Title {markup}"
    record.beast_article.save()
    record.uspis.website = f"{base}/website"
    record.uspis.save()
    m.StatedMission.objects.filter(agency=record.uspis).update(text=f"Mission <script>x</script> {markup}")
    record.two_people.description = f"people <b>bold</b> url({base}/font.woff)"
    record.two_people.save()
    f.DocumentFactory(slug="passwd-doc", title="passwd", url="file:///etc/passwd")
    return server, base, record


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_a_hostile_record_reaches_nothing_and_shows_its_markup_as_text(hostile, audience):
    server, base, _record = hostile

    rendered = briefing_render(scope={"agencies": ["uspis"]}, audience=audience)

    assert server.requests == []
    text = flat_text(rendered.pdf)
    assert '<img src="' in text  # markup printed, not parsed
    assert "<script>x</script>" in text
    assert f"{base}/article" in text.replace(" ", "")  # the address is printed as text, never fetched
    assert "SECRET-FROM-LOOPBACK" not in everything(rendered.pdf)
    for line in PASSWD.read_text().splitlines()[:3]:
        assert line not in everything(rendered.pdf)
    pdf = reader(rendered.pdf)
    assert dict(pdf.attachments) == {}
    assert "/EmbeddedFiles" not in everything(rendered.pdf)
    for page in pdf.pages:
        for annotation in page.get("/Annots") or []:
            assert annotation.get_object().get("/Subtype") != "/FileAttachment"
            assert "/URI" not in annotation.get_object().get("/A", {})


def test_a_data_uri_is_served_but_what_it_references_is_not(loopback):
    server, base = loopback
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' "
        "width='10' height='10'>"
        f"<image xlink:href='{base}/inner.png' width='10' height='10'/></svg>"
    )
    html = f'<p>chart</p><img src="data:image/svg+xml;charset=utf-8,{quote(svg)}">'

    with pytest.raises(RefusedFetchError, match=f"{base}/inner.png"):
        pdf_module.pdf_from_html(html)

    assert server.requests == []
