"""Reading a dossier file: UTF-8, YAML or JSON, safely and within bounds.

Bounds, all checked before the file's values are built: the file's size (MAX_BYTES), the number of
values (MAX_VALUES, once YAML aliases are expanded: an "alias bomb" of a few hundred bytes can
otherwise stand for billions of values) and how deeply they nest (MAX_DEPTH). JSON is measured by a
scan of its text, YAML value by value as the parser reads it: the Python values are built straight
from the parser's events, never from a tree of YAML nodes (which costs several times the values).

YAML is read with the safe loader's scalar rules (libyaml's parser when available): no arbitrary
objects, no tags beyond YAML's own. Recursive aliases are refused, and so are duplicate keys
(PyYAML and `json` silently keep the last one, which would drop data without a word).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from .errors import DossierError, at, show

MAX_BYTES = 16 * 1024 * 1024
MAX_VALUES = 2_000_000  # values once aliases are expanded; a dossier of 10,000 claims has ~500,000
# Levels of nesting: a dossier needs 7 (the file, claims, a claim, its attributions, one of them,
# its via, a document id).
MAX_DEPTH = 10
_MERGE_TAG = "tag:yaml.org,2002:merge"

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """The safe loader, except that an impossible date stays text so that the error can name its field."""


def _timestamp(loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def dossier_load(source: str | os.PathLike | bytes, *, fmt: str | None = None) -> dict:
    """Read a dossier from a path (str or Path) or from bytes; return the mapping it holds.

    The format is `fmt` ("yaml" or "json") when given, else the file's extension
    (.json, .yaml, .yml), else its content (JSON when it starts with '{').
    Raises DossierError for anything unreadable; nothing is imported here.
    """
    if isinstance(source, bytes | bytearray):
        raw, name = bytes(source), ""
    else:
        path = Path(source)
        name = path.name
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise DossierError([f"cannot read {str(path)!r}: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        limit = f"{MAX_BYTES // 2**20} MiB" if MAX_BYTES % 2**20 == 0 else f"{MAX_BYTES:,} bytes"
        raise DossierError([f"the file is larger than {limit}: refused"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DossierError(
            [f"the file is not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded"]
        ) from None

    if fmt is None:
        suffix = Path(name).suffix.lower()
        if suffix == ".json":
            fmt = "json"
        elif suffix in (".yaml", ".yml"):
            fmt = "yaml"
    if fmt is None and text.lstrip().startswith("{"):
        # JSON, or a YAML flow mapping: JSON's errors are the ones to report when neither reads it.
        try:
            data = _load_json(text)
        except _JSONSyntaxError as json_error:
            try:
                data = _load_yaml(text)
            except _YAMLSyntaxError:
                raise json_error from None
    elif fmt == "json":
        data = _load_json(text)
    else:
        data = _load_yaml(text)
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else f"got {show(data)}"
        raise DossierError([f"(top level): expected a mapping with 'format: oversight-dossier/1', {what}"])
    return data


# --- JSON ----------------------------------------------------------------------------------------


class _JSONSyntaxError(DossierError):
    pass


class _YAMLSyntaxError(DossierError):
    pass


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_INNERMOST = re.compile(r"\[[^\[\]{}]*\]|\{[^\[\]{}]*\}")


def _check_json_text(text: str) -> None:
    """Bound the values and the nesting of a JSON text before json.loads builds anything.

    With the strings taken out, every value but the first follows a comma or opens a container, so
    commas and brackets bound the values; taking out the innermost containers one level a pass
    measures the nesting, in at most MAX_DEPTH passes. (Malformed JSON is json.loads's to report.)
    """
    bare = _JSON_STRING.sub("0", text)
    values = bare.count(",") + bare.count("[") + bare.count("{") + 1
    if values > MAX_VALUES:
        raise DossierError([f"(top level): more than {MAX_VALUES:,} values: refused"])
    for _level in range(MAX_DEPTH):
        bare, found = _JSON_INNERMOST.subn("0", bare)
        if not found:
            return
    if _JSON_INNERMOST.search(bare):
        raise DossierError([_too_deep(())])


def _too_deep(path) -> str:
    return at(path, f"nested more than {MAX_DEPTH} levels deep (a dossier needs 7): refused")


def _load_json(text: str):
    _check_json_text(text)
    duplicates: dict[int, list] = {}

    def pairs(items):
        mapping = {}
        for key, value in items:
            if key in mapping:
                duplicates.setdefault(id(mapping), []).append(key)
            mapping[key] = value
        return mapping

    def constant(name):
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise _JSONSyntaxError(
            [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    except RecursionError:
        raise DossierError([_too_deep(())]) from None
    except ValueError as exc:
        raise DossierError([f"not readable JSON: {exc}"]) from None

    if duplicates:
        errors = []
        stack = [(data, ())]
        while stack:  # iterative, though nesting is bounded
            value, path = stack.pop()
            if isinstance(value, dict):
                errors.extend(at((*path, key), "duplicate key") for key in duplicates.get(id(value), ()))
                stack.extend((v, (*path, k)) for k, v in reversed(value.items()))
            elif isinstance(value, list):
                stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(value))))
        raise DossierError(errors)
    return data


# --- YAML ----------------------------------------------------------------------------------------


def _load_yaml(text: str):
    loader = _Loader(text)
    try:
        return _build(loader)
    except yaml.MarkedYAMLError as exc:
        where = (
            f" at line {exc.problem_mark.line + 1} column {exc.problem_mark.column + 1}"
            if exc.problem_mark
            else ""
        )
        problem = exc.problem or exc.context or "unreadable"
        raise _YAMLSyntaxError([f"not valid YAML: {problem}{where}"]) from None
    except yaml.YAMLError as exc:
        raise _YAMLSyntaxError([f"not valid YAML: {exc}"]) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. an integer longer than Python converts.
        raise DossierError([f"not readable YAML: {exc}"]) from None
    finally:
        loader.dispose()


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Open:
    """A mapping or sequence being read: its value so far and what it adds up to."""

    __slots__ = (
        "anchor",
        "height",
        "is_map",
        "key",
        "keyed",
        "mark",
        "merges",
        "path",
        "seen",
        "size",
        "value",
    )

    def __init__(self, *, is_map: bool, anchor, path: tuple, mark):
        self.is_map, self.anchor, self.path, self.mark = is_map, anchor, path, mark
        self.value = {} if is_map else []
        self.size, self.height = 1, 1
        self.keyed, self.key = False, None  # a mapping: whether the next value has its key
        self.seen: dict = {}  # a mapping's keys and the line each was first written on
        self.merges: list = []  # `<<: *base` mappings, applied at the end

    def child_path(self) -> tuple:
        if self.is_map:
            return self.path if self.key is _MERGE or not _hashable(self.key) else (*self.path, self.key)
        return (*self.path, len(self.value))


_MERGE = object()


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _build(loader):
    """The document's value, built from the parser's events (see the module's docstring)."""
    loader.get_event()  # the stream's start
    if loader.check_event(StreamEndEvent):
        return None
    loader.get_event()  # the document's start
    result = _Builder(loader).document()
    loader.get_event()  # the document's end
    if not loader.check_event(StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", None, "but found another document", event.start_mark
        )
    return result


class _Builder:
    """One document's value, event by event: the open containers, the anchors, the duplicate keys."""

    def __init__(self, loader):
        self.loader = loader
        self.anchors: dict = {}  # anchor -> (value, size, height) of a finished value
        self.stack: list[_Open] = []
        self.duplicates: list[str] = []
        self.done = False
        self.result = None

    def document(self):
        while not self.done:
            event = self.loader.get_event()
            if isinstance(event, ScalarEvent):
                self._scalar(event)
            elif isinstance(event, AliasEvent):
                self._alias(event)
            elif isinstance(event, SequenceStartEvent | MappingStartEvent):
                self._open(event)
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                self._close(event)
            else:
                raise yaml.composer.ComposerError(
                    None, None, f"unexpected {type(event).__name__}", event.start_mark
                )
        if self.duplicates:
            raise DossierError(self.duplicates)
        return self.result

    def _path(self) -> tuple:
        return self.stack[-1].child_path() if self.stack else ()

    def _scalar(self, event) -> None:
        loader = self.loader
        tag = event.tag
        if tag is None or tag == "!":
            tag = loader.resolve(ScalarNode, event.value, event.implicit)
        if tag == _MERGE_TAG:
            value = _MERGE
        else:
            # The constructor's own function for the tag, not construct_object: that one keeps every
            # node it built until the document ends.
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            construct = loader.yaml_constructors.get(tag) or loader.yaml_constructors[None]
            value = construct(loader, node)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1, 1)
        self._add(value, 1, 1, event)

    def _alias(self, event) -> None:
        if event.anchor not in self.anchors:
            if any(open_.anchor == event.anchor for open_ in self.stack):
                raise DossierError(
                    [at(self._path(), "an alias refers to a value that contains it (recursive): refused")]
                )
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        self._add(*self.anchors[event.anchor], event)

    def _open(self, event) -> None:
        is_map = isinstance(event, MappingStartEvent)
        if event.tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {event.tag!r}",
                event.start_mark,
            )
        path = self._path()
        if len(self.stack) >= MAX_DEPTH:
            raise DossierError([_too_deep(path)])
        self.stack.append(_Open(is_map=is_map, anchor=event.anchor, path=path, mark=event.start_mark))

    def _close(self, event) -> None:
        open_ = self.stack.pop()
        value = open_.value
        if open_.merges:
            merged: dict = {}
            for base in reversed(open_.merges):  # the first merged mapping wins, explicit keys over all
                merged.update(base)
            merged.update(value)
            value = merged
        if open_.anchor is not None:
            self.anchors[open_.anchor] = (value, open_.size, open_.height)
        self._add(value, open_.size, open_.height, event)

    def _add(self, value, size: int, height: int, event) -> None:
        """A finished value into the container it belongs to (or the document's, when there is none)."""
        if not self.stack:
            self.done, self.result = True, value
            return
        parent = self.stack[-1]
        if len(self.stack) + height > MAX_DEPTH:
            raise DossierError([_too_deep(parent.child_path())])
        parent.size += size
        if parent.size > MAX_VALUES:
            raise DossierError([_too_many(parent.path)])
        parent.height = max(parent.height, height + 1)
        if value is _MERGE and not (parent.is_map and not parent.keyed):
            value = "<<"  # only a key merges
        if not parent.is_map:
            parent.value.append(value)
        elif not parent.keyed:
            self._add_key(parent, value, event)
        else:
            self._add_entry(parent, value, event)

    def _add_key(self, parent: _Open, value, event) -> None:
        parent.keyed = True
        if value is _MERGE:
            parent.key = _MERGE
            return
        if not _hashable(value):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", parent.mark, "found unhashable key", event.start_mark
            )
        line = event.start_mark.line + 1
        if value in parent.seen:
            self.duplicates.append(
                at(
                    (*parent.path, value),
                    f"duplicate key (line {line}, first at line {parent.seen[value]})",
                )
            )
        else:
            parent.seen[value] = line
        parent.key = value

    def _add_entry(self, parent: _Open, value, event) -> None:
        parent.keyed = False
        if parent.key is _MERGE:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(x, dict) for x in merged):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    parent.mark,
                    "expected a mapping or list of mappings for merging",
                    event.start_mark,
                )
            parent.merges.extend(merged)
        else:
            parent.value[parent.key] = value


def _too_many(path) -> str:
    return at(path, f"more than {MAX_VALUES:,} values once aliases are expanded: refused")
