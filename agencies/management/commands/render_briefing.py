"""Render a briefing here and now, through the same code path as the worker, and write the PDF."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.briefings.services import briefing_render_now
from agencies.management.commands._briefing import (
    actor_from_options,
    add_scope_arguments,
    briefing_save_pdf,
    check_output,
    scope_from_options,
)
from agencies.models import BriefingStatus


class Command(BaseCommand):
    help = "Render a briefing synchronously (no worker needed) and write its PDF to --output."

    def add_arguments(self, parser):
        add_scope_arguments(parser)
        parser.add_argument("--output", required=True, help="Where to write the PDF.")

    def handle(self, *args, **options):
        scope = scope_from_options(options)
        actor = actor_from_options(options)
        check_output(options["output"])
        try:
            briefing = briefing_render_now(
                actor=actor, scope=scope, audience=options["audience"], page_size=options["page_size"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        if briefing.status != BriefingStatus.SUCCEEDED:
            raise CommandError(f"Briefing #{briefing.pk} failed: {briefing.error or briefing.status}")
        briefing_save_pdf(briefing, options["output"])
        self.stdout.write(
            f"Briefing #{briefing.pk}: {briefing.page_count} pages, {briefing.size} bytes, "
            f"written to {options['output']}"
        )
