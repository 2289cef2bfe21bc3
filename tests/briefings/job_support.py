"""Shared by the briefing job tests: a stand-in renderer and the Celery app pointed where a test wants.

The stand-in keeps the job tests fast and lets them script what a render does (fail, break, lose its
claim midway); it takes its fingerprint from the real `briefing_fingerprint`, so reuse is real.
"""

import hashlib
import socket
from contextlib import contextmanager

import kombu.pools
import pytest

from agencies.briefings import render
from agencies.briefings.errors import RefusedFetchError
from agencies.briefings.render import RenderedBriefing, briefing_fingerprint
from oversight.celery import app as celery_app
from tests import factories as f


class Script:
    """What the stand-in renderer does next, and what it was asked."""

    def __init__(self):
        self.calls: list[tuple[dict, str]] = []
        self.mode = "ok"  # ok | refused | bug
        self.during = None  # called mid-render, with the progress callback

    def pdf_for(self, scope: dict, audience: str) -> bytes:
        body = f"stand-in briefing {sorted(scope.items())} {audience}".encode()
        return b"%PDF-1.7\n%" + body + b"\n%%EOF\n"


SCRIPT = Script()


def fake_render(*, scope: dict, audience: str, progress=None, page_size=None) -> RenderedBriefing:
    SCRIPT.calls.append((scope, audience))
    report = progress or (lambda stage, percent: None)
    report("data", 5)
    report("pdf", 40)
    if SCRIPT.during is not None:
        SCRIPT.during(report)
    if SCRIPT.mode == "refused":
        raise RefusedFetchError(["http://127.0.0.1:9/tracker.png"])
    if SCRIPT.mode == "bug":
        raise RuntimeError("CANARY-in-a-bug: text that must not reach the briefing's error")
    return RenderedBriefing(
        pdf=SCRIPT.pdf_for(scope, audience),
        page_count=2,
        fingerprint=briefing_fingerprint(scope=scope, audience=audience),
        title="Stand-in briefing",
    )


@pytest.fixture(name="in_process")
def in_process_fixture():
    """Tasks run in this process, whatever CELERY_BROKER_URL the shell has."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def use_fake_render(monkeypatch) -> None:
    """The worker renders with the stand-in: it calls render.briefing_render, replaced here."""
    monkeypatch.setattr(render, "briefing_render", fake_render)


@pytest.fixture(name="script")
def script_fixture(db, settings, tmp_path, in_process, monkeypatch):
    """The stand-in renderer, and storage in a fresh folder."""
    global SCRIPT
    SCRIPT = Script()
    use_fake_render(monkeypatch)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield SCRIPT
    SCRIPT = Script()


def current_script() -> Script:
    return SCRIPT


@contextmanager
def celery_broker(url: str):
    """Publish from this process to `url` for real (not in-process) while the block runs."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _reset_pools()
    conf.broker_url, conf.task_always_eager = url, False
    try:
        yield
    finally:
        _reset_pools()
        conf.broker_url, conf.task_always_eager = saved


def _reset_pools() -> None:
    # Celery caches its connection and producer pools (per app and in kombu); they hold the old URL.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def agency_with_claim(slug: str = "uspis", acronym: str = "USPIS"):
    agency = f.AgencyFactory(slug=slug, acronym=acronym, name=f"Agency {acronym}")
    f.StatedMissionFactory(agency=agency)
    f.ClaimFactory(agencies=[agency])
    return agency


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
