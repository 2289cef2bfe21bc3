"""Remove briefing files no briefing records (beat runs the same sweep every BRIEFING_FILES_SWEEP_SECONDS)."""

from django.core.management.base import BaseCommand

from agencies.briefings.sweep import briefing_files_sweep


class Command(BaseCommand):
    help = "Remove files under briefings/ in storage that no briefing records, and say how many."

    def handle(self, *args, **options):
        removed = briefing_files_sweep()
        noun = "file" if removed == 1 else "files"
        self.stdout.write(f"Removed {removed} {noun} that no briefing records.")
