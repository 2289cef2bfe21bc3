"""The workers' settings in the fault tests: the test settings, and storage that misbehaves on cue."""

import os

from oversight.test_settings import *  # noqa: F403

if os.environ.get("OVERSIGHT_TEST_STALL_AFTER_WRITE"):
    STORAGES = {  # noqa: F405
        **STORAGES,  # noqa: F405
        "default": {"BACKEND": "tests.integration.storage_faults.StallAfterWrite"},
    }
