"""What render_briefing and request_briefing share: the scope and user options, and writing the PDF.

Not a command itself (Django skips modules whose names begin with an underscore).
"""

import os
import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from agencies.models import Briefing, BriefingAudience, BriefingPageSize


def add_scope_arguments(parser) -> None:
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--agency",
        action="append",
        metavar="ACRONYM",
        help="An agency by acronym or id, sub-agencies included; repeat for several.",
    )
    scope.add_argument(
        "--filter", metavar="QUERYSTRING", help="Claims chosen by the claims filter's query string."
    )
    parser.add_argument("--audience", choices=BriefingAudience.values, default=BriefingAudience.PUBLIC)
    parser.add_argument(
        "--page-size",
        choices=BriefingPageSize.values,
        help="The paper to lay it out for (default: the BRIEFING_PAGE_SIZE setting).",
    )
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="Ask as this user (recorded as the requester); needed for --audience internal.",
    )


def actor_from_options(options: dict):
    """Whoever runs the command can read the database already; naming sources needs a named user."""
    username = options["user"]
    if username is None:
        if options["audience"] == BriefingAudience.INTERNAL:
            raise CommandError(
                "An internal briefing names confidential sources: give --user USERNAME, "
                "a user allowed to see them."
            )
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


def scope_from_options(options: dict) -> dict:
    """The scope as typed; briefing_request and briefing_render_now check it against the record."""
    if options["agency"]:
        return {"agencies": options["agency"]}
    return {"filter": options["filter"]}


def check_output(output: str) -> None:
    """Refuse before a render that may take minutes, not after it."""
    folder = Path(output).resolve().parent
    if not folder.is_dir():
        raise CommandError(f"Cannot write {output}: there is no folder {folder}.")


def briefing_save_pdf(briefing: Briefing, output: str) -> None:
    """Write the PDF to `output`; an internal one (it names confidential sources) readable by its owner
    only, whatever the umask or the mode of a file it replaces."""
    private = briefing.audience == BriefingAudience.INTERNAL
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        if private:
            os.fchmod(descriptor, 0o600)  # before a byte is written
        with os.fdopen(descriptor, "wb") as out, briefing.file.open("rb") as pdf:
            shutil.copyfileobj(pdf, out)
    except OSError as exc:
        raise CommandError(f"Could not write {output}: {exc.strerror or exc}") from exc
