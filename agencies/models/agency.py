from django.db import models
from simple_history.models import HistoricalRecords

from agencies.core.dates import PartialDateField, partial_date_checks

from .base import Stamped, slug_field


class AgencyKind(models.TextChoices):
    EXECUTIVE_DEPARTMENT = "executive_department", "Executive department"
    INDEPENDENT_AGENCY = "independent_agency", "Independent agency"
    COMPONENT = "component", "Component"
    LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement arm"
    EXECUTIVE_OFFICE = "executive_office", "Executive office"
    OTHER = "other", "Other"


class Agency(Stamped):
    slug = slug_field()
    name = models.CharField(max_length=300)
    acronym = models.CharField(max_length=30, blank=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices, default=AgencyKind.OTHER)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    website = models.URLField(max_length=1000, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        indexes = [models.Index(fields=["acronym"])]

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def label(self) -> str:
        return self.acronym or self.name


class StatedMission(Stamped):
    """What an agency says its job is, in its own words. Newest last: the last is current."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="missions")
    text = models.TextField()
    document = models.ForeignKey(
        "agencies.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missions",
        help_text="Where the agency states it: its website, a statute, a budget justification.",
    )
    as_of = PartialDateField("stated or captured")
    position = models.PositiveIntegerField(
        default=0, help_text="Order in the agency's history; the highest is current."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "position", "id"]
        constraints = partial_date_checks("statedmission", "as_of")

    def __str__(self):
        return self.text[:80]


class RoleStatus(models.TextChoices):
    REPORTED = "reported", "Reported"
    CONFIRMED = "confirmed", "Confirmed"
    DENIED = "denied", "Denied"
    DISPUTED = "disputed", "Disputed"
    ENDED = "ended", "Ended"


class MissionFit(models.TextChoices):
    WITHIN = "within", "Within the stated mission"
    OUTSIDE = "outside", "Outside the stated mission"
    UNCLEAR = "unclear", "Unclear"


class ReportedRole(Stamped):
    """Something an agency is reported to be doing. It rests on claims, never on free text alone."""

    slug = slug_field()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="roles")
    partner = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="partner_roles"
    )
    summary = models.TextField()
    category = models.SlugField(max_length=60, help_text="e.g. immigration_enforcement, surveillance")
    status = models.CharField(max_length=20, choices=RoleStatus.choices, default=RoleStatus.REPORTED)
    first_reported = PartialDateField()
    mission_fit = models.CharField(max_length=10, choices=MissionFit.choices, default=MissionFit.UNCLEAR)
    rationale = models.CharField(max_length=500, blank=True)
    claims = models.ManyToManyField("agencies.Claim", through="RoleClaim", related_name="roles")

    history = HistoricalRecords()

    class Meta:
        ordering = ["agency__name", "slug"]
        constraints = partial_date_checks("reportedrole", "first_reported")

    def __str__(self):
        return self.summary[:80]


class RoleClaim(models.Model):
    role = models.ForeignKey(ReportedRole, on_delete=models.CASCADE, related_name="role_claims")
    claim = models.ForeignKey("agencies.Claim", on_delete=models.PROTECT, related_name="role_claims")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["role", "claim"], name="role_claim_once")]

    def __str__(self):
        return f"{self.role.slug} rests on {self.claim.slug}"


class DataSystem(Stamped):
    """A capability an agency holds: mail covers, package tracking, financial data..."""

    slug = slug_field()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="data_systems")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agency__name", "name"]

    def __str__(self):
        return self.name


class AccessStatus(models.TextChoices):
    SOUGHT = "sought", "Sought"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    UNKNOWN = "unknown", "Unknown"


class DataAccess(Stamped):
    """Another agency seeking, getting or being refused a data system; rests on claims."""

    system = models.ForeignKey(DataSystem, on_delete=models.CASCADE, related_name="accesses")
    seeker = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="data_accesses")
    status = models.CharField(max_length=10, choices=AccessStatus.choices, default=AccessStatus.SOUGHT)
    claims = models.ManyToManyField("agencies.Claim", through="DataAccessClaim", related_name="data_accesses")

    history = HistoricalRecords()

    class Meta:
        ordering = ["system__agency__name", "system__name", "seeker__name"]
        verbose_name_plural = "data access"
        constraints = [models.UniqueConstraint(fields=["system", "seeker"], name="data_access_once")]

    def __str__(self):
        return f"{self.seeker.label} → {self.system.name}: {self.get_status_display().lower()}"


class DataAccessClaim(models.Model):
    access = models.ForeignKey(DataAccess, on_delete=models.CASCADE, related_name="access_claims")
    claim = models.ForeignKey("agencies.Claim", on_delete=models.PROTECT, related_name="access_claims")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["access", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["access", "claim"], name="access_claim_once")]

    def __str__(self):
        return f"{self.access} rests on {self.claim.slug}"
