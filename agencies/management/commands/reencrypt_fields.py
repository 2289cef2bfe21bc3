"""Re-encrypt every encrypted value with the newest key: the step between adding a key and dropping one."""

from django.core.management.base import BaseCommand

from agencies.core import services


class Command(BaseCommand):
    help = (
        "Re-encrypt confidential fields (history included) with the first key in FIELD_ENCRYPTION_KEY. "
        "Run it after putting a new key first; then the old keys can be removed."
    )

    def handle(self, *args, **options):
        total = services.encrypted_values_rotate()
        self.stdout.write(f"Re-encrypted {total} value{'s' if total != 1 else ''} with the newest key.")
