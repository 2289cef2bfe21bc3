"""Briefing PDFs on disk are their owner's only: an internal one names confidential sources.

Before, media files were written 0644 in 0755 folders and `render_briefing --output` wrote 0644:
anyone with a shell on the machine could read who the anonymous sources are.
"""

import io
import os
import stat
from pathlib import Path

from django.conf import settings as live_settings
from django.core.management import call_command

from agencies.core import services
from agencies.models import Briefing
from tests.briefings.job_support import agency_with_claim, in_process_fixture, script_fixture  # noqa: F401
from tests.factories import UserFactory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def render(*args: str) -> None:
    call_command("render_briefing", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_settings_make_media_files_their_owners_only():
    assert live_settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert live_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


def test_an_internal_briefing_is_readable_by_its_owner_only(script, tmp_path):
    agency_with_claim()
    editor = UserFactory(username="ed")
    services.user_set_role(actor=None, user=editor, role="editor", confidential=True)
    output = tmp_path / "internal.pdf"
    output.write_bytes(b"an older copy")
    output.chmod(0o644)  # left by someone else's umask: tightened, not trusted
    old_umask = os.umask(0o022)
    try:
        render("--agency", "uspis", "--audience", "internal", "--user", "ed", "--output", str(output))
    finally:
        os.umask(old_umask)
    assert output.read_bytes().startswith(b"%PDF")
    assert mode(output) == 0o600

    briefing = Briefing.objects.get()
    stored = Path(briefing.file.path)
    assert mode(stored) == 0o600
    media = Path(live_settings.MEDIA_ROOT)
    folder = stored.parent
    while True:
        assert mode(folder) == 0o700, folder
        if folder == media:
            break
        folder = folder.parent


def test_a_public_briefing_is_written_as_the_umask_says(script, tmp_path):
    agency_with_claim()
    output = tmp_path / "public.pdf"
    old_umask = os.umask(0o022)
    try:
        render("--agency", "uspis", "--output", str(output))
    finally:
        os.umask(old_umask)
    assert mode(output) == 0o644  # for sharing; the stored copy stays private all the same
    assert mode(Path(Briefing.objects.get().file.path)) == 0o600
