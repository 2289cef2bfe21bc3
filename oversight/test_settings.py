"""Settings for the test suite: the environment's, with throwaway keys and a fast hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "oversight-tests-only-not-a-secret")
# Base64 of "oversight-tests-only-not-secret!": a Fernet key for tests only.
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "b3ZlcnNpZ2h0LXRlc3RzLW9ubHktbm90LXNlY3JldCE=")
# The test client and the live server speak plain HTTP; production's HTTPS settings are checked by
# tests/trust/test_deploy.py in a subprocess with production's environment.
os.environ.setdefault("DJANGO_HTTPS", "0")

from oversight.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Production's hashed manifest is tested apart (tests/trust/test_deploy.py).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# django-axes needs a request in every authenticate(), which client.login() does not pass; the
# lockout tests (tests/trust/test_lockout.py) switch it on.
AXES_ENABLED = False
# Static files from the apps' folders, as when debugging: no collectstatic before the tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The integration tests start real workers that render with a stand-in (one that stalls, one that
# kills its process), named by dotted path in BRIEFING_TEST_RENDERER: each worker process swaps it
# in for the real render as it starts. Production has no such switch.
BRIEFING_TEST_RENDERER = os.environ.get("BRIEFING_TEST_RENDERER", "")
if BRIEFING_TEST_RENDERER:
    from celery.signals import worker_process_init

    def _swap_renderer(**_kwargs) -> None:
        from django.utils.module_loading import import_string

        from agencies.briefings import render

        render.briefing_render = import_string(BRIEFING_TEST_RENDERER)

    worker_process_init.connect(_swap_renderer, weak=False)
