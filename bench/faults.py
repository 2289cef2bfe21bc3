# ruff: noqa: S603, S607, S311, E501 - a bench script: fixed commands, a seeded storm
"""Fault bench: briefings through real workers under a crash storm and outages, with shipped defaults.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ov_faults python -m bench.faults [--briefings 60]

It migrates that database (its own: it is emptied), loads the seed case, starts a throwaway Redis, two
workers (`celery -A oversight worker -Q briefings,celery`, prefork, one child each) and beat, all with
the shipped timings (heartbeat, staleness, sweep, republish: nothing shortened), their database
connections through a proxy that can cut them (a PostgreSQL restart as the workers see it, leaving
the machine's PostgreSQL alone for everyone else on it). Then, one after another:

- storm: the briefings asked at once (every subset of the seed's agencies, both audiences), and a
  SIGKILL every few seconds to a random worker's pool child or to a whole worker (restarted 2 s
  later, as systemd would);
- redis-empty: Redis killed and restarted empty while briefings are queued and rendering;
- redis-hung: Redis stopped (SIGSTOP) for 15 s, then continued;
- postgres: every database connection of the workers cut, and refused for 8 s, mid-render;
- disk-full: MEDIA_ROOT on a 2 MiB tmpfs, filled for 20 s while briefings store (needs root).

For each it prints: briefings built once, lost (not finished at the end), duplicated (recorded as
succeeded twice), orphaned files (in storage, recorded by none, before the files sweep), attempts spent
(failures and lost workers over all briefings), and recovery: seconds from each fault to the next
attempt of the briefing it interrupted (the storm), or from the end of the outage until the first
briefing finished after it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
AGENCIES = ["dhs", "ice", "usps", "uspis", "white-house"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--briefings", type=int, default=60)
    parser.add_argument("--kills", type=int, default=22)
    parser.add_argument(
        "--only", nargs="+", choices=["storm", "redis-empty", "redis-hung", "postgres", "disk-full"]
    )
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    random.seed(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="oversight-faults-"))
    bench = Bench(folder)
    results = {}
    try:
        bench.setup()
        phases = args.only or ["storm", "redis-empty", "redis-hung", "postgres", "disk-full"]
        for phase in phases:
            print(f"--- {phase}", flush=True)
            results[phase] = getattr(bench, phase.replace("-", "_"))(args)
            print(json.dumps(results[phase]), flush=True)
    finally:
        bench.stop()
    print(
        "\nfault        briefings  built once  lost  duplicated  orphaned  failures  workers lost  recovery s (median / max)"
    )
    for phase, r in results.items():
        rec = r.get("recovery_s") or []
        shown = f"{median(rec):.1f} / {max(rec):.1f}" if rec else "-"
        print(
            f"{phase:12} {r['briefings']:9}  {r['built_once']:10}  {r['lost']:4}  {r['duplicated']:10}  "
            f"{r['orphaned']:8}  {r['failures']:8}  {r['workers_lost']:12}  {shown}"
        )
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\n{folder / 'results.json'}")


class Bench:
    def __init__(self, folder: Path):
        self.folder = folder
        self.workers: dict[str, subprocess.Popen] = {}
        self.media = folder / "media"
        self.media.mkdir()

    # --- setup ------------------------------------------------------------------------------------

    def setup(self) -> None:
        from bench.fault_proxy import FaultProxy
        from bench.redis_server import RedisServer

        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (it is emptied).")
        parts = urlsplit(url)
        self.proxy = FaultProxy(parts.port or 5432, parts.hostname or "127.0.0.1")
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@127.0.0.1:{self.proxy.port}"
        self.redis = RedisServer(self.folder)
        self.redis.start()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "BRIEFING_"))},
            "DJANGO_SETTINGS_MODULE": "oversight.test_settings",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": self.redis.url,
            "OVERSIGHT_VAR_DIR": str(self.folder / "var"),
            "DJANGO_MEDIA_ROOT": str(self.media),
            "PYTHONUNBUFFERED": "1",
        }
        self.worker_env = self.env | {"DATABASE_URL": urlunsplit(parts._replace(netloc=netloc))}
        self.manage("flush", "--no-input")
        self.manage("migrate", "--no-input")
        self.manage("load_seeds")
        os.environ.update(
            {k: self.env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL")}
        )
        os.environ["DJANGO_MEDIA_ROOT"] = str(self.media)
        os.environ["OVERSIGHT_VAR_DIR"] = str(self.folder / "var")
        import django

        django.setup()
        for name in ("w1", "w2"):
            self.start_worker(name)
        self.beat = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "oversight",
                "beat",
                "--schedule",
                str(self.folder / "beat"),
            ],
            cwd=BASE_DIR,
            env=self.worker_env,
            stdout=(self.folder / "beat.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.scopes = [
            list(combo)
            for size in range(1, len(AGENCIES) + 1)
            for combo in itertools.combinations(AGENCIES, size)
        ]
        self.asked = 0

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True, capture_output=True
        )

    def start_worker(self, name: str) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "oversight",
            "worker",
            "-n",
            f"{name}@%h",
            "-Q",
            "briefings,celery",
        ]
        command += [
            "--loglevel=INFO",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
        ]
        self.workers[name] = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env=self.worker_env,
            stdout=(self.folder / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_worker(self, name: str) -> None:
        process = self.workers[name]
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for name in list(self.workers):
            self.kill_worker(name)
        if getattr(self, "beat", None) is not None and self.beat.poll() is None:
            os.killpg(self.beat.pid, signal.SIGKILL)
        if getattr(self, "redis", None) is not None:
            self.redis.stop()
        if getattr(self, "proxy", None) is not None:
            self.proxy.close()

    # --- asking and counting ------------------------------------------------------------------------

    def ask(self, count: int) -> list[int]:
        from agencies.briefings import services

        ids = []
        for _ in range(count):
            scope = self.scopes[self.asked % len(self.scopes)]
            audience = "public" if (self.asked // len(self.scopes)) % 2 == 0 else "internal"
            self.asked += 1
            try:
                briefing, _ = services.briefing_request(
                    actor=None, scope={"agencies": scope}, audience=audience
                )
            except Exception as exc:  # noqa: BLE001 - the database may be the fault under test
                print(f"request failed: {exc!r}", flush=True)
                continue
            ids.append(briefing.pk)
        return ids

    def wait_finished(self, ids: list[int], timeout: float = 900) -> None:
        from django.db import close_old_connections

        from agencies.models import Briefing, BriefingStatus

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            close_old_connections()
            left = Briefing.objects.filter(
                pk__in=ids, status__in=[BriefingStatus.QUEUED, BriefingStatus.RUNNING]
            )
            if not left.exists():
                return
            time.sleep(1)

    def tally(self, ids: list[int], recovery: list[float]) -> dict:
        from agencies.briefings.sweep import briefing_files_sweep
        from agencies.models import Briefing, BriefingStatus

        rows = list(Briefing.objects.filter(pk__in=ids))
        succeeded = {
            b.pk: sum(
                r.startswith("succeeded") for r in b.history.values_list("history_change_reason", flat=True)
            )
            for b in rows
        }
        recorded = {b.file.name for b in Briefing.objects.exclude(file="")}
        files = {str(p.relative_to(self.media)) for p in (self.media / "briefings").rglob("*.pdf")}
        unfinished = [b for b in rows if b.status in (BriefingStatus.QUEUED, BriefingStatus.RUNNING)]
        partial = [p for p in (self.media / "briefings").rglob("*") if p.is_file() and p.stat().st_size == 0]
        return {
            "briefings": len(ids),
            "built_once": sum(
                1 for b in rows if b.status == BriefingStatus.SUCCEEDED and succeeded[b.pk] == 1
            ),
            "failed": [(b.pk, b.error) for b in rows if b.status == BriefingStatus.FAILED],
            "lost": len(unfinished) + (len(ids) - len(rows)),
            "duplicated": sum(1 for n in succeeded.values() if n > 1),
            "orphaned": len(files - recorded),
            "empty_files": len(partial),
            "swept": briefing_files_sweep(),
            "failures": sum(b.failures for b in rows),
            "workers_lost": sum(b.workers_lost for b in rows),
            "attempts": sum(b.attempts for b in rows),
            "recovery_s": [round(r, 1) for r in recovery],
        }

    def _next_attempt_after(
        self, briefing_id: int, attempt: int, since: float, timeout: float = 300
    ) -> float | None:
        """Seconds from `since` (a wall-clock time) until attempt `attempt + 1` of the briefing started,
        or it finished without one (another worker had it)."""
        from django.db import close_old_connections

        from agencies.models import Briefing

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            close_old_connections()
            row = Briefing.objects.filter(pk=briefing_id).first()
            if row is None:
                return None
            if row.attempts > attempt and row.started_at is not None:
                return max(0.0, row.started_at.timestamp() - since)
            time.sleep(0.2)
        return None

    def _running(self, worker: str):
        from django.db import close_old_connections

        from agencies.models import Briefing, BriefingStatus

        close_old_connections()
        return Briefing.objects.filter(status=BriefingStatus.RUNNING, worker__startswith=f"{worker}@").first()

    def _children(self, pid: int) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    # --- the phases -----------------------------------------------------------------------------------

    def storm(self, args) -> dict:
        ids = self.ask(args.briefings)
        kills: list[tuple[int, int, float, str]] = []
        while len(kills) < args.kills:
            time.sleep(random.uniform(2, 6))
            name = random.choice(list(self.workers))
            running = self._running(name)
            if running is None:
                if not self._unfinished(ids):
                    break
                continue
            whole = random.random() < 0.35
            killed_at = time.time()
            if whole:
                self.kill_worker(name)
            else:
                children = self._children(self.workers[name].pid)
                if not children:
                    continue
                os.kill(random.choice(children), signal.SIGKILL)
            kills.append((running.pk, running.attempts, killed_at, "worker" if whole else "child"))
            print(f"kill {len(kills)}: {kills[-1][3]} {name} under briefing {running.pk}", flush=True)
            if whole:
                time.sleep(2)  # as systemd would restart it
                self.start_worker(name)
        self.wait_finished(ids)
        back, restarted = self._recovery(kills)
        result = self.tally(ids, restarted)
        result["kills"] = {kind: sum(1 for k in kills if k[3] == kind) for kind in ("child", "worker")}
        result["back_in_queue_s"] = {
            kind: [round(b, 1) for b, k in zip(back, kills, strict=True) if k[3] == kind and b is not None]
            for kind in ("child", "worker")
        }
        return result

    def _unfinished(self, ids: list[int]) -> bool:
        from agencies.models import Briefing, BriefingStatus

        return Briefing.objects.filter(
            pk__in=ids, status__in=[BriefingStatus.QUEUED, BriefingStatus.RUNNING]
        ).exists()

    def _recovery(self, kills) -> tuple[list[float | None], list[float]]:
        """From each briefing's history: seconds from each kill until the briefing was back in the
        queue (its worker's loss recorded), and until its next attempt started."""
        from agencies.models import Briefing

        back: list[float | None] = []
        restarted: list[float] = []
        for pk, attempt, killed_at, _kind in kills:
            rows = list(
                Briefing.history.filter(id=pk)
                .order_by("history_id")
                .values_list("history_date", "history_change_reason", "attempts")
            )
            after = [(date.timestamp() - killed_at, reason, n) for date, reason, n in rows]
            marks = (
                f"attempt {attempt}: worker process died",
                "rescued from",
                "gave up",
                f"attempt {attempt + 1} started",
            )
            given_back = next((t for t, reason, _n in after if t >= -0.5 and reason.startswith(marks)), None)
            started = next(
                (t for t, reason, n in after if reason.startswith(f"attempt {attempt + 1} started")), None
            )
            back.append(max(0.0, given_back) if given_back is not None else None)
            if started is not None:
                restarted.append(max(0.0, started))
        return back, restarted

    def _outage(self, ids: list[int], start, end, seconds: float) -> list[float]:
        from django.db import close_old_connections

        from agencies.models import Briefing

        time.sleep(3)  # renders under way
        start()
        time.sleep(seconds)
        end()
        back = time.time()
        self.wait_finished(ids)
        close_old_connections()
        finished = [b.finished_at.timestamp() for b in Briefing.objects.filter(pk__in=ids) if b.finished_at]
        # Seconds from the service's return until every briefing asked was finished.
        return [max(0.0, max(finished) - back)] if finished else []

    def redis_empty(self, args) -> dict:
        ids = self.ask(8)
        recovery = self._outage(ids, self.redis.stop, self.redis.start, 5)
        self.wait_finished(ids)
        return self.tally(ids, recovery)

    def redis_hung(self, args) -> dict:
        ids = self.ask(8)
        recovery = self._outage(
            ids,
            lambda: os.kill(self.redis.process.pid, signal.SIGSTOP),
            lambda: os.kill(self.redis.process.pid, signal.SIGCONT),
            15,
        )
        self.wait_finished(ids)
        return self.tally(ids, recovery)

    def postgres(self, args) -> dict:
        ids = self.ask(8)

        def down():
            self.proxy.mode = "refuse"
            self.proxy.cut()

        def up():
            self.proxy.mode = "pass"

        recovery = self._outage(ids, down, up, 8)
        self.wait_finished(ids)
        return self.tally(ids, recovery)

    def disk_full(self, args) -> dict:
        if os.geteuid() != 0:
            return {"skipped": "needs root for a tmpfs"} | self.tally([], [])
        small = self.folder / "small"
        small.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], check=True)
        try:
            # Move the media folder onto the small disk for the workers (a symlink: same settings).
            for pdf in list((self.media / "briefings").rglob("*.pdf")):
                pdf.unlink()
            (self.media / "briefings").rename(self.folder / "briefings-before")
            (small / "briefings").mkdir()
            (self.media / "briefings").symlink_to(small / "briefings")
            filler = small / "filler"
            ids = self.ask(6)

            def fill():
                with filler.open("wb") as handle:
                    try:
                        while True:
                            handle.write(b"\0" * 65536)
                    except OSError:
                        pass

            recovery = self._outage(ids, fill, filler.unlink, 20)
            self.wait_finished(ids)
            return self.tally(ids, recovery)
        finally:
            subprocess.run(["umount", "-l", str(small)], check=False)


def _aware(timestamp: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC)


if __name__ == "__main__":
    main()
