"""The briefing's HTML: the data through Django templates, autoescaped, so markup in the record
shows as text and never becomes an element, a stylesheet or a URL the renderer would follow."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from agencies.briefings.data import INTERNAL, BriefingData
from agencies.core.charts import contested_chart

TEMPLATE = "briefings/briefing.html"
INTERNAL_MARKING = "INTERNAL — contains confidential source information"
PUBLIC_MARKING = "Public briefing"


def briefing_html(data: BriefingData, *, fingerprint: str, generated: dt.datetime) -> str:
    internal = data.audience == INTERNAL
    return render_to_string(
        TEMPLATE,
        {
            "b": data,
            "internal": internal,
            "marking": INTERNAL_MARKING if internal else PUBLIC_MARKING,
            "fingerprint": fingerprint,
            "fingerprint_groups": [fingerprint[i : i + 8] for i in range(0, len(fingerprint), 8)],
            "generated": generated,
            "generated_display": f"{generated.day} {generated:%B %Y}",
            "chart": contested_chart(data.contested),
        },
    )
