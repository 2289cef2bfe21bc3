"""Debug pages: never on in a production that follows the README, and never showing a password.

Before, the Makefile's `.env` (DJANGO_DEBUG=1) turned debug on whenever DJANGO_DEBUG was left unset,
as the README tells production to leave it; and the debug page showed CELERY_BROKER_URL's password.
"""

import secrets
import subprocess
import sys

from django.views.debug import technical_500_response

from tests.trust import test_deploy
from tests.trust.test_deploy import MANAGE, ROOT, run

production_env = test_deploy.production_env
# Made up here, so that the page's source excerpts of this file cannot show them either.
BROKER, DB, MIRROR, FRAME = (f"pw-{secrets.token_hex(6)}" for _ in range(4))
SHOW_DEBUG = "from django.conf import settings; print('DEBUG', settings.DEBUG)"


def debug_of(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("DEBUG ")][-1]


def test_a_dot_env_with_debug_cannot_turn_debug_on(production_env, tmp_path):
    dot_env = tmp_path / ".env"
    dot_env.write_text("DJANGO_DEBUG=1\nDJANGO_LOG_LEVEL=WARNING\n")
    env = {k: v for k, v in production_env.items() if k != "DJANGO_DEBUG"} | {
        "OVERSIGHT_ENV_FILE": str(dot_env)
    }
    result = run([MANAGE, "shell", "-c", SHOW_DEBUG], env)
    assert debug_of(result) == "DEBUG False"
    assert f"DJANGO_DEBUG in {dot_env} is ignored" in result.stderr
    # The environment still decides, both ways; the file's other variables still count.
    assert debug_of(run([MANAGE, "shell", "-c", SHOW_DEBUG], env | {"DJANGO_DEBUG": "1"})) == "DEBUG True"
    assert debug_of(run([MANAGE, "shell", "-c", SHOW_DEBUG], env | {"DJANGO_DEBUG": "0"})) == "DEBUG False"
    level = "from django.conf import settings; print('DEBUG', settings.LOGGING['root']['level'])"
    assert debug_of(run([MANAGE, "shell", "-c", level], env)) == "DEBUG WARNING"


def test_the_makefile_sets_debug_for_local_targets_and_never_writes_it_to_dot_env(tmp_path):
    made = subprocess.run(  # noqa: S603
        ["make", "-C", str(tmp_path), "-f", str(ROOT / "Makefile"), ".env"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert "DJANGO_DEBUG=" not in (tmp_path / ".env").read_text()
    planned = subprocess.run(  # noqa: S603
        ["make", "-n", "-C", str(ROOT), "run", "worker"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    commands = [line for line in planned.stdout.splitlines() if "manage.py" in line or "celery" in line]
    assert any("runserver" in line for line in commands)
    assert all(line.startswith("DJANGO_DEBUG=${DJANGO_DEBUG:-1} ") for line in commands), commands


def _debug_page(rf, settings) -> str:
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = f"redis://:{BROKER}@127.0.0.1:6379/0"
    settings.OVERSIGHT_MIRROR_URL = f"https://mirror:{MIRROR}@example.org/path?x=1"
    # runserver copies the environment into request.META.
    request = rf.get("/claims/", DATABASE_URL=f"postgres://oversight:{DB}@127.0.0.1:5432/oversight")
    broker = f"amqp://guest:{FRAME}@localhost//"  # noqa: F841 - a local variable in the traceback
    try:
        raise RuntimeError("the broker is down")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


def test_the_debug_page_never_shows_a_url_password(rf, settings):
    page = _debug_page(rf, settings)
    assert "the broker is down" in page  # it is the debug page
    for secret in (BROKER, DB, MIRROR, FRAME):
        assert secret not in page, secret
    # What is left still says where the services are.
    assert "redis://:********************@127.0.0.1:6379/0" in page
    assert "postgres://oversight:********************@127.0.0.1:5432/oversight" in page
    assert "amqp://guest:********************@localhost//" in page


def test_a_url_without_a_password_is_shown_as_it_is(settings):
    from oversight.error_reports import ConfidentialExceptionReporterFilter

    reporter = ConfidentialExceptionReporterFilter()
    for url in ("redis://127.0.0.1:6379/0", "https://example.org/a@b", "mailto:someone@example.org"):
        assert reporter.cleanse_setting("SOME_URL", url) == url
    assert reporter.cleanse_setting("X", {"A": ["s3://k:v@bucket"]}) == {
        "A": ["s3://k:********************@bucket"]
    }
