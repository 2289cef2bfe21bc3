import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.dossier import dossier_dump, dossier_export


class Command(BaseCommand):
    help = (
        "Export the whole record as a dossier: YAML, or JSON when the output ends in .json. "
        "Public by default (no confidential notes); --internal includes them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="PATH", help="Write here instead of standard output.")
        parser.add_argument(
            "--internal",
            action="store_true",
            help="Include sources' confidential notes. Keep the file private.",
        )
        parser.add_argument(
            "--format", dest="fmt", choices=["yaml", "json"], help="Override the format the path implies."
        )

    def handle(self, *args, output, internal, fmt, **options):
        fmt = fmt or ("json" if output and output.lower().endswith(".json") else "yaml")
        text = dossier_dump(dossier_export(internal=internal), fmt)
        if not output:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        try:
            # Write beside the target, then rename: a failed export never leaves half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                # An internal export names confidential sources: readable by its owner only.
                os.chmod(tmp, 0o600 if internal else 0o666 & ~_umask())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise CommandError(f"cannot write {output!r}: {exc.strerror or exc}") from None
        self.stdout.write(f"Exported to {output} ({'internal' if internal else 'public'}, {fmt}).")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
