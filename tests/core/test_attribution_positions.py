"""A claim's attribution lines are numbered once each: concurrent adds never share a position."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction

from agencies import models as m
from agencies.core import services
from tests import factories as f
from tests.conftest import require_service

# Safety net only, never a measurement: a broken lock shows up as a failed assertion, not a wait.
STUCK = 60


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", [pid]
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_adds_on_one_claim_get_distinct_positions(monkeypatch):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    claim = f.ClaimFactory()
    f.AttributionFactory(claim=claim)  # position 0
    documents = [f.DocumentFactory(), f.DocumentFactory()]
    origin = f.SourceFactory()

    # The first add stops after it has read the claim's last position, until the second has started.
    first_read, go_on = threading.Event(), threading.Event()
    full_clean = m.Attribution.full_clean

    def paused_full_clean(self, *args, **kwargs):
        if self.document_id == documents[0].pk:
            first_read.set()
            go_on.wait(STUCK)
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(m.Attribution, "full_clean", paused_full_clean)
    results, pids = {}, {}

    def add(document):
        try:
            own = connections["default"]  # this thread's connection
            own.ensure_connection()
            pids[document.pk] = own.connection.info.backend_pid
            results[document.pk] = services.attribution_create(
                actor=None, claim=claim, document=document, origin=origin
            ).position
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[document.pk] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=add, args=(documents[0],))
    first.start()
    assert first_read.wait(STUCK)
    second = threading.Thread(target=add, args=(documents[1],))
    second.start()
    # Until the second is held by the first's lock on the claim (or, without the lock, has finished).
    for _ in range(STUCK * 20):
        if not second.is_alive() or (documents[1].pk in pids and _waiting_on_a_lock(pids[documents[1].pk])):
            break
        time.sleep(0.05)
    go_on.set()
    first.join(STUCK)
    second.join(STUCK)
    assert results == {documents[0].pk: 1, documents[1].pk: 2}
    positions = list(m.Attribution.objects.filter(claim=claim).order_by("position").values_list("position"))
    assert positions == [(0,), (1,), (2,)]


@pytest.mark.django_db
def test_the_database_refuses_a_second_line_at_a_position():
    line = f.AttributionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Attribution.objects.create(
            claim=line.claim, document=line.document, origin=line.origin, position=line.position
        )


@pytest.mark.django_db
def test_attribution_create_numbers_lines_in_order():
    claim = f.ClaimFactory()
    added = [
        services.attribution_create(
            actor=None, claim=claim, document=f.DocumentFactory(), origin=f.SourceFactory()
        )
        for _ in range(3)
    ]
    assert [line.position for line in added] == [0, 1, 2]
