"""Reading an article as pasted or uploaded: plain text or HTML, into a headline, header lines,
paragraphs and sentences, every piece keeping its character offsets into the text as given.

The analysis works on `Article.body` (for plain text, the text itself; for HTML, the visible text
of the page with one blank line between blocks); `Article.to_source` maps a span of the body back
to the given text, so that highlights land on the words the researcher pasted.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from agencies.core.dates import PartialDate

from .periods import parse_date

_HTML_HINT = re.compile(r"<(?:!doctype|html|body|p|div|article|h[1-6]|br)\b", re.IGNORECASE)
_BLOCKS = {
    "p",
    "div",
    "article",
    "section",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "blockquote",
    "br",
    "tr",
    "table",
    "main",
    "header",
    "figcaption",
    "dd",
    "dt",
}
_SKIPPED = {"script", "style", "nav", "footer", "noscript", "template", "svg", "head", "aside", "form"}

_BYLINE = re.compile(r"^\s*By\s+(?P<names>.+?)\s*$")
_DATE_PREFIX = re.compile(
    r"^\s*(?:Published|Updated|Posted|Release Date|Released|Date|Last updated)\s*:?\s*", re.IGNORECASE
)
_FOOTER = re.compile(r"^The post (?P<title>.+?) appeared first on (?P<outlet>.+?)\.?\s*$")
_TURN = re.compile(
    r"^(?P<label>Q|A|(?:MR|MS|MRS|DR|SEN|REP|GOV|GEN)\.\s+[A-Z][A-Za-z'’-]+"
    r"|[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+){0,3}):\s+"
)
# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = (
    "Mr",
    "Ms",
    "Mrs",
    "Dr",
    "Sen",
    "Rep",
    "Gov",
    "Gen",
    "Lt",
    "Col",
    "Sgt",
    "St",
    "Jr",
    "Sr",
    "Inc",
    "Co",
    "Corp",
    "No",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Aug",
    "Sept",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
    "U.S",
    "U.N",
    "D.C",
    "Ore",
    "Calif",
    "Ariz",
    "Fla",
    "Mass",
    "Wash",
    "Penn",
    "Pa",
    "Va",
    "vs",
    "Prof",
)
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“‘(]?[A-Z0-9])")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int  # 1-based number of its paragraph


@dataclass
class Paragraph:
    number: int
    start: int
    end: int
    sentences: list[Sentence] = field(default_factory=list)
    speaker_label: str | None = None  # transcripts: "MR. HOMAN", "Q"
    label_end: int | None = None  # where the turn's words begin


@dataclass
class Article:
    text: str  # as given
    body: str  # what is analysed
    offsets: list[tuple[int, int]] | None  # body index -> (start, end) in the text; None: the same
    is_html: bool = False
    headline: str | None = None
    headline_span: tuple[int, int] | None = None
    authors: list[str] = field(default_factory=list)
    byline_span: tuple[int, int] | None = None
    outlet_line: str | None = None
    outlet_span: tuple[int, int] | None = None
    date: PartialDate | None = None
    date_span: tuple[int, int] | None = None
    header_lines: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    footer_outlet: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    is_transcript: bool = False
    _starts: list[int] = field(default_factory=list, repr=False)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """A body span as offsets into the text as given."""
        if self.offsets is None:
            return (start, end)
        if not self.offsets or end <= start:
            at = self.offsets[min(start, len(self.offsets) - 1)][0] if self.offsets else 0
            return (at, at)
        last = len(self.offsets) - 1
        return (self.offsets[min(start, last)][0], self.offsets[min(end - 1, last)][1])

    def paragraph_at(self, offset: int) -> Paragraph | None:
        if len(self._starts) != len(self.paragraphs):
            self._starts[:] = [p.start for p in self.paragraphs]
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0 and offset < self.paragraphs[index].end:
            return self.paragraphs[index]
        return None

    def sentences(self):
        for paragraph in self.paragraphs:
            yield from paragraph.sentences


# --- HTML ----------------------------------------------------------------------------------------


class _Visible(HTMLParser):
    """The visible text of a page, with the offset of every character in the page."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0]
        for match in re.finditer("\n", source):
            self.line_starts.append(match.end())
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.skipping = 0
        self.h1: str | None = None
        self._in_h1 = False
        self._h1_parts: list[str] = []

    def _position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _emit(self, text: str, at: int, width: int = 0) -> None:
        """`width`: the characters stand for one reference of that many characters in the page."""
        for i, char in enumerate(text):
            self.chars.append(char)
            self.offsets.append((at, at + width) if width else (at + i, at + i + 1))

    def _break(self) -> None:
        at = self._position()
        while self.chars and self.chars[-1] in " \t":
            self.chars.pop()
            self.offsets.pop()
        if not self.chars:
            return
        tail = "".join(self.chars[-2:])
        if tail != "\n\n":
            self._emit("\n\n" if not tail.endswith("\n") else "\n", at)

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS and not self.skipping:
            self._break()
        if tag == "h1" and not self.skipping:
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS and not self.skipping:
            self._break()
        if tag == "h1" and self._in_h1:
            self._in_h1 = False
            self.h1 = " ".join("".join(self._h1_parts).split()) or self.h1

    def handle_startendtag(self, tag, attrs):
        if tag == "br" and not self.skipping:
            self._break()

    def handle_data(self, data):
        if self.skipping:
            return
        at = self._position()
        # Collapse runs of whitespace as a browser would, keeping each kept character's offset.
        for i, char in enumerate(data):
            if char.isspace():
                if not self.chars or self.chars[-1] in " \n":
                    continue
                char = " "
            self.chars.append(char)
            self.offsets.append((at + i, at + i + 1))
        if self._in_h1:
            self._h1_parts.append(data)

    def _reference(self, written: str) -> None:
        if self.skipping:
            return
        at = self._position()
        text = html.unescape(written)
        if self._in_h1:
            self._h1_parts.append(text)
        self._emit(text, at, width=len(written))

    def handle_entityref(self, name):
        self._reference(f"&{name};")

    def handle_charref(self, name):
        self._reference(f"&#{name};")


def _from_html(text: str) -> tuple[str, list[tuple[int, int]], str | None]:
    parser = _Visible(text)
    parser.feed(text)
    parser.close()
    body = "".join(parser.chars).rstrip()
    return body, parser.offsets[: len(body)], parser.h1


# --- structure -----------------------------------------------------------------------------------


def _lines(body: str):
    """(start, end) of every line, blank ones included."""
    start = 0
    for match in re.finditer(r"\n", body):
        yield start, match.start()
        start = match.end()
    yield start, len(body)


def _words(line: str) -> int:
    return len(line.split())


def _headline_like(line: str) -> bool:
    line = line.strip()
    return 0 < _words(line) <= 20 and not re.search(r"[.,;]$", line)


def header_date(line: str):
    """The date of a dateline: "May 20, 2025 4:12 PM EDT", "Published 5:47 PM, Mar 12, 2025"."""
    text = _DATE_PREFIX.sub("", line.strip())
    found = parse_date(text, loose=True)
    if found is None:
        # A time first: "5:47 PM, Mar 12, 2025".
        text = re.sub(r"^\s*\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4})?,?\s*", "", text, flags=re.I)
        found = parse_date(text, loose=True) if text else None
    return found


def _header_like(line: str, known_names) -> str | None:
    """What a short line below a headline is: 'byline', 'date', 'outlet' or None."""
    stripped = line.strip()
    if _BYLINE.match(stripped) and _words(stripped) <= 14:
        return "byline"
    if _words(stripped) <= 9 and header_date(stripped) is not None:
        return "date"
    if (
        _words(stripped) <= 7
        and not re.search(r"[.!?]$", stripped)
        and all(w[0].isupper() or w in {"of", "and", "the", "for", "on", "&"} for w in stripped.split())
    ):
        return "outlet"
    if stripped.lower() in known_names:
        return "outlet"
    return None


def split_names(names: str) -> list[str]:
    names = re.sub(r",?\s+(?:and|&)\s+", ", ", names.strip())
    out = []
    for part in names.split(","):
        part = part.strip(" .")
        if part and not re.search(r"\b(?:Reuters|Staff|Press|News|Times|Post)\b", part):
            out.append(part)
    return out


_QUOTATION = re.compile(r"“[^”]*”|\"[^\"\n]*\"")


def _sentences(body: str, start: int, end: int, number: int) -> list[Sentence]:
    """Sentences of a paragraph; a quotation of several sentences stays in one."""
    out = []
    here = start
    quoted = [m.span() for m in _QUOTATION.finditer(body, start, end)]
    for match in _SENTENCE_END.finditer(body, start, end):
        stop = match.end()
        if any(s < stop - 1 < e - 1 for s, e in quoted):
            continue
        word = re.search(r"([A-Za-z.]+)\.[\"”’)]*$", body[here:stop])
        if word and (word.group(1) in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1))):
            continue
        out.append(Sentence(here, stop, number))
        here = stop
        while here < end and body[here].isspace():
            here += 1
    if here < end:
        out.append(Sentence(here, end, number))
    return out


def read_article(text: str, *, outlet_names=()) -> Article:
    article, h1 = _article_text(text)
    body = article.body
    lines = [(s, e) for s, e in _lines(body)]
    filled = [(s, e) for s, e in lines if body[s:e].strip()]
    index = _read_header(article, lines, filled, h1, {name.lower() for name in outlet_names})
    _read_paragraphs(article, filled[index:])
    _settle_transcript(article)
    return article


def _article_text(text: str) -> tuple[Article, str | None]:
    """The article's body as plain text, with the offsets back into `text`, and its HTML <h1>."""
    is_html = bool(_HTML_HINT.search(text[:5000]))
    if is_html:
        body, offsets, h1 = _from_html(text)
    else:
        body, offsets, h1 = text.replace("\r\n", "\n").replace("\r", "\n"), None, None
        if body != text:  # keep offsets honest when line ends were \r\n
            kept = [i for i, ch in enumerate(text) if ch != "\r" or text[i + 1 : i + 2] != "\n"]
            offsets = [(i, i + 1) for i in kept]
    return Article(text=text, body=body, offsets=offsets, is_html=is_html), h1


def _read_header(article: Article, lines: list, filled: list, h1: str | None, known_names: set[str]) -> int:
    """The headline and the header lines below it (byline, date, outlet); how many lines they take."""
    body = article.body
    if not filled:
        return 0
    first_s, first_e = filled[0]
    first = body[first_s:first_e].strip()
    if not ((h1 and first == h1) or _headline_like(first)):
        return 0
    article.headline, article.headline_span = first, (first_s, first_e)
    index = 1
    # The header: lines right below the headline that look like one, and the rest of the
    # headline's block (a dek or an author's note) when the text separates blocks by blank lines.
    block_end = next((s for s, e in lines if s > first_e and not body[s:e].strip()), len(body))
    while index < len(filled):
        s, e = filled[index]
        line = body[s:e].strip()
        kind = _header_like(line, known_names)
        if kind is None and (s >= block_end or _words(line) > 40):
            break
        article.header_lines.append((line, (s, e)))
        if kind == "byline" and not article.authors:
            article.authors = split_names(_BYLINE.match(line).group("names"))
            article.byline_span = (s, e)
        elif kind == "date" and article.date is None:
            article.date = header_date(line)
            article.date_span = (s, e)
        elif kind == "outlet" and article.outlet_line is None:
            article.outlet_line = line
            article.outlet_span = (s, e)
        index += 1
    return index


def _read_paragraphs(article: Article, filled: list) -> None:
    """The paragraphs of the body (wrapped lines joined) and their sentences; a footer naming the
    outlet and the title is read as such."""
    body = article.body
    number = 0
    pending: tuple[int, int] | None = None
    for s, e in filled:
        line = body[s:e].strip()
        footer = _FOOTER.match(line)
        if footer:
            article.footer_outlet = footer.group("outlet")
            if article.headline is None:
                title_start = s + body[s:e].index(footer.group("title"))
                article.headline = footer.group("title")
                article.headline_span = (title_start, title_start + len(footer.group("title")))
            continue
        # A line that stops mid-sentence was wrapped: it continues on the next line.
        if pending is not None:
            s = pending[0]
        if not re.search(r"[.!?:\"”’)\]]\s*$", body[s:e]) and e < len(body) and _words(body[s:e]) > 3:
            nxt = body[e + 1 : e + 2]
            if nxt and nxt != "\n":
                pending = (s, e)
                continue
        pending = None
        number += 1
        paragraph = Paragraph(number, s, e)
        turn = _TURN.match(body[s:e])
        if turn:
            paragraph.speaker_label = turn.group("label")
            paragraph.label_end = s + turn.end()
        paragraph.sentences = _sentences(body, paragraph.label_end or s, e, number)
        article.paragraphs.append(paragraph)


def _settle_transcript(article: Article) -> None:
    """A transcript has two labelled turns or more, not all of them questions; elsewhere a label
    was a word of the text, and its paragraph is read again whole."""
    labelled = [p for p in article.paragraphs if p.speaker_label]
    article.is_transcript = len(labelled) >= 2 and any(p.speaker_label != "Q" for p in labelled)
    if article.is_transcript:
        return
    for paragraph in article.paragraphs:
        if paragraph.speaker_label:
            paragraph.speaker_label = None
            paragraph.sentences = _sentences(article.body, paragraph.start, paragraph.end, paragraph.number)
            paragraph.label_end = None
