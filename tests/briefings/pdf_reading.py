"""Reading a briefing's PDF back for the tests: its text, and every byte of every object it holds."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in reader(pdf).pages]


def flat_text(pdf: bytes) -> str:
    """All pages' text with runs of whitespace as one space: line breaks fall anywhere."""
    return re.sub(r"\s+", " ", " ".join(page_texts(pdf)))


def outline_titles(pdf: bytes) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader(pdf).outline)
    return titles


def everything(pdf: bytes) -> str:
    """Every page's text and decompressed content, every object reachable from the trailer (streams
    decompressed, strings decoded), the metadata, the outline and the attachments, as one text."""
    pdf_reader = reader(pdf)
    parts = [*page_texts(pdf), repr(pdf_reader.metadata), " ".join(outline_titles(pdf))]
    parts += [f"{name}: {data!r}" for name, data in pdf_reader.attachments.items()]
    for page in pdf_reader.pages:
        contents = page.get_contents()
        if contents is not None:
            parts.append(contents.get_data().decode("latin-1"))
    seen: set[int] = set()
    stack = [pdf_reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, StreamObject):
            try:
                parts.append(obj.get_data().decode("latin-1"))
            except Exception:  # an undecodable image stream still has its dictionary walked
                parts.append(repr(obj._data))
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                parts.append(str(key))
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        else:
            parts.append(str(obj))
    return "\n".join(parts)
