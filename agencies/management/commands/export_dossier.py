import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agencies.core import permissions
from agencies.exchange import dossier_stream


class Command(BaseCommand):
    help = (
        "Export the whole record as a dossier: YAML, or JSON when the output ends in .json. "
        "Public by default (no confidential notes); --internal includes them, for a --user allowed to "
        "see them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="PATH", help="Write here instead of standard output.")
        parser.add_argument(
            "--internal",
            action="store_true",
            help="Include sources' confidential notes (needs --user). Keep the file private.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Export as this user, who must be allowed to publish (editor) and, for --internal, "
            "to see confidential notes. Without it only a public export is made.",
        )
        parser.add_argument(
            "--format", dest="fmt", choices=["yaml", "json"], help="Override the format the path implies."
        )

    def handle(self, *args, output, internal, fmt, user, **options):
        _check_allowed(username=user, internal=internal)
        fmt = fmt or ("json" if output and output.lower().endswith(".json") else "yaml")
        # Written as it is read: a record of millions of claims is never held whole.
        chunks = dossier_stream(internal=internal, fmt=fmt)
        if not output:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        path = Path(output)
        try:
            # Write beside the target, then rename: a failed export never leaves half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.writelines(chunks)
                # An internal export names confidential sources: readable by its owner only.
                os.chmod(tmp, 0o600 if internal else 0o666 & ~_umask())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise CommandError(f"cannot write {output!r}: {exc.strerror or exc}") from None
        self.stdout.write(f"Exported to {output} ({'internal' if internal else 'public'}, {fmt}).")


def _check_allowed(*, username: str | None, internal: bool) -> None:
    """Whoever runs the command can read the database already; naming sources needs a named user."""
    if username is None:
        if internal:
            raise CommandError(
                "--internal names confidential sources: give --user USERNAME, a user allowed to see them."
            )
        return
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"No active user {username!r}.")
    if not permissions.can_export(user, internal=internal):
        needs = "publish and see confidential notes" if internal else "publish (editors)"
        raise CommandError(f"{username} may not export the record: it needs permission to {needs}.")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
