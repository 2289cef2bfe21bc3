from django.conf import settings
from django.db import models
from django.utils import timezone


class RoleChange(models.Model):
    """One change of a user's role or confidential grant: who made it, to whom, from what, to what, why.

    Written only by services.user_set_role and never changed; the admin shows it read-only. The names
    are kept as they were, so that the entry still says who it was after a user is deleted.
    """

    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="role_changes_made",
        editable=False,
        help_text="Who made the change; empty for a system action.",
    )
    actor_name = models.CharField("by", max_length=150, blank=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="role_changes",
        editable=False,
    )
    user_name = models.CharField("user", max_length=150, editable=False)
    old_role = models.CharField("from role", max_length=60, blank=True, editable=False)
    new_role = models.CharField("to role", max_length=60, blank=True, editable=False)
    old_confidential = models.BooleanField("had the confidential grant", editable=False)
    new_confidential = models.BooleanField("has the confidential grant", editable=False)
    reason = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["user", "-changed_at"], name="role_change_user")]
        # Held by superusers and by whoever is given it: no role carries it.
        permissions = [("manage_roles", "Can give users a role and the confidential grant")]

    def __str__(self):
        return f"{self.user_name}: {self.old_role or 'no role'} → {self.new_role or 'no role'}"
