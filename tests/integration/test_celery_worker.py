"""Briefings through a real Celery worker process, a real Redis and PostgreSQL.

Each test starts its own redis-server on a free port (never the machine's 6379), workers as
`celery -A oversight worker` subprocesses pointed at the test database, and kills them with SIGKILL
the way a machine or the OOM killer would. The worker's timings are shortened through the
environment (heartbeat, staleness, sweep), and two renderers below stand in for a render that
stalls or that kills its process; every other render is the real one.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from agencies.briefings import render
from agencies.briefings import services as briefing_services
from agencies.briefings.render import briefing_render
from agencies.briefings.tasks import briefing_build_task
from agencies.core import permissions, services
from agencies.models import Briefing, BriefingStatus
from bench.redis_server import RedisServer
from tests.briefings.job_support import agency_with_claim, celery_broker
from tests.conftest import require_service
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PUBLIC = {"agencies": ["uspis"]}
BASE_DIR = Path(settings.BASE_DIR)
SLOW_ONCE = "tests.integration.test_celery_worker.render_stalling_the_first_time"
FATAL = "tests.integration.test_celery_worker.render_killing_its_process"


# --- renderers the workers swap in by BRIEFING_TEST_RENDERER (oversight/test_settings.py) -------


def render_stalling_the_first_time(*, scope, audience, progress=None, page_size=None):
    """The first render anywhere stalls mid-way (to be killed there); later ones are real."""
    marker = Path(os.environ["OVERSIGHT_TEST_MARKER"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        progress("pdf", 40)
        time.sleep(120)
    return briefing_render(scope=scope, audience=audience, progress=progress)


def render_killing_its_process(*, scope, audience, progress=None, page_size=None):
    """A poison job: every attempt takes its worker process down."""
    progress("pdf", 40)
    os._exit(1)


# --- services --------------------------------------------------------------------------------------


class Cluster:
    """The Redis, the environment shared by workers and commands, and the workers started."""

    def __init__(self, folder: Path, redis_server: RedisServer):
        self.folder = folder
        self.redis = redis_server
        self.media = folder / "media"
        self.workers: dict[str, subprocess.Popen] = {}
        db = connection.settings_dict
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        address = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "BRIEFING_"))},
            "DJANGO_SETTINGS_MODULE": "oversight.test_settings",
            # The test database, where this test's rows are committed.
            "DATABASE_URL": f"postgres://{credentials}@{address}/{quote(db['NAME'], safe='')}",
            "CELERY_BROKER_URL": redis_server.url,
            "OVERSIGHT_VAR_DIR": str(folder / "var"),
            "DJANGO_MEDIA_ROOT": str(self.media),
            "BRIEFING_HEARTBEAT_SECONDS": "0.5",
            "BRIEFING_STALE_SECONDS": "3",
            "BRIEFING_SWEEP_SECONDS": "1",
            "BRIEFING_REPUBLISH_SECONDS": "2",
            "BRIEFING_MAX_ATTEMPTS": "3",
            "BRIEFING_MAX_WORKERS_LOST": "3",
            "BRIEFING_STORE_RETRY_SECONDS": "20",
            "OVERSIGHT_TEST_MARKER": str(folder / "stalled-once"),
            "PYTHONUNBUFFERED": "1",
        }

    def start_worker(
        self,
        name: str,
        *,
        beat: bool = False,
        renderer: str | None = None,
        env: dict | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen:
        env = self.env | ({"BRIEFING_TEST_RENDERER": renderer} if renderer else {}) | (env or {})
        if cwd is not None:  # as on another machine: the code importable, nothing else shared
            env["PYTHONPATH"] = str(BASE_DIR)
        command = [sys.executable, "-m", "celery", "-A", "oversight", "worker", "-n", f"{name}@%h"]
        command += ["--loglevel=INFO", "--pool=prefork", "--concurrency=1"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        if beat:
            command += ["--beat", "--schedule", str(self.folder / f"{name}-beat-schedule")]
        log = (self.folder / f"{name}.log").open("wb")
        # Its own session: SIGKILL reaches the worker, its pool child and its beat at once.
        process = subprocess.Popen(
            command,
            cwd=cwd or BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.workers[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def manage(self, *args: str, timeout: float = 90, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env | (env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in self.folder.glob("*.log")
        )

    def stop(self) -> None:
        for name in self.workers:
            self.kill(name)
        self.redis.stop()


def wait_for(condition, timeout: float, what: str, cluster: Cluster | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    logs = cluster.logs() if cluster else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


@pytest.fixture
def cluster(postgres, tmp_path, settings):
    require_service(
        "Redis", shutil.which("redis-server") is not None, "install redis-server (Debian: redis-server)"
    )
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    running = Cluster(tmp_path, redis_server)
    settings.MEDIA_ROOT = str(running.media)
    yield running
    running.stop()


def status_of(briefing: Briefing, *statuses: str) -> Briefing | None:
    briefing = Briefing.objects.get(pk=briefing.pk)
    return briefing if briefing.status in statuses else None


def request(cluster: Cluster, audience: str = "public") -> tuple[Briefing, bool]:
    with celery_broker(cluster.redis.url):
        return briefing_services.briefing_request(actor=None, scope=PUBLIC, audience=audience)


def stored_files(cluster: Cluster, briefing: Briefing) -> list[str]:
    folder = cluster.media / "briefings" / str(briefing.pk)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def confidential_editor() -> str:
    """A user the command line may ask internal briefings for; returns the username."""
    permissions.roles_sync()  # transactional tests flush the groups the migration made
    user = UserFactory(username="ed")
    services.user_set_role(actor=None, user=user, role="editor", confidential=True)
    return user.username


# --- the tests -------------------------------------------------------------------------------------


def test_a_queued_briefing_is_built_by_a_worker(cluster):
    agency_with_claim()
    briefing, published = request(cluster)
    assert published and briefing.status == BriefingStatus.QUEUED

    # On the wire, before any worker runs: JSON, and nothing but the briefing's id.
    [message] = cluster.redis.messages("briefings")
    assert message["content-type"] == "application/json"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs, message["headers"]["task"]) == ([briefing.pk], {}, "agencies.briefing_build")

    cluster.start_worker("w1")
    done = wait_for(
        lambda: status_of(briefing, BriefingStatus.SUCCEEDED, BriefingStatus.FAILED), 90, "the build", cluster
    )
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert done.attempts == 1 and done.worker.startswith("w1@")
    pdf = (cluster.media / done.file.name).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) == done.size and done.page_count >= 1
    assert done.fingerprint == render.briefing_fingerprint(scope=PUBLIC, audience="public")

    # The command line through the same worker: queue, wait, write the PDF.
    output = cluster.folder / "internal.pdf"
    result = cluster.manage(
        "request_briefing",
        *("--agency", "USPIS", "--audience", "internal", "--user", confidential_editor()),
        *("--wait", "--output", str(output)),
    )
    assert result.returncode == 0, result.stderr
    internal = Briefing.objects.get(pk=int(result.stdout.strip()))
    assert internal.status == BriefingStatus.SUCCEEDED and internal.audience == "internal"
    assert output.read_bytes() == (cluster.media / internal.file.name).read_bytes()
    assert "Traceback" not in result.stderr


def test_a_worker_killed_mid_render_leaves_a_briefing_a_new_worker_finishes_exactly_once(cluster):
    agency_with_claim()
    cluster.start_worker("w1", renderer=SLOW_ONCE)
    briefing, _ = request(cluster)
    wait_for(
        lambda: Briefing.objects.filter(pk=briefing.pk, status=BriefingStatus.RUNNING, stage="pdf").exists(),
        60,
        "the first render to be under way",
        cluster,
    )

    cluster.kill("w1")  # SIGKILL: the worker, its child and the render die mid-way
    time.sleep(1)
    orphan = Briefing.objects.get(pk=briefing.pk)
    assert (orphan.status, orphan.attempts) == (BriefingStatus.RUNNING, 1)
    assert stored_files(cluster, briefing) == []

    # A new worker with beat: the sweep sees the heartbeat go stale, puts it back and publishes it.
    cluster.start_worker("w2", beat=True, renderer=SLOW_ONCE)
    done = wait_for(
        lambda: status_of(briefing, BriefingStatus.SUCCEEDED, BriefingStatus.FAILED),
        90,
        "the rescue",
        cluster,
    )
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.attempts, done.worker.split("@")[0]) == (2, "w2")
    reasons = list(done.history.values_list("history_change_reason", flat=True))
    assert sum(reason.startswith("succeeded") for reason in reasons) == 1
    assert any(reason.startswith("rescued from w1@") for reason in reasons)
    assert stored_files(cluster, briefing) == [Path(done.file.name).name]

    # A late copy of the task (what Redis hands out again once the dead worker's message times out)
    # finds the briefing finished and leaves it alone.
    with celery_broker(cluster.redis.url):
        briefing_build_task.apply_async(args=[briefing.pk])
    wait_for(lambda: not cluster.redis.messages("briefings"), 10, "the copy to be taken", cluster)
    time.sleep(1)
    again = Briefing.objects.get(pk=briefing.pk)
    assert (again.finished_at, again.attempts, again.history.count()) == (
        done.finished_at,
        2,
        done.history.count(),
    )
    assert stored_files(cluster, briefing) == [Path(done.file.name).name]


def test_a_killed_pool_process_is_redelivered_and_finished_by_the_same_worker(cluster):
    """Acknowledged late and rejected on worker loss: no sweep needed when only the child dies."""
    agency_with_claim()
    cluster.start_worker("w1", renderer=SLOW_ONCE)
    briefing, _ = request(cluster)
    running = wait_for(
        lambda: Briefing.objects.filter(pk=briefing.pk, status=BriefingStatus.RUNNING, stage="pdf").first(),
        60,
        "the first render to be under way",
        cluster,
    )
    child = int(running.worker.rsplit(" pid ", 1)[1])
    assert child == int((cluster.folder / "stalled-once").read_text())
    os.kill(child, signal.SIGKILL)

    done = wait_for(
        lambda: status_of(briefing, BriefingStatus.SUCCEEDED, BriefingStatus.FAILED), 90, "the retry", cluster
    )
    assert done.status == BriefingStatus.SUCCEEDED, done.error
    assert (done.attempts, done.workers_lost, done.failures) == (2, 1, 0)
    assert done.worker.startswith("w1@") and done.worker != running.worker
    # Its parent process said at once that the child died: no wait for the heartbeat to go stale.
    assert "attempt 1: worker process died" in done.history.values_list("history_change_reason", flat=True)
    assert cluster.workers["w1"].poll() is None


def test_redis_down_at_request_time_leaves_a_queued_briefing_that_completes_once_it_is_back(cluster):
    agency_with_claim()
    cluster.redis.stop()
    started = time.monotonic()
    briefing, published = request(cluster)
    assert time.monotonic() - started < 10
    assert (published, briefing.status, briefing.published_at) == (False, BriefingStatus.QUEUED, None)

    result = cluster.manage(
        "request_briefing", "--agency", "USPIS", "--audience", "internal", "--user", confidential_editor()
    )
    assert result.returncode == 0, result.stderr
    assert "the worker queue is unreachable; it will start when it is back" in result.stderr
    internal = Briefing.objects.get(pk=int(result.stdout.strip()))

    cluster.redis.start()
    cluster.start_worker("w1", beat=True)
    for queued in (briefing, internal):
        done = wait_for(
            lambda q=queued: status_of(q, BriefingStatus.SUCCEEDED, BriefingStatus.FAILED),
            90,
            "the sweep",
            cluster,
        )
        assert done.status == BriefingStatus.SUCCEEDED, done.error
        assert done.attempts == 1 and done.published_at is not None


def test_a_poison_job_that_kills_its_worker_fails_after_the_bounded_attempts(cluster):
    agency_with_claim()
    cluster.start_worker("w1", renderer=FATAL)
    briefing, _ = request(cluster)
    done = wait_for(
        lambda: status_of(briefing, BriefingStatus.FAILED, BriefingStatus.SUCCEEDED), 90, "the bound", cluster
    )
    assert done.status == BriefingStatus.FAILED
    assert (done.attempts, done.workers_lost, done.failures) == (3, 3, 0)
    assert done.error.startswith("Stopped after 3 attempts whose worker process died under it")
    assert "The last: its worker process died (Worker exited prematurely: exitcode 1" in done.error
    assert cluster.workers["w1"].poll() is None  # the worker itself lives on
    time.sleep(2)
    assert Briefing.objects.get(pk=briefing.pk).attempts == 3  # and does not loop
