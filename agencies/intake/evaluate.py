"""The proposer measured on the gold set (tests/intake/gold/): precision and recall per kind.

Each article of the manifest is proposed with `propose()` (the seed against an empty record, every
follow-up against the record as the seed dossier leaves it, which is how they arrive) and its
draft compared with the gold dossier written by hand. Articles marked `held_out` are reported
apart: they were never used for tuning (the first three were written and frozen before the
proposer existed, the second batch after it, frozen before it was first run on them).

Matching rules, per kind (an item of the draft is a true positive when it matches an item of the
gold not matched yet; precision = TP / draft items, recall = TP / gold items):

- agencies: every agency in the dossier's `agencies`. Same agency: equal acronyms (ignoring case)
  or equal names once normalised (case, "The", "U.S."/"United States", punctuation).
- sources: every source in `sources`. Same source: the same kind, the same count (anonymous), and
  for a person the same surname; an organisation or an outlet the same normalised name (one
  containing the other); an agency speaking officially the same agency (rule above); a data set,
  an unnamed official or an anonymous group descriptions sharing at least half of the content
  words of the shorter one (words of three letters or more, without "the", "who", "data" ...).
- quote -> speaker: every (quote, origin) of an attribution whose quote is in the article's text.
  Same pair: one quote contains the other (case, punctuation and spacing ignored) and the origins
  are the same source (rule above). A quote given to the wrong speaker counts as a false positive
  and leaves the gold pair missed. Several gold quotations may fall within one quotation of the
  draft (a researcher quotes a few words of a long quotation): precision counts the draft's pairs
  that match some gold pair, recall the gold pairs that some draft pair matches.
- figures: every figure. Same figure: equal values, and each end of the period can denote the same
  day as the gold's (2024-01-20 matches 2024-01; 2026-01 matches 2026-01-01).
- cited reports: the article's `cites` and the `via` of its attributions, data releases left out.
  Same report: the same kind (article and report are one kind) and outlets with the same
  normalised name (one containing the other); without outlets, titles sharing half their words.
- missions: stated missions that the dossier adds to the record (not already in it). Same mission:
  the same agency, and texts sharing at least a third of the content words of the shorter one.
- comment requests: every (agency, response) of the article. Same request: the same agency and
  the same response (none, declined, responded).

The article is the first document of each dossier. A claim of the record that the draft reports
again carries its stored lines: only the article's own lines count (their sources, quotes, reports).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agencies.core.dates import PartialDate

from .draft import propose
from .gazetteer import normalise
from .known import KnownRecord

GOLD = Path(__file__).resolve().parent.parent.parent / "tests" / "intake" / "gold"
KINDS = ("sources", "quotes", "figures", "cited_reports", "agencies", "missions", "comment_requests")
_GENERIC = {
    "the",
    "who",
    "with",
    "for",
    "from",
    "that",
    "and",
    "data",
    "said",
    "its",
    "his",
    "her",
    "their",
    "was",
}


@dataclass
class Score:
    tp: int = 0  # draft items that match
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    gold_tp: int | None = None  # gold items matched, where several may match one draft item

    @property
    def found(self) -> int:
        return self.tp if self.gold_tp is None else self.gold_tp

    def add(self, other: Score) -> None:
        found = self.found + other.found
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.gold_tp = found

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.found / (self.found + self.fn) if self.found + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None


class _View:
    """A dossier with the record behind it: ids resolved to entries of either."""

    def __init__(self, data: dict, record: dict | None):
        self.data = data
        self.record = record or {}

    def find(self, section: str, key: str | None) -> dict | None:
        if key is None:
            return None
        for source in (self.data, self.record):
            for item in source.get(section) or ():
                if item.get("id") == key:
                    return item
        return None

    def items(self, section: str) -> list[dict]:
        """The section's entries, and the record's entries the dossier refers to (a draft names
        what the record holds by its id only)."""
        out = {item["id"]: item for item in self.data.get(section) or ()}
        refs: list[str] = []
        article = self.article.get("id")
        # A record's claim the article reports again comes with its stored lines: their sources and
        # the claim's agencies are the record's, not what the article is read to name.
        new_claims = [
            c
            for c in self.data.get("claims") or ()
            if all(line.get("document") == article for line in c.get("attributions") or ())
        ]
        if section == "sources":
            refs = [
                line["origin"]
                for c in self.data.get("claims") or ()
                for line in c.get("attributions") or ()
                if line.get("document") == article
            ]
        elif section == "agencies":
            refs = [a for c in new_claims for a in c.get("agencies") or ()]
            refs += [c["agency"] for c in self.data.get("comment_requests") or ()]
            for source in self.items("sources"):
                refs += [k for k in (source.get("affiliation"), source.get("agency")) if k]
        for key in refs:
            if key not in out and (found := self.find(section, key)) is not None:
                out[key] = found
        return list(out.values())

    @property
    def article(self) -> dict:
        return (self.data.get("documents") or [{}])[0]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", (text or "").lower()) if len(w) >= 3 and w not in _GENERIC}


def _overlap(a: str, b: str, share: float) -> bool:
    x, y = _words(a), _words(b)
    if not x or not y:
        return normalise(a) == normalise(b)
    return len(x & y) / min(len(x), len(y)) >= share


def _names_match(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    x, y = normalise(a), normalise(b)
    return x == y or f" {x} " in f" {y} " or f" {y} " in f" {x} "


def same_agency(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return False
    if a.get("acronym") and b.get("acronym") and a["acronym"].lower() == b["acronym"].lower():
        return True
    return normalise(a["name"]) == normalise(b["name"])


def same_source(a: dict, av: _View, b: dict, bv: _View) -> bool:
    if a["kind"] != b["kind"]:
        return False
    kind = a["kind"]
    if kind == "anonymous" and a.get("count") != b.get("count"):
        return False
    if kind == "person":
        x, y = (a.get("name") or "").split(), (b.get("name") or "").split()
        return bool(x and y) and x[-1].lower() == y[-1].lower()
    if kind == "organisation":
        return _names_match(a.get("name"), b.get("name"))
    if kind == "agency":
        return same_agency(av.find("agencies", a.get("agency")), bv.find("agencies", b.get("agency")))
    if kind == "outlet":
        x, y = av.find("outlets", a.get("outlet")), bv.find("outlets", b.get("outlet"))
        return bool(x and y) and _names_match(x["name"], y["name"])
    return _overlap(a.get("description") or "", b.get("description") or "", 0.5)


def _quote_text(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")))


def _can_be_same_day(a, b) -> bool:
    x, y = PartialDate.parse(a), PartialDate.parse(b)
    return x.start <= y.end and y.start <= x.end


def _family(kind: str) -> str:
    return "report" if kind in ("article", "report") else kind


def _pair(gold: list, draft: list, same) -> Score:
    """Greedy one-to-one matching of draft items to gold items."""
    score = Score()
    left = list(range(len(gold)))
    for d in draft:
        hit = next((g for g in left if same(gold[g], d)), None)
        if hit is None:
            score.fp += 1
            score.misses.append(f"extra: {_show(d)}")
        else:
            score.tp += 1
            left.remove(hit)
    score.fn = len(left)
    score.misses += [f"missed: {_show(gold[g])}" for g in left]
    return score


def _show(item) -> str:
    if isinstance(item, tuple):
        item = item[0] if isinstance(item[0], dict) else item
    text = json.dumps(item, ensure_ascii=False, default=str)
    return text if len(text) < 220 else text[:219] + "…"


def _score_quotes(gv: _View, dv: _View, text: str) -> Score:
    """Quotations of the article, each with its origin: the draft's against the gold's."""
    body = _quote_text(text)

    def quotes(view: _View) -> list[tuple]:
        pairs, seen = [], set()
        for claim in view.data.get("claims") or ():
            for line in claim.get("attributions") or ():
                quote = _quote_text(line.get("quote") or "")
                if quote and quote in body and (quote, line["origin"]) not in seen:
                    seen.add((quote, line["origin"]))
                    origin = view.find("sources", line["origin"]) or {"id": line["origin"], "kind": "?"}
                    pairs.append((quote, origin))
        return pairs

    def same_quote(g, d) -> bool:
        return (g[0] in d[0] or d[0] in g[0]) and same_source(g[1], gv, d[1], dv)

    gold_quotes, draft_quotes = quotes(gv), quotes(dv)
    score = Score()
    for d in draft_quotes:
        if any(same_quote(g, d) for g in gold_quotes):
            score.tp += 1
        else:
            score.fp += 1
            score.misses.append(f"extra: {d[0][:80]!r} -> {d[1]['id']}")
    for g in gold_quotes:
        if not any(same_quote(g, d) for d in draft_quotes):
            score.fn += 1
            score.misses.append(f"missed: {g[0][:80]!r} -> {g[1]['id']}")
    # Recall counts gold quotations found; several may fall within one quotation of the draft.
    score.gold_tp = len(gold_quotes) - score.fn
    return score


def score_article(draft_data: dict, gold_data: dict, record: dict | None, text: str) -> dict[str, Score]:
    dv, gv = _View(draft_data, record), _View(gold_data, record)
    out: dict[str, Score] = {}
    out["agencies"] = _pair(gv.items("agencies"), dv.items("agencies"), same_agency)
    out["sources"] = _pair(gv.items("sources"), dv.items("sources"), lambda g, d: same_source(g, gv, d, dv))
    out["quotes"] = _score_quotes(gv, dv, text)

    def same_figure(g, d) -> bool:
        return (
            float(g["value"]) == float(d["value"])
            and _can_be_same_day(g["period_start"], d["period_start"])
            and _can_be_same_day(g["period_end"], d["period_end"])
        )

    out["figures"] = _pair(gold_data.get("figures") or [], draft_data.get("figures") or [], same_figure)

    def cited(view: _View) -> list[dict]:
        article = view.article
        keys = list(article.get("cites") or [])
        for claim in view.data.get("claims") or ():
            for line in claim.get("attributions") or ():
                if line.get("document") == article.get("id"):
                    keys += line.get("via") or []
        docs = [view.find("documents", k) for k in dict.fromkeys(keys)]
        return [d for d in docs if d and d["kind"] != "dataset" and d.get("id") != article.get("id")]

    def same_report(g, d) -> bool:
        if _family(g["kind"]) != _family(d["kind"]):
            return False
        go, do = gv.find("outlets", g.get("outlet")), dv.find("outlets", d.get("outlet"))
        if go and do:
            return _names_match(go["name"], do["name"])
        return _overlap(g["title"], d["title"], 0.5)

    out["cited_reports"] = _pair(cited(gv), cited(dv), same_report)

    def missions(view: _View) -> list[tuple]:
        before = {
            (a["id"], normalise(m["text"]))
            for a in (view.record.get("agencies") or ())
            for m in a.get("missions") or ()
        }
        return [
            (m, a)
            for a in view.data.get("agencies") or ()
            for m in a.get("missions") or ()
            if (a["id"], normalise(m["text"])) not in before
        ]

    out["missions"] = _pair(
        missions(gv),
        missions(dv),
        lambda g, d: same_agency(g[1], d[1]) and _overlap(g[0]["text"], d[0]["text"], 1 / 3),
    )

    def comments(view: _View) -> list[tuple]:
        article = view.article.get("id")
        return [
            (c, view.find("agencies", c["agency"]))
            for c in view.data.get("comment_requests") or ()
            if c["document"] == article
        ]

    out["comment_requests"] = _pair(
        comments(gv),
        comments(dv),
        lambda g, d: same_agency(g[1], d[1]) and g[0]["response"] == d[0]["response"],
    )
    return out


def run(gold_dir: Path = GOLD, *, tuned_only: bool = False) -> dict:
    """Every article of the manifest, proposed and scored: per article, and totals per split.
    `tuned_only` leaves the held-out articles unread (while tuning, they are not even run)."""
    manifest = yaml.safe_load((gold_dir / "manifest.yaml").read_text(encoding="utf-8"))["articles"]
    seed = yaml.safe_load((gold_dir / "seed-daily-beast.yaml").read_text(encoding="utf-8"))
    articles = []
    totals = {split: {kind: Score() for kind in KINDS} for split in ("tuned", "held_out", "all")}
    for entry in manifest:
        if tuned_only and entry["held_out"]:
            continue
        text = (gold_dir / entry["file"]).read_text(encoding="utf-8")
        gold = yaml.safe_load((gold_dir / entry["gold"]).read_text(encoding="utf-8"))
        is_seed = entry["file"].startswith("seed-")
        record = None if is_seed else seed
        known = KnownRecord.empty() if is_seed else KnownRecord.from_dossier(seed)
        published = entry.get("published")
        draft = propose(
            text,
            outlet=entry.get("outlet"),
            published=str(published) if published else None,
            url=entry.get("url"),
            known=known,
        )
        scores = score_article(draft.dossier, gold, record, text)
        split = "held_out" if entry["held_out"] else "tuned"
        for kind, score in scores.items():
            totals[split][kind].add(score)
            totals["all"][kind].add(score)
        articles.append({"file": entry["file"], "style": entry["style"], "split": split, "scores": scores})
    return {"articles": articles, "totals": totals}


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _row(name: str, s: Score, width: int = 18) -> str:
    rates = f"{_fmt(s.precision):>9} {_fmt(s.recall):>7} {_fmt(s.f1):>6}"
    return f"  {name:<{width}} {rates}  {s.tp:3d} {s.fp:3d} {s.fn:3d}"


def report(result: dict, *, misses: bool = False) -> str:
    lines = []
    for split, title in (("tuned", "Tuned on"), ("held_out", "Held out (never tuned on)"), ("all", "All")):
        files = [a["file"] for a in result["articles"] if split == "all" or a["split"] == split]
        lines.append(f"{title}: {len(files)} articles")
        lines.append(f"  {'kind':<18} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn")
        total = Score()
        for kind in KINDS:
            s = result["totals"][split][kind]
            total.add(s)
            lines.append(_row(kind, s))
        lines.append(_row("all kinds", total))
        lines.append("")
    lines.append("Per article (all kinds)")
    for article in result["articles"]:
        total = Score()
        for score in article["scores"].values():
            total.add(score)
        split = "held out" if article["split"] == "held_out" else "tuned"
        lines.append(_row(f"{split:<9}{article['file']}", total, width=46))
    lines.append("")
    if misses:
        # Only the tuned articles: the held-out ones are not looked at while tuning.
        for article in result["articles"]:
            if article["split"] != "tuned":
                continue
            lines.append(f"== {article['file']} ({article['style']})")
            for kind, score in article["scores"].items():
                for miss in score.misses:
                    lines.append(f"  {kind}: {miss}")
    return "\n".join(lines)


def figures(result: dict) -> dict[str, float | None]:
    """The numbers `make bench` records: intake.<split>.<kind>.<precision|recall>, and all kinds."""
    out: dict[str, float | None] = {}
    for split in ("held_out", "tuned"):
        total = Score()
        for kind in KINDS:
            s = result["totals"][split][kind]
            total.add(s)
            out[f"intake.{split}.{kind}.precision"] = s.precision
            out[f"intake.{split}.{kind}.recall"] = s.recall
        out[f"intake.{split}.precision"] = total.precision
        out[f"intake.{split}.recall"] = total.recall
    return out
