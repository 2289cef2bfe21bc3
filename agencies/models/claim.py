from django.db import models
from simple_history.models import HistoricalRecords

from agencies.core.dates import PartialDateField, partial_date_checks

from .base import Stamped, slug_field


class ClaimKind(models.TextChoices):
    ROLE = "role", "Role"
    FIGURE = "figure", "Figure"
    CHARACTERISATION = "characterisation", "Characterisation"
    INTENT = "intent", "Intent"
    STATEMENT = "statement", "Statement"
    DENIAL = "denial", "Denial"
    DATA_ACCESS = "data_access", "Data access"


class ClaimStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    CORROBORATED = "corroborated", "Corroborated"
    CONFIRMED = "confirmed", "Confirmed"
    DISPUTED = "disputed", "Disputed"
    REFUTED = "refuted", "Refuted"
    RETRACTED = "retracted", "Retracted"


class Claim(Stamped):
    """One checkable statement about one or more agencies."""

    slug = slug_field()
    kind = models.CharField(max_length=20, choices=ClaimKind.choices)
    text = models.TextField()
    agencies = models.ManyToManyField("agencies.Agency", through="ClaimAgency", related_name="claims")
    made = PartialDateField("made on")
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED)
    # A denial or a dispute points at the claim it answers. PROTECT: deleting an answered claim is
    # refused while an answer points at it, so a denial never silently loses what it denies.
    answers = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_by",
        verbose_name="answers claim",
        help_text="The claim this one denies or disputes, if it answers one.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-made", "slug"]
        # kind: the explorer's and the changelist's kind filters count a few percent of a million claims.
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["made"]),
            models.Index(fields=["kind"]),
        ]
        constraints = partial_date_checks("claim", "made")

    def __str__(self):
        return self.text if len(self.text) <= 90 else self.text[:89] + "…"


class ClaimAgency(models.Model):
    """A claim is about this agency. Deleting the agency is refused while claims are about it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_agencies")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="claim_agencies")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "position", "id"]
        verbose_name = "agency the claim is about"
        verbose_name_plural = "agencies the claim is about"
        constraints = [models.UniqueConstraint(fields=["claim", "agency"], name="claim_agency_once")]

    def __str__(self):
        return f"{self.claim.slug} is about {self.agency.label}"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    DISPUTES = "disputes", "Disputes"
    MENTIONS = "mentions", "Mentions"


class Attribution(Stamped):
    """This claim appears in `document`, which got it via `hops` (in order), from `origin`."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attributions")
    document = models.ForeignKey(
        "agencies.Document",
        on_delete=models.PROTECT,
        related_name="attributions",
        help_text="Where the claim appears.",
    )
    origin = models.ForeignKey(
        "agencies.Source",
        on_delete=models.PROTECT,
        related_name="attributions",
        help_text="Who the claim ultimately comes from.",
    )
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.SUPPORTS)
    quote = models.TextField(blank=True, help_text="A short verbatim quote, where there is one.")
    locator = models.CharField(max_length=200, blank=True, help_text="e.g. 'para 2', 'p. 14'.")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "position", "id"]
        # Lines are numbered densely per claim; services.record_save locks the claim to number a new one.
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="attribution_position_once")
        ]

    def __str__(self):
        return f"{self.claim.slug} in {self.document.slug}"


class AttributionHop(models.Model):
    """One document an attribution passed through, in order from the citing document outwards."""

    attribution = models.ForeignKey(Attribution, on_delete=models.CASCADE, related_name="hops")
    document = models.ForeignKey(
        "agencies.Document", on_delete=models.PROTECT, related_name="attribution_hops"
    )
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["attribution", "position", "id"]
        verbose_name = "via document"
        verbose_name_plural = "via documents (in order)"

    def __str__(self):
        return f"via {self.document.slug}"


class Figure(Stamped):
    """A number a claim asserts, over a period whose ends keep their precision."""

    slug = slug_field()
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="figures")
    metric = models.SlugField(
        max_length=60, help_text="Figures compare only within a metric: removals, arrests..."
    )
    value = models.DecimalField(max_digits=20, decimal_places=4)
    unit = models.CharField(max_length=60, default="people")
    period_start = PartialDateField()
    period_end = PartialDateField()
    geography = models.CharField(max_length=200, blank=True)
    basis = models.CharField(max_length=300, blank=True, help_text="What it is computed from: 'ICE data'.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["metric", "period_start", "slug"]
        indexes = [
            models.Index(fields=["metric", "period_start"]),
            # A scope's latest figures, found walking it (selectors.figure_pairs_page, timeline_page).
            models.Index(fields=["period_start"], name="figure_period_start"),
        ]
        constraints = partial_date_checks("figure", "period_start", "period_end")

    def __str__(self):
        return f"{self.value.normalize():,f} {self.unit} ({self.metric})"


class CommentResponse(models.TextChoices):
    NONE = "none", "No response by publication"
    DECLINED = "declined", "Declined"
    RESPONDED = "responded", "Responded"


class CommentRequest(Stamped):
    """An outlet asked an agency for comment for a document."""

    document = models.ForeignKey(
        "agencies.Document", on_delete=models.PROTECT, related_name="comment_requests"
    )
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="comment_requests")
    requested = PartialDateField()
    response = models.CharField(max_length=10, choices=CommentResponse.choices, default=CommentResponse.NONE)
    response_text = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["document", "agency"]
        constraints = [
            models.UniqueConstraint(fields=["document", "agency"], name="comment_request_once"),
            *partial_date_checks("commentrequest", "requested"),
        ]

    def __str__(self):
        return f"{self.agency.label} asked for comment for “{self.document.title}”"
