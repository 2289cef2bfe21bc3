from django.core.validators import RegexValidator
from django.db import models

# Dossier-wide keys: also the public handle in URLs and exports.
slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*\Z",
    "Use lower-case letters, digits and hyphens, starting with a letter or digit.",
)


def slug_field(**kwargs):
    return models.CharField(
        "id",
        max_length=100,
        unique=True,
        validators=[slug_validator],
        help_text="The dossier id: a-z, 0-9 and hyphens.",
        **kwargs,
    )


class Stamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
