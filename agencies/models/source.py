from django.db import models
from simple_history.models import HistoricalRecords

from agencies.core.dates import PartialDateField, partial_date_checks
from agencies.core.fields import EncryptedTextField

from .base import Stamped, slug_field


class OutletKind(models.TextChoices):
    NEWS = "news", "News"
    WIRE = "wire", "Wire service"
    GOVERNMENT = "government", "Government"
    ACADEMIC = "academic", "Academic"
    NGO = "ngo", "NGO"
    OTHER = "other", "Other"


class Outlet(Stamped):
    """Who publishes: a newspaper, a wire service, an agency, a university, an NGO."""

    slug = slug_field()
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=OutletKind.choices, default=OutletKind.NEWS)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DocumentKind(models.TextChoices):
    ARTICLE = "article", "Article"
    REPORT = "report", "Report"
    PRESS_RELEASE = "press_release", "Press release"
    TRANSCRIPT = "transcript", "Transcript"
    DATASET = "dataset", "Data release"
    WEBPAGE = "webpage", "Web page"
    OTHER = "other", "Other"


class Document(Stamped):
    """One thing that was published."""

    slug = slug_field()
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.ARTICLE)
    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(max_length=500)
    published = PartialDateField()
    url = models.URLField(max_length=2000, blank=True)
    archived_url = models.URLField(max_length=2000, blank=True)
    authors = models.JSONField(default=list, blank=True, help_text="A list of names.")
    cites = models.ManyToManyField(
        "self", through="Citation", symmetrical=False, related_name="cited_by", blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published", "title"]
        constraints = partial_date_checks("document", "published")
        # An agency's page reads its latest documents by walking this index (selectors.timeline_page).
        indexes = [models.Index(fields=["published"], name="document_published")]

    def __str__(self):
        return self.title


class Citation(models.Model):
    """`citing` cites `cited`, in the order the document gives its sources."""

    citing = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="citations")
    cited = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="citations_received")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["citing", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["citing", "cited"], name="citation_once"),
            models.CheckConstraint(condition=~models.Q(citing=models.F("cited")), name="citation_not_self"),
        ]

    def __str__(self):
        return f"{self.citing.slug} cites {self.cited.slug}"


class SourceKind(models.TextChoices):
    PERSON = "person", "Named person"
    OFFICIAL = "official", "Unnamed official"
    ANONYMOUS = "anonymous", "Anonymous"
    AGENCY = "agency", "Agency, officially"
    ORGANISATION = "organisation", "Organisation or researcher"
    DATASET = "dataset", "Data set"
    OUTLET = "outlet", "Outlet's own reporting"


# Kinds whose statements cannot be traced to someone who can be named.
UNNAMED_KINDS = (SourceKind.ANONYMOUS, SourceKind.OFFICIAL)


class Source(Stamped):
    """Who a statement ultimately comes from."""

    slug = slug_field()
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    description = models.CharField(
        max_length=500, blank=True, help_text="How the source is described: 'a senior DHS official'."
    )
    count = models.PositiveIntegerField(null=True, blank=True, help_text="Anonymous only: how many people.")
    reason = models.CharField(max_length=500, blank=True, help_text="Why anonymity was granted.")
    granted_by = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anonymity_grants",
        help_text="The document that granted anonymity.",
    )
    name = models.CharField(max_length=300, blank=True, help_text="The name, if public.")
    title = models.CharField(max_length=300, blank=True)
    affiliation = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="affiliated_sources"
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="official_sources",
        help_text="Kind agency: the agency speaking officially.",
    )
    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="own_reporting_sources"
    )
    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dataset_sources",
        help_text="Kind data set: the data release.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__isnull=True) | models.Q(kind="anonymous"),
                name="source_count_anonymous_only",
            ),
        ]

    def __str__(self):
        return self.public_label

    @property
    def public_label(self) -> str:
        """How the source is shown anywhere public: never more than the record says openly."""
        if self.kind == SourceKind.ANONYMOUS:
            who = self.description or (
                f"{self.count} anonymous people" if self.count and self.count > 1 else "an anonymous source"
            )
            return f"{who} ({self.reason})" if self.reason else who
        # Whose spokesperson, whose official: the affiliation, unless the description already says it.
        if self.name:
            parts = [self.name, self.title, self._unsaid_affiliation(self.title)]
            return ", ".join(part for part in parts if part)
        label = self.description or self.slug
        unsaid = self._unsaid_affiliation(label) if self.kind == SourceKind.OFFICIAL else None
        return f"{label}, {unsaid}" if unsaid else label

    def _unsaid_affiliation(self, text: str) -> str | None:
        """The affiliation's label, unless there is none or `text` names it ("a senior DHS official")."""
        if self.affiliation_id is None or self.affiliation is None:
            return None
        agency, text = self.affiliation, text.lower()
        names = [agency.acronym, agency.name, agency.name.removeprefix("The ")]
        return None if any(name and name.lower() in text for name in names) else agency.label


class SourceConfidentialNote(Stamped):
    """Who a source really is and how to reach them. Kept apart so that nothing shows it by default.

    The notes are encrypted at rest, in this table and in its history (agencies/core/fields.py); only
    users with agencies.view_confidential see them (agencies/core/permissions.py).
    """

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="confidential_note")
    notes = EncryptedTextField()

    history = HistoricalRecords()

    class Meta:
        permissions = [
            (
                "view_confidential",
                "Can see who confidential sources are, and ask for internal briefings and exports",
            )
        ]

    def __str__(self):
        try:
            return f"Confidential note on {self.source.slug}"
        except Source.DoesNotExist:  # a version in the history, its source deleted since
            return f"Confidential note on source #{self.source_id}"
