"""Production by environment alone: `check --deploy` is clean, missing secrets stop the start, and the
production settings serve static files, security headers and a CSP (each in a fresh process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
SECRET_KEY = "x" * 20 + "-deploy-test-only-Q7v!s9#kL2@pZ4&mN8^rT1*wB6(yH3)jD5+cF0=gU"


@pytest.fixture
def production_env(tmp_path):
    """Exactly what the README's Deploying section asks for, and nothing from this checkout's .env."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "oversight.example.org",
        "OVERSIGHT_TRUSTED_PROXIES": "127.0.0.1,::1",  # the proxy on the same machine
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "OVERSIGHT_VAR_DIR": str(tmp_path / "var"),
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def test_check_deploy_is_clean_in_production(production_env):
    result = run([MANAGE, "check", "--deploy", "--fail-level", "WARNING"], production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "variable, message",
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY is not set"),
        ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY is not set"),
    ],
)
def test_production_refuses_to_start_without_a_secret(production_env, variable, message):
    # Empty rather than absent: a local .env could otherwise fill it in.
    env = production_env | {variable: ""}
    result = run([MANAGE, "check"], env)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (Path(env["OVERSIGHT_VAR_DIR"]) / "field_encryption_key").exists()  # no key made up


def test_production_refuses_a_malformed_encryption_key(production_env):
    env = production_env | {"FIELD_ENCRYPTION_KEY": "my-own-password-123"}
    result = run([MANAGE, "check"], env)
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr
    assert "my-own-password-123" not in result.stderr + result.stdout


def test_debug_reads_the_local_keys_make_run_made_and_settings_write_none(production_env):
    env = production_env | {"DJANGO_DEBUG": "1", "FIELD_ENCRYPTION_KEY": "", "DJANGO_SECRET_KEY": ""}
    var = Path(env["OVERSIGHT_VAR_DIR"])
    # Never made: a clear refusal naming what makes them, and nothing written.
    refused = run([MANAGE, "check"], env)
    assert refused.returncode != 0
    assert "`make run` makes the local keys" in refused.stderr
    assert not var.exists()
    made = run(["-m", "oversight.local_keys"], env)  # what `make run` runs first
    assert made.returncode == 0, made.stderr
    key_file = var / "field_encryption_key"
    key = key_file.read_text()
    Fernet(key)  # a valid key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct((var / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert run([MANAGE, "check"], env).returncode == 0
    assert run(["-m", "oversight.local_keys"], env).returncode == 0
    assert key_file.read_text() == key  # kept, or the notes written with it would be lost


SERVE = r"""
import json, django
django.setup()
from django.test import Client
from django.conf import settings
from django.templatetags.static import static

out = {}
plain = Client(HTTP_HOST="oversight.example.org").get("/admin/login/")
out["plain"] = [plain.status_code, plain.get("Location", "")]
client = Client(HTTP_HOST="oversight.example.org", HTTP_X_FORWARDED_PROTO="https")
page = client.get("/admin/login/")
out["login"] = page.status_code
out["headers"] = {k: page.get(k, "") for k in (
    "Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options",
    "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy")}
out["cookies"] = {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"])}
                  for name, c in page.cookies.items()}
css = static("agencies/admin.css")
out["css"] = css
out["css_linked"] = css in page.content.decode()
asset = client.get(css)
out["asset"] = [asset.status_code, asset.get("Cache-Control", ""), asset.get("Content-Type", "")]
out["media"] = client.get("/media/briefings/1/b.pdf").status_code
print(json.dumps(out))
"""


def test_production_serves_hashed_static_files_and_security_headers(production_env):
    collected = run([MANAGE, "collectstatic", "--noinput", "-v", "0"], production_env)
    assert collected.returncode == 0, collected.stderr
    assert any((Path(production_env["DJANGO_STATIC_ROOT"]) / "agencies").glob("admin.*.css"))

    result = run(["-c", SERVE], production_env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["plain"] == [301, "https://oversight.example.org/admin/login/"]
    assert out["login"] == 200
    headers = out["headers"]
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert out["cookies"]["csrftoken"]["secure"]
    # whitenoise: the hashed name, served from the process, cached for good.
    assert out["css"].startswith("/static/agencies/admin.") and out["css"] != "/static/agencies/admin.css"
    assert out["css_linked"]
    assert out["asset"][0] == 200 and "max-age=315360000" in out["asset"][1]
    assert out["asset"][2].startswith("text/css")
    assert out["media"] == 404  # briefing files only through the view that checks permission
