"""What every researcher's page asks first: is the user signed in, and may they read the record."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from agencies.core import permissions


def record_reader(view):
    """Signed in (else to the login page), and allowed to read the record (else 403)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not permissions.can_view_record(request.user):
            raise PermissionDenied("You may not read the record.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)
