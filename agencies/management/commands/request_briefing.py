"""Queue a briefing for the workers and print its id; --wait follows it and writes the PDF."""

import argparse
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from agencies.briefings.errors import infrastructure_cause
from agencies.briefings.services import QUEUE_UNREACHABLE, briefing_request
from agencies.management.commands._briefing import (
    actor_from_options,
    add_scope_arguments,
    briefing_save_pdf,
    check_output,
    scope_from_options,
)
from agencies.models import Briefing, BriefingStatus


class Command(BaseCommand):
    help = (
        "Queue a briefing and print its id. With --wait, wait for the worker and write the PDF to "
        "--output; exit non-zero if it failed."
    )

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--wait", action="store_true", help="Wait until the briefing is finished.")
        parser.add_argument("--output", help="With --wait: where to write the PDF.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=1800,
            help="With --wait: give up waiting after this many seconds.",
        )
        parser.add_argument("--poll", type=float, default=1.0, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        try:
            self._handle(options)
        except DatabaseError as exc:
            # One line that names the cause, not a traceback.
            cause = infrastructure_cause(exc) or f"the database failed ({type(exc).__name__})"
            raise CommandError(
                f"Cannot ask for a briefing: {cause}. Is PostgreSQL running, and DATABASE_URL right?"
            ) from exc

    def _handle(self, options):
        if options["output"] and not options["wait"]:
            raise CommandError("--output needs --wait: without it the briefing may not be built yet.")
        scope = scope_from_options(options)
        actor = actor_from_options(options)
        if options["output"]:
            check_output(options["output"])
        try:
            briefing, published = briefing_request(
                actor=actor, scope=scope, audience=options["audience"], page_size=options["page_size"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(briefing.pk))
        if not published:
            self.stderr.write(f"Briefing #{briefing.pk} {QUEUE_UNREACHABLE}")
        if not options["wait"]:
            return
        briefing = self._wait(briefing, timeout=options["timeout"], poll=options["poll"])
        if briefing.status == BriefingStatus.FAILED:
            raise CommandError(f"Briefing #{briefing.pk} failed: {briefing.error}")
        if options["output"]:
            briefing_save_pdf(briefing, options["output"])
            self.stderr.write(
                f"Briefing #{briefing.pk}: {briefing.page_count} pages, written to {options['output']}"
            )

    def _wait(self, briefing: Briefing, *, timeout: float, poll: float) -> Briefing:
        deadline = time.monotonic() + timeout
        shown = None
        while not briefing.is_finished:
            now_showing = (briefing.status, briefing.stage, briefing.progress)
            if now_showing != shown:
                self.stderr.write(
                    f"Briefing #{briefing.pk}: {briefing.status}, {briefing.stage} {briefing.progress}%"
                )
                shown = now_showing
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Briefing #{briefing.pk} is still {briefing.status} after {timeout:g} seconds; "
                    "it goes on, and its admin page will show when it is done."
                )
            time.sleep(poll)
            briefing = Briefing.objects.get(pk=briefing.pk)
        return briefing
