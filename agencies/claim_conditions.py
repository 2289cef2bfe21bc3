"""What the selectors derive about a claim, asked of the database instead: SQL conditions.

`agencies.selectors.claim_evidence` and `contested_figures` decide the flags in Python for claims
already fetched. Filtering a million claims by them cannot fetch every claim first, so the same
definitions are written here as expressions the database evaluates (Exists, Subquery, Case), and
tests/explorer/test_conditions.py checks that both agree on the same record.

Full-text search is PostgreSQL's (to_tsvector/websearch_to_tsquery over GIN expression indexes
created by migration 0004); on SQLite it falls back to case-insensitive substring matching.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, Lower, Trim
from django.db.models.lookups import GreaterThan

from agencies.models import (
    UNNAMED_KINDS,
    Attribution,
    AttributionHop,
    Claim,
    Document,
    Figure,
    Source,
    Stance,
)
from agencies.selectors import DAYS_PER_MONTH, PERIOD_TOLERANCE_DAYS, VALUE_TOLERANCE

# --- Evidence flags (as claim_evidence decides them) ----------------------------------------------


def _supporting(claim_ref) -> QuerySet[Attribution]:
    return Attribution.objects.filter(claim=claim_ref, stance=Stance.SUPPORTS)


def anonymous_only() -> Q:
    """Every supporting line ends in an anonymous source or an unnamed official (and there is one)."""
    supporting = _supporting(OuterRef("pk"))
    return Q(Exists(supporting)) & ~Q(Exists(supporting.exclude(origin__kind__in=UNNAMED_KINDS)))


def _reporting_outlet():
    """The outlet of the document closest to the origin: the last via document, else the document."""
    hops = AttributionHop.objects.filter(attribution=OuterRef("pk"))
    last_hop = hops.order_by("-position", "-id").values("document__outlet_id")[:1]
    return Case(
        When(Exists(hops), then=Subquery(last_hop)),
        default=F("document__outlet_id"),
        output_field=IntegerField(),
    )


def single_outlet() -> Q:
    """Every supporting line rests on one outlet's reporting (and that outlet is known)."""
    lines = _supporting(OuterRef("pk")).annotate(reporting_outlet=_reporting_outlet())
    first = (
        _supporting(OuterRef("claim_id"))
        .annotate(reporting_outlet=_reporting_outlet())
        .order_by("pk")
        .values("reporting_outlet")[:1]
    )
    return (
        Q(Exists(lines))
        & ~Q(Exists(lines.filter(reporting_outlet__isnull=True)))
        & ~Q(Exists(lines.exclude(reporting_outlet=Subquery(first))))
    )


# --- Contested figures (as selectors.contested_figures decides them) ------------------------------


class _PartialDateDay(Func):
    """A partial date's first (or last) day, as a day number: days since 1970-01-01.

    The column holds "2025", "2025-05" or "2025-05-12": padded with "-01-01" and cut to ten
    characters it is the first day; the last day is a year, a month or a day later, less a day.
    The SQL stays shallow on purpose: SQLite's parser refuses deeply nested expressions, and the
    contested-figures condition repeats these several times.
    """

    output_field = IntegerField()
    arity = 1
    last = False

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        first = f"SUBSTR({column} || '-01-01', 1, 10)"
        if not self.last:
            return f"CAST(JULIANDAY({first}) - 2440587.5 AS INTEGER)", params
        step = f"CASE LENGTH({column}) WHEN 4 THEN '+1 year' WHEN 7 THEN '+1 month' ELSE '+1 day' END"
        return f"CAST(JULIANDAY({first}, {step}, '-1 day') - 2440587.5 AS INTEGER)", params * 3

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        column, params = compiler.compile(self.source_expressions[0])
        first = f"CAST(SUBSTR({column} || '-01-01', 1, 10) AS date)"
        if not self.last:
            return f"({first} - DATE '1970-01-01')", params
        step = (
            f"CASE LENGTH({column}) WHEN 4 THEN INTERVAL '1 year' WHEN 7 THEN INTERVAL '1 month' "
            f"ELSE INTERVAL '1 day' END"
        )
        return f"(CAST({first} + {step} - INTERVAL '1 day' AS date) - DATE '1970-01-01')", params * 2


class FirstDay(_PartialDateDay):
    last = False


class LastDay(_PartialDateDay):
    last = True


# The selectors' rate units ("people per month", "a week", "/day", "monthly"), one pattern per period,
# in a regular-expression dialect that Python (SQLite's REGEXP) and PostgreSQL read alike: no \b.
_BEFORE, _AFTER = r"(^|[^a-z0-9_])", r"($|[^a-z0-9_])"


def _rate_pattern(unit: str, adverbs: str) -> str:
    per = rf"{_BEFORE}(per\s+|a\s+){unit}s?{_AFTER}|/\s*{unit}s?{_AFTER}"
    return rf"{per}|{_BEFORE}({adverbs}){_AFTER}"


RATE_DAYS = (
    (_rate_pattern("day", "daily"), Decimal(1)),
    (_rate_pattern("week", "weekly"), Decimal(7)),
    (_rate_pattern("month", "monthly"), DAYS_PER_MONTH),
    (_rate_pattern("(year|annum)", "yearly|annual|annually"), Decimal("365.25")),
)
_NUMBER = DecimalField(max_digits=40, decimal_places=12)


def _apart(a, b) -> Q:
    """More than VALUE_TOLERANCE apart, relative to the larger: selectors._apart."""
    tolerance = Value(VALUE_TOLERANCE, output_field=_NUMBER)
    difference = Abs(a - b, output_field=_NUMBER)
    return Q(GreaterThan(difference, Abs(a, output_field=_NUMBER) * tolerance)) | Q(
        GreaterThan(difference, Abs(b, output_field=_NUMBER) * tolerance)
    )


def figure_readings() -> QuerySet[Figure]:
    """Figures whose period can be read, with its first and last day, the days a rate unit is per
    (null for a count) and the figure as a monthly rate: selectors.FigureReading, in SQL."""
    rate_days = Case(
        *(When(unit__iregex=pattern, then=Value(days, output_field=_NUMBER)) for pattern, days in RATE_DAYS),
        default=None,
        output_field=_NUMBER,
    )
    return (
        Figure.objects.filter(period_start__isnull=False, period_end__isnull=False)
        .annotate(first_day=FirstDay("period_start"), last_day=LastDay("period_end"), rate_days=rate_days)
        .filter(last_day__gte=F("first_day"))
        .annotate(
            place=Lower(Trim("geography")),
            # A count spreads over its period's days; a rate is already per day/week/month/year.
            # Multiply before dividing, as the selectors do, so that 57,000 a month stays 57,000.
            monthly=ExpressionWrapper(
                F("value")
                * Value(DAYS_PER_MONTH, output_field=_NUMBER)
                / Coalesce("rate_days", F("last_day") - F("first_day") + 1, output_field=_NUMBER),
                output_field=_NUMBER,
            ),
        )
    )


def contested_figures() -> QuerySet[Figure]:
    """Figures another figure contests: same metric, both period ends within PERIOD_TOLERANCE_DAYS,
    places that may match, and values more than VALUE_TOLERANCE apart, compared as counts when both
    are counts and as monthly rates when either is a rate (selectors.contested_figures)."""
    days = PERIOD_TOLERANCE_DAYS
    counts = Q(rate_days__isnull=True) & Q(outer_rate_days__isnull=True)
    others = (
        figure_readings()
        .filter(metric=OuterRef("metric"))
        .exclude(pk=OuterRef("pk"))
        .filter(
            first_day__gte=OuterRef("first_day") - days,
            first_day__lte=OuterRef("first_day") + days,
            last_day__gte=OuterRef("last_day") - days,
            last_day__lte=OuterRef("last_day") + days,
        )
        # A figure without a place is taken to match any; two named, different places never compare.
        .annotate(
            outer_place=ExpressionWrapper(OuterRef("place"), output_field=CharField()),
            outer_rate_days=ExpressionWrapper(OuterRef("rate_days"), output_field=_NUMBER),
        )
        .filter(Q(place="") | Q(outer_place="") | Q(place=F("outer_place")))
        .filter(
            (counts & _apart(F("value"), OuterRef("value")))
            | (~counts & _apart(F("monthly"), OuterRef("monthly")))
        )
    )
    return figure_readings().filter(Exists(others))


def contested() -> Q:
    """A line disputes the claim, or a figure it asserts is contested by another figure."""
    disputed = Exists(Attribution.objects.filter(claim=OuterRef("pk"), stance=Stance.DISPUTES))
    return Q(disputed) | Q(pk__in=contested_figures().values("claim_id"))


# --- Full-text search -----------------------------------------------------------------------------

SEARCH_CONFIG = "english"
# Up to this many matching claims, a search filters by their ids (text_search).
MATCHES_LISTED = 5_000


class _TextMatch(Func):
    """`to_tsvector(config, coalesce(a, '') || ' ' || coalesce(b, '')) @@ websearch_to_tsquery(config, q)`.

    Written out so that the document expression is exactly the one migration 0004 indexes (GIN):
    PostgreSQL uses an expression index only for the same expression.
    """

    output_field = BooleanField()

    def __init__(self, *columns: str, query: str):
        super().__init__(*(F(column) for column in columns))
        self.query = query

    def as_sql(self, compiler, connection, **extra):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, column_params = compiler.compile(expression)
            parts.append(f"COALESCE({sql}, '')")
            params += column_params
        document = " || ' ' || ".join(parts)
        config = f"'{SEARCH_CONFIG}'::regconfig"
        return (
            f"to_tsvector({config}, {document}) @@ websearch_to_tsquery({config}, %s)",
            [*params, self.query],
        )


def _full_text(term: str):
    return (
        Claim.objects.filter(_TextMatch("text", query=term)),
        Attribution.objects.filter(_TextMatch("quote", query=term)),
        Document.objects.filter(_TextMatch("title", query=term)),
        Source.objects.filter(_TextMatch("description", "name", query=term)),
    )


def _substring(term: str):
    return (
        Claim.objects.filter(text__icontains=term),
        Attribution.objects.filter(quote__icontains=term),
        Document.objects.filter(title__icontains=term),
        Source.objects.filter(Q(description__icontains=term) | Q(name__icontains=term)),
    )


def uses_full_text(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def text_search(term: str, *, using: str = "default") -> Q:
    """Claims whose text, a quote of one of their lines, the title of a document a line appears in or
    passed through, or the description or name of a line's origin matches `term`. Confidential notes
    are never searched.

    PostgreSQL: full-text (stemmed, websearch syntax: "quoted phrase", -excluded, or). SQLite: the
    term as a case-insensitive substring. Each branch is a separate SELECT joined by UNION, so that
    each can use its own index instead of one scan testing every condition.
    """
    claims, quotes, documents, sources = (_full_text if uses_full_text(using) else _substring)(term)
    documents, sources = documents.order_by().values("pk"), sources.order_by().values("pk")
    ids = (
        claims.using(using)
        .order_by()
        .values_list("pk", flat=True)
        .union(
            quotes.order_by().values_list("claim_id", flat=True),
            Attribution.objects.filter(document__in=documents).order_by().values_list("claim_id", flat=True),
            Attribution.objects.filter(origin__in=sources).order_by().values_list("claim_id", flat=True),
            AttributionHop.objects.filter(document__in=documents)
            .order_by()
            .values_list("attribution__claim_id", flat=True),
        )
    )
    # The planner cannot tell how many claims a term finds (a rare word gets the estimate of a common
    # one) and would scan every claim to join them. Read the matches first: a selective search then
    # filters by a short list of ids; only a term matching very many claims stays a subquery.
    matched = list(ids[: MATCHES_LISTED + 1])
    return Q(pk__in=matched if len(matched) <= MATCHES_LISTED else ids)
