from django.conf import settings
from django.db import models

from .base import Stamped


class IntakeState(models.TextChoices):
    OPEN = "open", "Open: being reviewed"
    RECORDED = "recorded", "Recorded"
    DISCARDED = "discarded", "Discarded"


class IntakeDraft(Stamped):
    """An article a researcher pasted and what Oversight proposed from it, kept on the server
    between the paste and the review so that the page never trusts a draft sent back by the browser.

    Not part of the record: nothing here is shown to readers, and recording writes the record
    through the dossier importer."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake_drafts"
    )
    text = models.TextField()
    outlet = models.CharField(max_length=200, blank=True)
    published = models.CharField(max_length=10, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # {"dossier": <oversight-dossier/1>, "proposals": [...], "candidates": {...}} as proposed.
    draft = models.JSONField()
    state = models.CharField(max_length=10, choices=IntakeState.choices, default=IntakeState.OPEN)
    # What was written when recorded: the importer's summary.
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "state"])]

    def __str__(self):
        return f"intake draft {self.pk} by {self.owner}"
