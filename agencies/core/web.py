"""What every researcher's page asks first: is the user signed in, and may they read the record;
and which page of a long list it is after."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from agencies.core import permissions


def record_reader(view):
    """Signed in (else to the login page), and allowed to read the record (else 403)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not permissions.can_view_record(request.user):
            raise PermissionDenied("You may not read the record.")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


# Far enough for any record; a page number past it is refused rather than read.
LAST_PAGE = 10_000


def page_number(request, name: str = "page") -> int:
    """A page asked for in the query string: 1 when absent or not a number; past LAST_PAGE, 404.
    (ASCII digits only: "²" is a digit to str.isdigit but not to int.)"""
    value = request.GET.get(name, "")
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > len(str(LAST_PAGE)) or int(value) > LAST_PAGE:
        raise Http404("No such page.")
    return max(int(value), 1)
