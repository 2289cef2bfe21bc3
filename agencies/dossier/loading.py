"""Reading a dossier file: UTF-8, YAML or JSON, safely.

YAML goes through the safe loader (libyaml's when available): no arbitrary
objects. On top of that: a size limit on the file, a limit on the number of
values once aliases are expanded (an "alias bomb" of a few hundred bytes can
otherwise stand for billions of values), recursive aliases refused, and
duplicate keys refused (PyYAML and `json` silently keep the last one, which
would drop data without a word).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import DossierError, at, format_path, show

MAX_BYTES = 16 * 1024 * 1024
MAX_VALUES = 2_000_000  # values once aliases are expanded; a dossier of 10,000 claims has ~500,000
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


def _load_json(text: str):
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
        raise DossierError(["not readable JSON: nested too deeply"]) from None
    except ValueError as exc:
        raise DossierError([f"not readable JSON: {exc}"]) from None

    if duplicates:
        errors = []
        stack = [(data, ())]
        while stack:  # iterative: nesting may be as deep as the parser allowed
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
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(loader, node)
        return loader.construct_document(node)
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
    except RecursionError:
        raise DossierError(["not readable YAML: nested too deeply"]) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. an integer longer than Python converts, a non-hashable key.
        raise DossierError([f"not readable YAML: {exc}"]) from None
    finally:
        loader.dispose()


def _children(node) -> list:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_nodes(loader, root) -> None:
    """Refuse alias bombs, recursive aliases and duplicate keys before building any Python value.

    Each node is visited once (aliases share nodes), while its expanded size
    (what a consumer walking the data would see) is computed from its children's.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # the current path from the root: meeting one again is a cycle
    errors: list[str] = []
    stack = [(root, (), False)]
    while stack:
        node, path, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_VALUES:
                raise DossierError(
                    [
                        f"{format_path(path) or '(top level)'}: more than {MAX_VALUES:,} values once aliases "
                        "are expanded: refused"
                    ]
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise DossierError([at(path, "an alias refers to a value that contains it (recursive): refused")])
        open_nodes.add(key)
        stack.append((node, path, True))
        if isinstance(node, MappingNode):
            seen: dict = {}
            children = []
            for key_node, value_node in node.value:
                name = None
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                    name = loader.construct_object(key_node)
                    line = key_node.start_mark.line + 1
                    try:
                        if name in seen:
                            errors.append(
                                at((*path, name), f"duplicate key (line {line}, first at line {seen[name]})")
                            )
                        else:
                            seen[name] = line
                    except TypeError:  # unhashable: the constructor refuses it with its place
                        pass
                children.append((key_node, path, False))
                children.append((value_node, path if name is None else (*path, name), False))
            stack.extend(reversed(children))
        elif isinstance(node, SequenceNode):
            stack.extend((child, (*path, i), False) for i, child in reversed(list(enumerate(node.value))))
    if errors:
        raise DossierError(errors)
