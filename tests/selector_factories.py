"""Builders of small records for the selector tests: the postal story's shapes, at any size."""

from agencies import models as m
from tests import factories as f


def outlet(name: str) -> m.Outlet:
    return f.OutletFactory(name=name)


def article(outlet_: m.Outlet | None, title: str = "", published: str = "2025-05") -> m.Document:
    kwargs = {"published": published, "outlet": outlet_}
    if title:
        kwargs["title"] = title
    return f.DocumentFactory(**kwargs)


def line(claim, document, origin, via=(), stance=m.Stance.SUPPORTS, position=None, **kwargs) -> m.Attribution:
    if position is not None:
        kwargs["position"] = position  # else the claim's next line
    return f.AttributionFactory(
        claim=claim, document=document, origin=origin, via=list(via), stance=stance, **kwargs
    )


def agency_tree(depth: int, parent: m.Agency | None = None) -> list[m.Agency]:
    """A chain of agencies, each the parent of the next: [root, child, grandchild, ...]."""
    chain = []
    for _ in range(depth):
        parent = f.AgencyFactory(parent=parent)
        chain.append(parent)
    return chain


def evidenced_claims(count: int, agency: m.Agency, lines: int = 3, hops: int = 2) -> list[m.Claim]:
    """`count` claims about `agency`, each with `lines` attributions passing through `hops` documents."""
    source = f.AnonymousSourceFactory()
    claims = []
    for n in range(count):
        claim = f.ClaimFactory(agencies=[agency], status=m.ClaimStatus.CORROBORATED)
        for position in range(lines):
            origin = source if position == 0 else f.SourceFactory()
            via = [f.DocumentFactory(outlet=None if k else f.OutletFactory()) for k in range(hops)]
            line(claim, f.DocumentFactory(), origin, via=via, position=position, quote=f"q{n}")
        claims.append(claim)
    return claims


def figures(count: int, agency: m.Agency, metric: str = "removals") -> list[m.Figure]:
    """`count` figures about `agency` on one metric: pairs over the same period that disagree,
    spread over successive months, plus rates."""
    made = []
    for n in range(count):
        month = n // 2 % 12 + 1
        year = 2020 + n // 24
        claim = f.ClaimFactory(agencies=[agency], kind=m.ClaimKind.FIGURE)
        f.AttributionFactory(claim=claim, via=[f.DocumentFactory()])
        unit = "people per month" if n % 5 == 4 else "people"
        made.append(
            f.FigureFactory(
                claim=claim,
                metric=metric,
                value=1000 * (n + 1),
                unit=unit,
                period_start=f"{year}-{month:02d}-01",
                period_end=f"{year}-{month:02d}-28",
            )
        )
    return made
