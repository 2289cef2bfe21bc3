"""Request facts the security settings need."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address, for django-axes' per-address lockout and its access log.

    Behind Oversight's proxy (DJANGO_BEHIND_PROXY) every request comes from the proxy, which appends
    the address it saw to X-Forwarded-For: the last entry is the only one a client cannot forge.
    """
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")
