from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords


class BriefingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class BriefingAudience(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal (may carry confidential notes)"


# Migrations name the frozen twin (agencies/migrations/_frozen.py) of this callable, never this module.
@deconstructible(path="agencies.migrations._frozen.BriefingUploadTo")
class BriefingUploadTo:
    def __call__(self, instance: "Briefing", filename: str) -> str:
        # A folder per briefing: names never collide and a briefing's files are easy to find in storage.
        return f"briefings/{instance.pk}/{filename}"

    def __eq__(self, other):
        return isinstance(other, BriefingUploadTo)

    def __hash__(self):
        return hash(BriefingUploadTo)


briefing_upload_to = BriefingUploadTo()


class BriefingPageSize(models.TextChoices):
    A4 = "A4", "A4"
    LETTER = "letter", "US Letter"


class Briefing(models.Model):
    """A PDF briefing: the job that builds it (the row is also the outbox) and, once built, the file.

    Status changes are written with conditional UPDATEs by agencies.briefings.worker, which records
    each transition in the history; heartbeats and progress are not history.
    """

    scope = models.JSONField(help_text='{"agencies": [slugs]} or {"filter": "<claims query string>"}.')
    scope_key = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the normalised scope: finds an equal request."
    )
    audience = models.CharField(
        max_length=10, choices=BriefingAudience.choices, default=BriefingAudience.PUBLIC
    )
    title = models.CharField(max_length=300, blank=True)
    page_size = models.CharField(
        max_length=10,
        choices=BriefingPageSize.choices,
        default=BriefingPageSize.A4,
        help_text="The paper it is laid out for; requests default to the BRIEFING_PAGE_SIZE setting.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="briefings",
        help_text="Empty when asked for from the command line.",
    )
    requested_at = models.DateTimeField(default=timezone.now)

    status = models.CharField(max_length=10, choices=BriefingStatus.choices, default=BriefingStatus.QUEUED)
    stage = models.CharField(max_length=100, blank=True, default="queued")
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    # What spends attempts: the briefing's own failures (a render that broke), and apart, with a bound
    # of its own, worker processes that died under it. The database, the worker queue or the storage
    # being unreachable spends neither.
    failures = models.PositiveSmallIntegerField(
        default=0, help_text="Attempts that ended on an error of the render itself."
    )
    workers_lost = models.PositiveSmallIntegerField(
        default=0, help_text="Attempts whose worker process died or stopped responding."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last handed to the worker queue."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="The worker process of the last attempt.")

    # Stored through Django's storage API and served only by a view that checks permission.
    file = models.FileField(upload_to=briefing_upload_to, max_length=300, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField("size (bytes)", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the data the briefing was built from."
    )
    record_version = models.CharField(
        max_length=64,
        blank=True,
        help_text="The record's version when the worker began to read it, and the layout's: "
        "a request at the same version reuses this briefing.",
    )
    error = models.TextField(blank=True, help_text="Why it failed; never holds confidential text.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["scope_key", "audience", "record_version"], name="briefing_reuse"),
            models.Index(fields=["status", "heartbeat_at"], name="briefing_sweep"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="briefing_progress_le_100"),
            models.CheckConstraint(
                condition=models.Q(status__in=BriefingStatus.values), name="briefing_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(audience__in=BriefingAudience.values), name="briefing_audience_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=BriefingStatus.SUCCEEDED) | ~models.Q(file=""),
                name="briefing_succeeded_has_file",
            ),
        ]

    def __str__(self):
        return self.title or f"Briefing #{self.pk} ({self.scope_label})"

    @property
    def is_finished(self) -> bool:
        return self.status in (BriefingStatus.SUCCEEDED, BriefingStatus.FAILED)

    @property
    def scope_label(self) -> str:
        scope = self.scope or {}
        if "agencies" in scope:
            return "Agencies: " + ", ".join(scope["agencies"])
        if "filter" in scope:
            return f"Claims: {scope['filter'] or 'all'}"
        return "-"
