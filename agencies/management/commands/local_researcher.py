"""Create (or show) the local researcher login that `make run` prints. Local default only."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "researcher"


class Command(BaseCommand):
    help = "Create the local researcher login (DJANGO_DEBUG=1 only) and print it."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The local researcher login is for a local checkout only (DJANGO_DEBUG=1). "
                "In production create users with `manage.py createsuperuser`."
            )
        # The password lives in var/ (git-ignored) so that every `make run` prints the same login.
        path = settings.VAR_DIR / "local_login"
        if path.exists():
            password = path.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            path.write_text(password)
            path.chmod(0o600)
        user, _ = get_user_model().objects.get_or_create(username=USERNAME)
        user.is_staff = user.is_superuser = True
        if not user.check_password(password):
            user.set_password(password)
        user.save()
        self.stdout.write(
            f"Local login: user '{USERNAME}', password '{password}' (for this local checkout only)"
        )
