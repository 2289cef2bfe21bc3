"""What a rejected dossier reports: every problem, each prefixed with its place in the file.

At most MAX_ERRORS messages are kept, the first ones in file order, and the rest only counted: a
flood of a million broken items must cost neither a million strings nor a million lines of output.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import re

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")

MAX_ERRORS = 100


class DossierError(Exception):
    """A dossier that cannot be read or imported. Nothing was written.

    `errors` holds at most MAX_ERRORS messages; `total` says how many problems there were in all.
    """

    def __init__(self, errors: list[str], *, total: int | None = None):
        errors = list(errors) or ["the dossier was rejected"]
        self.total = max(total or 0, len(errors))
        self.errors = errors[:MAX_ERRORS]
        super().__init__("\n".join(self.lines()))

    @property
    def more(self) -> int:
        """How many problems were found beyond those listed."""
        return self.total - len(self.errors)

    def lines(self) -> list[str]:
        """The messages, then "and N more" when some were left out."""
        if not self.more:
            return list(self.errors)
        return [*self.errors, f"and {self.more:,} more error{'s' if self.more != 1 else ''}"]


class Errors:
    """Collects errors in any order and keeps the first MAX_ERRORS by `order` (file order), counting
    the rest: memory stays bounded however many are added."""

    def __init__(self, order=lambda path: ()):
        self._order = order
        self._heap: list = []  # max-heap by (order, sequence), as negated keys
        self._sequence = itertools.count()
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def add(self, path: tuple, message: str) -> None:
        """`message` is the whole text (place included); `path` places it in file order."""
        self.total += 1
        key = tuple(-part for part in self._order(path)) + (-next(self._sequence),)
        if len(self._heap) < MAX_ERRORS:
            heapq.heappush(self._heap, (key, message))
        elif key > self._heap[0][0]:  # earlier in the file than the latest kept
            heapq.heapreplace(self._heap, (key, message))

    def messages(self) -> list[str]:
        return [message for _key, message in sorted(self._heap, reverse=True)]

    def error(self) -> DossierError:
        return DossierError(self.messages(), total=self.total)


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
        return text if len(text) <= limit else text[: limit - 4] + "..." + text[0]  # repr's own quote
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
