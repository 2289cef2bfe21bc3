"""Briefings under faults, through real workers, PostgreSQL, Redis and an S3 protocol server.

- one snapshot: a dossier re-imported in two versions while briefings render; every PDF prints one;
- no orphans: a worker killed between writing its PDF and recording it leaves a file the files sweep
  removes (and counts), and a deleted briefing leaves none;
- a database blip (every connection cut and refused for a while, as a PostgreSQL restart looks from
  the worker, through a proxy so the machine's PostgreSQL is left alone) costs no render and no attempt;
- Redis restarted empty: the sweep publishes again what the broker lost;
- object storage (moto's server on 127.0.0.1, started here): two workers in their own folders build
  briefings the web process streams; a worker killed mid-upload leaves nothing served; storage
  unreachable fails the attempt, saying so, and the retry succeeds once.
"""

import hashlib
import os
import re
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.db import close_old_connections, connection, transaction

from agencies.briefings import render
from agencies.briefings import services as briefing_services
from agencies.briefings.render import briefing_render
from agencies.exchange.importer import dossier_import
from agencies.exchange.loading import dossier_load
from agencies.models import Briefing, BriefingStatus
from bench.fault_proxy import FaultProxy
from bench.moto_server import MotoServer
from tests.briefings.job_support import agency_with_claim, celery_broker
from tests.briefings.pdf_reading import flat_text
from tests.conftest import require_service
from tests.factories import UserFactory
from tests.integration.test_celery_worker import (
    BASE_DIR,
    request,
    status_of,
    stored_files,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKER_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings"}
PAUSING = "tests.integration.test_briefing_faults.render_with_pauses"
BUCKET = "oversight-briefings"
FINISHED = (BriefingStatus.SUCCEEDED, BriefingStatus.FAILED)


def render_with_pauses(*, scope, audience, progress=None, page_size=None):
    """A real render with a pause before it and after it (for the test to cut the database in), and a
    line in a file for each render, so that the test can count them."""
    folder = Path(os.environ["OVERSIGHT_TEST_MARKER"]).parent
    with (folder / "renders").open("a") as log:
        log.write(f"{os.getpid()}\n")
    progress("pdf", 40)
    (folder / "rendering").touch()
    time.sleep(4)
    rendered = briefing_render(scope=scope, audience=audience, progress=progress, page_size=page_size)
    (folder / "rendered").touch()
    time.sleep(3)
    return rendered


def reasons(briefing: Briefing) -> list[str]:
    return list(briefing.history.order_by("history_id").values_list("history_change_reason", flat=True))


# --- one snapshot -----------------------------------------------------------------------------------

SEED = BASE_DIR / "seeds" / "postal-inspection-2025.yaml"


def _version(data: dict, tag: str, figure: int) -> dict:
    """The seed with every claim's text marked `tag<n>` and the first figure set to `figure`."""
    version = yaml.safe_load(yaml.safe_dump(data))
    for n, claim in enumerate(version["claims"]):
        claim["text"] = f"{claim['text'].rstrip('.')} (marker {tag}{n})."
    version["figures"][0]["value"] = figure
    return version


def test_every_briefing_prints_one_version_of_the_record(cluster):
    """Round after round, two versions of the seed (marked `zq<round><a|b><claim>`, with the figure
    131,313 or 242,424) are imported in turn, without pause, while a real worker renders: every PDF
    holds one version's claims with that version's figure, and the fingerprint of that version."""
    data = dossier_load(SEED)
    versions: dict[tuple[int, str], dict] = {}

    def version(round_: int, letter: str) -> dict:
        if (round_, letter) not in versions:
            figure = 131313 if letter == "a" else 242424
            versions[round_, letter] = _version(data, f"zq{round_}{letter}", figure)
        return versions[round_, letter]

    scope = {"agencies": ["uspis"]}
    dossier_import(data=version(0, "a"))
    current = [0]
    stop = threading.Event()
    imports = [0]
    broken: list[BaseException] = []

    def keep_importing():
        # Each import is one transaction; they land between (and, unfixed, inside) briefings' reads.
        try:
            while not stop.is_set():
                for letter in "ab":
                    dossier_import(data=version(current[0], letter))
                    imports[0] += 1
        except BaseException as exc:
            broken.append(exc)
        finally:
            connection.close()

    cluster.start_worker("w1")
    importer = threading.Thread(target=keep_importing, daemon=True)
    importer.start()
    built: list[Briefing] = []
    try:
        for round_ in range(1, 6):
            current[0] = round_  # new texts: no earlier PDF can be reused
            time.sleep(0.5)
            assert not broken, broken
            with celery_broker(cluster.redis.url):
                briefing, _ = briefing_services.briefing_request(actor=None, scope=scope, audience="public")
            done = wait_for(lambda b=briefing: status_of(b, *FINISHED), 120, "a briefing", cluster)
            assert done.status == BriefingStatus.SUCCEEDED, done.error
            built.append(done)
    finally:
        stop.set()
        importer.join(60)
    assert not broken, broken
    assert imports[0] >= 10  # the record changed under every briefing
    assert len({b.pk for b in built}) == 5

    for briefing in built:
        text = flat_text(briefing.file.read())
        briefing.file.close()
        printed = set(re.findall(r"zq(\d+)([ab])(\d+)\)", text))
        found = {(round_, letter) for round_, letter, _ in printed}
        assert len(found) == 1, f"briefing {briefing.pk} mixes versions {sorted(found)}"
        [(round_, letter)] = found
        figure, other = ("131,313", "242,424") if letter == "a" else ("242,424", "131,313")
        assert figure in text and other not in text, f"briefing {briefing.pk}: claims and figure torn"
        # Its fingerprint is that version's, computed now from the version alone.
        dossier_import(data=version(int(round_), letter))
        assert briefing.fingerprint == render.briefing_fingerprint(scope=scope, audience="public")


# --- no orphans ------------------------------------------------------------------------------------


def test_a_worker_killed_between_writing_and_recording_leaves_no_orphan(cluster):
    agency_with_claim()
    stall = cluster.folder / "stalled-after-write"
    cluster.start_worker("w1", env=WORKER_SETTINGS | {"OVERSIGHT_TEST_STALL_AFTER_WRITE": str(stall)})
    briefing, _ = request(cluster)
    wait_for(stall.exists, 90, "the PDF to be written", cluster)
    cluster.kill("w1")
    [first] = stored_files(cluster, briefing)
    assert Briefing.objects.get(pk=briefing.pk).status == BriefingStatus.RUNNING

    cluster.start_worker("w2", beat=True)
    done = wait_for(lambda: status_of(briefing, *FINISHED), 90, "the rescue", cluster)
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.attempts, done.failures) == (2, 0)
    recorded = Path(done.file.name).name
    assert sorted(stored_files(cluster, briefing)) == sorted([first, recorded])

    # The files sweep (beat runs it; the command runs it now) removes the one nobody records.
    result = cluster.manage("sweep_briefing_files")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Removed 1 file that no briefing records."
    assert stored_files(cluster, briefing) == [recorded]
    assert (
        cluster.manage("sweep_briefing_files").stdout.strip() == "Removed 0 files that no briefing records."
    )

    with transaction.atomic():
        briefing_services.briefing_delete(briefing=done)
    assert stored_files(cluster, briefing) == []


# --- faults that cost nothing ------------------------------------------------------------------------


def test_a_database_restart_mid_render_and_mid_store_costs_no_render_and_no_attempt(cluster):
    agency_with_claim()
    db = connection.settings_dict
    proxy = FaultProxy(int(db["PORT"] or 5432), db["HOST"] or "127.0.0.1")
    through_proxy = cluster.env["DATABASE_URL"].replace(
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/", f"@127.0.0.1:{proxy.port}/"
    )
    try:
        cluster.start_worker("w1", renderer=PAUSING, env={"DATABASE_URL": through_proxy})
        briefing, _ = request(cluster)

        def restart(seconds: float) -> None:
            proxy.mode = "refuse"
            proxy.cut()
            time.sleep(seconds)
            proxy.mode = "pass"

        wait_for((cluster.folder / "rendering").exists, 90, "the render to start", cluster)
        restart(2.5)  # while it renders: the heartbeat loses its connection
        wait_for((cluster.folder / "rendered").exists, 90, "the render to finish", cluster)
        restart(5)  # as it stores: recording waits for the database instead of dropping the PDF
        done = wait_for(lambda: status_of(briefing, *FINISHED), 90, "the briefing", cluster)
    finally:
        proxy.close()
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.attempts, done.failures, done.workers_lost) == (1, 0, 0)
    assert len((cluster.folder / "renders").read_text().split()) == 1  # rendered once
    assert stored_files(cluster, briefing) == [Path(done.file.name).name]
    log = (cluster.folder / "w1.log").read_text()
    assert "heartbeat failed" in log  # it was cut off, and came back by itself
    assert "the database is unreachable; trying again" in log


def test_redis_restarted_empty_loses_no_briefing(cluster):
    agency_with_claim()
    briefing, published = request(cluster)
    assert published and cluster.redis.messages("briefings")
    cluster.redis.stop()
    cluster.redis.start()  # empty: the message is gone, the row is queued
    assert cluster.redis.messages("briefings") == []
    cluster.start_worker("w1", beat=True)
    done = wait_for(lambda: status_of(briefing, *FINISHED), 90, "the republished briefing", cluster)
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.attempts, done.failures, done.workers_lost) == (1, 0, 0)


# --- object storage ---------------------------------------------------------------------------------


@pytest.fixture
def moto(cluster, settings):
    require_service("moto", _moto_installed(), "pip install 'moto[server]' (requirements.txt)")
    server = MotoServer(cluster.folder)
    server.start()
    server.create_bucket(BUCKET)
    environment = server.environment(BUCKET, prefix="oversight")
    cluster.env.update(environment)
    cluster.env.pop("DJANGO_MEDIA_ROOT")
    # The web process (this one) reads from the same bucket, configured the same way.
    settings.STORAGES = _s3_storages(environment)
    yield server
    server.stop()


def _moto_installed() -> bool:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    return True


def _s3_storages(environment: dict) -> dict:
    import importlib

    import oversight.settings as production

    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        configured = importlib.reload(production).STORAGES
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        importlib.reload(production)
    return {**django_settings.STORAGES, "default": configured["default"]}


def _download(client, briefing: Briefing) -> bytes:
    response = client.get(f"/briefings/{briefing.pk}/pdf/")
    assert response.status_code == 200, response.status_code
    assert response.streaming
    return b"".join(response.streaming_content)


@pytest.fixture
def reader_client(client):
    from agencies.core import permissions, services

    permissions.roles_sync()
    user = UserFactory(username="reader")
    services.user_set_role(actor=None, user=user, role="editor", confidential=True)
    client.force_login(user)
    return client


def test_two_workers_without_shared_files_build_briefings_the_web_streams(cluster, moto, reader_client):
    agency_with_claim("uspis", "USPIS")
    agency_with_claim("dhs", "DHS")
    for name in ("w1", "w2"):
        folder = cluster.folder / name
        (folder / "media").mkdir(parents=True)
        cluster.start_worker(
            name,
            cwd=folder,
            env={"OVERSIGHT_VAR_DIR": str(folder / "var"), "DJANGO_MEDIA_ROOT": str(folder / "media")},
        )
    for name in ("w1", "w2"):
        log = cluster.folder / f"{name}.log"
        wait_for(lambda log=log: "ready" in log.read_text(), 60, f"{name} to be ready", cluster)
    asked = []
    with celery_broker(cluster.redis.url):
        for slug in ("uspis", "dhs"):
            for audience in ("public", "internal"):
                asked.append(
                    briefing_services.briefing_request(
                        actor=None, scope={"agencies": [slug]}, audience=audience
                    )[0]
                )
    done = [wait_for(lambda b=b: status_of(b, *FINISHED), 120, "the builds", cluster) for b in asked]
    assert all(b.status == BriefingStatus.SUCCEEDED for b in done), [b.error for b in done]
    assert {b.worker.split("@")[0] for b in done} == {"w1", "w2"}  # both built some

    keys = moto.keys(BUCKET)
    assert keys == sorted(f"oversight/{b.file.name}" for b in done)  # under the key prefix, nothing else
    for briefing in done:
        pdf = _download(reader_client, briefing)
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == briefing.sha256
    for name in ("w1", "w2"):  # nothing written to the workers' own disks
        assert list((cluster.folder / name / "media").rglob("*.pdf")) == []
    # Private: the bucket serves nothing without credentials.
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{moto.url}/{BUCKET}/{keys[0]}")  # noqa: S310 - loopback test server
    assert refused.value.code == 403


def test_a_worker_killed_mid_upload_leaves_nothing_served(cluster, moto, reader_client):
    agency_with_claim()
    proxy = FaultProxy(moto.port)
    proxy.mode, proxy.stall_after = "stall", 4096
    try:
        cluster.start_worker("w1", env={"AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"})
        briefing, _ = request(cluster)
        wait_for(proxy.stalled.is_set, 90, "the upload to be under way", cluster)
        cluster.kill("w1")
        assert moto.keys(BUCKET) == []
        assert reader_client.get(f"/briefings/{briefing.pk}/pdf/").status_code == 404

        cluster.start_worker("w2", beat=True)
        done = wait_for(lambda: status_of(briefing, *FINISHED), 90, "the rescue", cluster)
    finally:
        proxy.close()
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert moto.keys(BUCKET) == [f"oversight/{done.file.name}"]
    assert hashlib.sha256(_download(reader_client, done)).hexdigest() == done.sha256


def test_storage_unreachable_fails_the_attempt_saying_so_and_the_retry_succeeds_once(cluster, moto):
    agency_with_claim()
    proxy = FaultProxy(moto.port)
    proxy.mode = "refuse"
    try:
        cluster.start_worker("w1", env={"AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"})
        briefing, _ = request(cluster)
        failed = wait_for(
            lambda: Briefing.objects.filter(
                pk=briefing.pk, error__contains="storage was unreachable"
            ).first(),
            90,
            "the attempt to fail on the storage",
            cluster,
        )
        assert failed.status == BriefingStatus.QUEUED
        assert failed.error.startswith("Attempt 1: the storage was unreachable (")
        assert failed.error.endswith("it will be tried again (no attempt spent).")
        proxy.mode = "pass"
        done = wait_for(lambda: status_of(briefing, *FINISHED), 90, "the retry", cluster)
    finally:
        proxy.close()
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.failures, done.workers_lost) == (0, 0)
    assert sum(reason.startswith("succeeded") for reason in reasons(done)) == 1
    assert moto.keys(BUCKET) == [f"oversight/{done.file.name}"]
    close_old_connections()
