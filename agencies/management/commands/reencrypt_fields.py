"""Re-encrypt every encrypted value with the newest key: the step between adding a key and dropping one."""

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies.fields import encrypted_fields

BATCH = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt confidential fields (history included) with the first key in FIELD_ENCRYPTION_KEY. "
        "Run it after putting a new key first; then the old keys can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for model, field in encrypted_fields():
                manager = model._base_manager
                pks = list(manager.filter(**{f"{field.attname}__isnull": False}).values_list("pk", flat=True))
                for start in range(0, len(pks), BATCH):
                    # Reading decrypts with whichever key opens a value; writing encrypts with the first.
                    # bulk_update sends no signals: no history row and no new updated_at for a rotation.
                    rows = list(manager.filter(pk__in=pks[start : start + BATCH]).only("pk", field.attname))
                    manager.bulk_update(rows, [field.attname])
                    total += len(rows)
        self.stdout.write(f"Re-encrypted {total} value{'s' if total != 1 else ''} with the newest key.")
