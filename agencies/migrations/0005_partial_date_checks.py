# Foundations (issue 10, part 7): the database itself refuses what the application would fail to read.
#
# - A CHECK constraint per partial-date column: only YYYY, YYYY-MM or YYYY-MM-DD, real calendar days.
#   The pattern is the one agencies.dates.STORED_FORM held when this was written (copied: migrations
#   never import the application); PostgreSQL's `~` and SQLite's REGEXP (Python's re, which Django
#   provides on every connection) read it alike.
# - Attribution lines numbered once per claim: (claim, position) is unique. Rows stored before, whose
#   positions repeat or skip, are first renumbered 0, 1, 2... in the order they were shown.

from django.db import migrations, models

STORED_FORM = (
    r"\A(([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])(-(0[1-9]|1[0-2]))?"
    r"|([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
    r"|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)\Z"
)

PARTIAL_DATES = [
    ("claim", "made"),
    ("commentrequest", "requested"),
    ("document", "published"),
    ("figure", "period_start"),
    ("figure", "period_end"),
    ("reportedrole", "first_reported"),
    ("statedmission", "as_of"),
]

SHOWN = 20


def refuse_stored_bad_dates(apps, schema_editor):
    """Stop, naming the rows, rather than fail on the constraint (or guess what 'May 2025' meant)."""
    alias = schema_editor.connection.alias
    found = []
    for model_name, field in PARTIAL_DATES:
        model = apps.get_model("agencies", model_name)
        rows = (
            model.objects.using(alias)
            .filter(**{f"{field}__isnull": False})
            .exclude(**{f"{field}__regex": STORED_FORM})
            .values_list("pk", field)
        )
        found += [f"{model._meta.db_table} id {pk}: {field} = {value!r}" for pk, value in rows[: SHOWN + 1]]
    if found:
        listed = "\n  ".join(found[:SHOWN]) + ("\n  ..." if len(found) > SHOWN else "")
        raise RuntimeError(
            "Some partial dates are stored in a form Oversight cannot read. Correct them to YYYY, "
            f"YYYY-MM or YYYY-MM-DD (or empty them), then migrate again:\n  {listed}"
        )


def renumber_attributions(apps, schema_editor):
    """Give each claim's attribution lines the positions 0..n-1, in their (position, id) order."""
    alias = schema_editor.connection.alias
    Attribution = apps.get_model("agencies", "Attribution")
    uneven = (
        Attribution.objects.using(alias)
        .values("claim_id")
        .annotate(
            lines=models.Count("id"),
            positions=models.Count("position", distinct=True),
            low=models.Min("position"),
            high=models.Max("position"),
        )
        .exclude(positions=models.F("lines"), low=0, high=models.F("lines") - 1)
        .values_list("claim_id", flat=True)
    )
    changed = []
    for claim_id in list(uneven):
        lines = Attribution.objects.using(alias).filter(claim_id=claim_id).order_by("position", "id")
        for position, line in enumerate(lines):
            if line.position != position:
                line.position = position
                changed.append(line)
    Attribution.objects.using(alias).bulk_update(changed, ["position"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0004_claim_search_indexes"),
    ]

    operations = [
        migrations.RunPython(refuse_stored_bad_dates, migrations.RunPython.noop),
        *[
            migrations.AddConstraint(
                model_name=model_name,
                constraint=models.CheckConstraint(
                    condition=models.Q((f"{field}__regex", STORED_FORM)),
                    name=f"{model_name}_{field}_partial_date",
                    violation_error_message=f"{field} must be YYYY, YYYY-MM or YYYY-MM-DD.",
                ),
            )
            for model_name, field in PARTIAL_DATES
        ],
        migrations.RunPython(renumber_attributions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="attribution",
            constraint=models.UniqueConstraint(fields=("claim", "position"), name="attribution_position_once"),
        ),
    ]
