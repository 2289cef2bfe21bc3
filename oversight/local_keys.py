"""Local development keys: made once per checkout under var/ (git-ignored) by `make run`, read by settings.

Settings only read them: `python -m oversight.local_keys` makes what is missing before Django starts
(the Makefile's local targets run it first). Production sets DJANGO_SECRET_KEY and FIELD_ENCRYPTION_KEY
instead. Losing var/ loses the confidential notes encrypted with its key.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Files under var/: names, not keys.
SECRET_KEY_FILE = "secret_key"  # noqa: S105
FIELD_KEY_FILE = "field_encryption_key"
MAKERS = {
    SECRET_KEY_FILE: lambda: secrets.token_urlsafe(50),
    FIELD_KEY_FILE: lambda: Fernet.generate_key().decode(),
}


def env_file() -> Path:
    """The checkout's .env (git-ignored), or OVERSIGHT_ENV_FILE."""
    return Path(os.environ.get("OVERSIGHT_ENV_FILE") or BASE_DIR / ".env")


def var_dir() -> Path:
    """Where local data lives: keys, the SQLite database, briefings, beat's schedule."""
    return Path(os.environ.get("OVERSIGHT_VAR_DIR") or BASE_DIR / "var")


def local_key(name: str) -> str:
    """A key `make run` made, for settings in DEBUG; a clear refusal when it was never made."""
    path = var_dir() / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{path} does not exist: `make run` makes the local keys (or `python -m oversight.local_keys`), "
            "or set DJANGO_SECRET_KEY and FIELD_ENCRYPTION_KEY."
        ) from None


def make_local_keys(folder: Path) -> list[str]:
    """Make the keys missing from `folder` (and the folder), readable by their owner only: their names."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    made = []
    for name, make in MAKERS.items():
        try:
            # Created readable by its owner only from the start; a second run finds it made and keeps it.
            with os.fdopen(
                os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w"
            ) as handle:
                handle.write(make())
        except FileExistsError:
            continue
        made.append(name)
    return made


if __name__ == "__main__":
    import environ

    if env_file().exists():
        environ.Env.read_env(env_file(), overwrite=False)  # OVERSIGHT_VAR_DIR may be set there
    for name in make_local_keys(var_dir()):
        print(f"Oversight: made {var_dir() / name}")  # noqa: T201 - a command's output
