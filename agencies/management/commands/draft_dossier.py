import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.exchange import dossier_dump
from agencies.intake import KnownRecord, propose

MAX_BYTES = 2 * 1024 * 1024
SUFFIXES = {".txt", ".text", ".html", ".htm"}


class Command(BaseCommand):
    help = (
        "Propose a draft dossier from an article (.txt or .html: a headline, then the byline, outlet and "
        "date lines as copied from a page, then the paragraphs). Entities already in the record keep their "
        "ids; nothing is written to the record. Review the draft, then import it with import_dossier."
    )

    def add_arguments(self, parser):
        parser.add_argument("article", help="The article: a .txt or .html file, UTF-8.")
        parser.add_argument(
            "--output", "-o", metavar="PATH", help="Write the draft here (YAML; JSON if .json)."
        )
        parser.add_argument(
            "--outlet", help="The outlet, when the text does not say (a name or an outlet id)."
        )
        parser.add_argument(
            "--published", metavar="DATE", help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD."
        )
        parser.add_argument("--url", help="The article's address.")
        parser.add_argument(
            "--no-record", action="store_true", help="Match against nothing: every entity is proposed as new."
        )

    def handle(self, *args, article, output, outlet, published, url, no_record, **options):
        text = _read(article)
        known = KnownRecord.empty() if no_record else KnownRecord.from_database()
        try:
            draft = propose(text, outlet=outlet, published=published, url=url, known=known)
        except ValueError as exc:
            raise CommandError(f"--{exc}") from None
        fmt = "json" if output and output.lower().endswith(".json") else "yaml"
        body = dossier_dump(draft.dossier, fmt)
        if fmt == "yaml":
            body = _header(draft, article) + body
        if not output:
            self.stdout.write(body, ending="")
            return
        _write(Path(output), body)
        questions = len(draft.questions)
        self.stdout.write(
            f"Draft written to {output}: {len(draft.proposals)} proposals, {questions} question"
            f"{'s' if questions != 1 else ''} for the researcher (at the top of the file)."
        )


def _read(path: str) -> str:
    file = Path(path)
    if file.suffix.lower() not in SUFFIXES:
        raise CommandError(f"{path}: expected a .txt or .html file")
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise CommandError(f"{path}: larger than {MAX_BYTES // 2**20} MiB, refused")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    if "\x00" in text:
        raise CommandError(f"{path}: contains a NUL character")
    if not text.strip():
        raise CommandError(f"{path}: the file is empty")
    return text


def _header(draft, article: str) -> str:
    """YAML comments above the draft: what is matched to the record, and the questions."""
    lines = [f"# Draft dossier proposed from {Path(article).name}: review it before importing."]
    matched = [p for p in draft.proposals if p.match]
    if matched:
        lines.append("# Already in the record (kept under their ids):")
        lines += [f"#   {p.section}: {p.key}" for p in matched]
    if draft.questions:
        lines.append("# Questions for the researcher:")
        for p in draft.questions:
            question = " ".join(p.question.split())
            lines.append(f"#   {p.section} {p.key}: {question}")
    return "\n".join(lines) + "\n"


def _write(path: Path, body: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)  # mkstemp's 0600 is for secrets; a draft is not one
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
