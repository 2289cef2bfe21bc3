"""Storage that misbehaves on cue, loaded by the workers of the fault tests (worker_settings.py)."""

import os
import time
from pathlib import Path

from django.core.files.storage import FileSystemStorage


class StallAfterWrite(FileSystemStorage):
    """The first file written anywhere is written whole, then the writer stalls before it can record
    it: the moment a worker is killed in, between the file and its row."""

    def _save(self, name, content):
        name = super()._save(name, content)
        marker = Path(os.environ["OVERSIGHT_TEST_STALL_AFTER_WRITE"])
        if not marker.exists():
            marker.write_text(name)
            time.sleep(120)
        return name
