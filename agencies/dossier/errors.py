"""What a rejected dossier reports: every problem, each prefixed with its place in the file."""

from __future__ import annotations

import datetime as dt
import re

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


class DossierError(Exception):
    """A dossier that cannot be read or imported. Nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors) or ["the dossier was rejected"]
        super().__init__("\n".join(self.errors))


def format_path(parts) -> str:
    """('claims', 3, 'attributions', 0, 'origin') -> 'claims[3].attributions[0].origin'."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{show(part)}]"
    return out


def at(parts, message: str) -> str:
    return f"{format_path(parts) or '(top level)'}: {message}"


def show(value, limit: int = 60) -> str:
    """A short, safe rendering of an input value for an error message."""
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 4] + "...'"
    if value is None or isinstance(value, bool | int | float):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 3] + "..."
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"
