"""Every URL Oversight serves, walked from the resolver as a superuser: a NUL byte in the query string
is refused with 400 (it reached the filters and the database as a 500 before), and nothing else in
the query string is refused for it."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin import ModelAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agencies.briefings.services import briefing_scope_key
from agencies.core import services
from agencies.models import Agency, Briefing, BriefingStatus, Claim
from tests import factories as f
from tests.factories import populate

# The parameters the pages read (filters, search, sorting, paging, admin state) and one no page reads.
PARAMETERS = ("agency", "status", "q", "o", "p", "page", "format", "_changelist_filters", "next", "zz")


def _patterns(resolvers, prefix: str = "", namespace: str = ""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), namespace + entry.name, entry


def _model_admin(callback):
    """The ModelAdmin behind an admin view: Django's wrapper names it, simple-history's wraps its method."""
    if hasattr(callback, "model_admin"):
        return callback.model_admin
    while callback is not None:
        if isinstance(getattr(callback, "__self__", None), ModelAdmin):
            return callback.__self__
        callback = getattr(callback, "__wrapped__", None)
    return None


def _arguments(entry: URLPattern, objects: dict) -> tuple[list, dict] | None:
    """Real values for the URL's parameters, or None for a pattern with one this walk cannot fill."""
    regex = entry.pattern.regex
    names = set(regex.groupindex)
    model_admin = _model_admin(entry.callback)
    obj = objects.get(model_admin.model) if model_admin is not None else None
    if obj is None and model_admin is not None:
        obj = model_admin.model.objects.order_by("pk").first()
    if names == {"content_type_id", "object_id"}:  # the admin's "view on site" redirect
        return [], {
            "content_type_id": ContentType.objects.get_for_model(Claim).pk,
            "object_id": objects[Claim].pk,
        }
    kwargs = {}
    for key in names:
        if key in ("object_id", "id") and obj is not None:
            kwargs[key] = obj.pk
        elif key == "version_id" and obj is not None and hasattr(obj, "history"):
            kwargs[key] = obj.history.order_by("history_id").first().history_id
        elif key == "app_label":
            kwargs[key] = "agencies"
        elif key == "slug":
            kwargs[key] = objects[Agency].slug
        elif key == "pk":
            kwargs[key] = objects[Briefing].pk
        elif key == "section":
            kwargs[key] = "agencies"
        elif key == "url":
            kwargs[key] = "nowhere/"
        else:
            return None
    if regex.groups > len(names):  # simple-history's ^([^/]+)/history/([^/]+)/$: the object, its version
        if obj is None or regex.groups != 2 or names:
            return None
        return [obj.pk, obj.history.order_by("history_id").first().history_id], {}
    return [], kwargs


def served_urls(objects: dict) -> list[str]:
    urls, unfilled = [], []
    for route, name, entry in _patterns(get_resolver().url_patterns):
        arguments = _arguments(entry, objects)
        if arguments is None:
            unfilled.append(route)
            continue
        args, kwargs = arguments
        urls.append(reverse(name, args=args or None, kwargs=kwargs or None))
    assert unfilled == [], f"the walk cannot fill these patterns' parameters: {unfilled}"
    return urls


@pytest.fixture
def objects(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    populate(1)
    scope = {"agencies": [Agency.objects.order_by("pk").first().slug]}
    briefing = Briefing.objects.create(scope=scope, scope_key=briefing_scope_key(scope), audience="public")
    name = default_storage.save(f"briefings/{briefing.pk}/b.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.SUCCEEDED, file=name, size=15)
    # The login attempts' admin pages need a row each.
    attempt = {"ip_address": "192.0.2.1", "user_agent": "test", "username": "nobody"}
    AccessAttempt.objects.create(**attempt, failures_since_start=1, get_data="", post_data="")
    AccessLog.objects.create(**attempt)
    AccessFailureLog.objects.create(**attempt)
    root = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    services.user_set_role(
        actor=root, user=f.UserFactory(username="reader"), role="viewer", confidential=False
    )
    return {
        Agency: Agency.objects.order_by("pk").first(),
        Claim: Claim.objects.order_by("pk").first(),
        Briefing: Briefing.objects.get(pk=briefing.pk),
        type(root): root,
    }


def test_a_nul_byte_in_any_query_string_is_refused_with_400(client, objects):
    client.force_login(next(user for model, user in objects.items() if model.__name__ == "User"))
    client.raise_request_exception = False  # count the 500s rather than stop at the first
    urls = served_urls(objects)
    assert len(urls) >= 100 and "/admin/findings/" in urls and "/claims/" in urls
    wrong = []
    for url in urls:
        for parameter in PARAMETERS:
            for query in (f"{parameter}=%00", f"{parameter}=a%00b", f"{parameter}%00=1"):
                response = client.get(f"{url}?{query}")
                if response.status_code != 400:
                    wrong.append(f"{url}?{query}: {response.status_code}")
                elif b"NUL" not in response.content:
                    wrong.append(f"{url}?{query}: 400 without saying why")
    assert wrong == [], "\n".join(wrong)


def test_a_query_string_without_nul_is_not_refused(client, objects):
    client.force_login(next(user for model, user in objects.items() if model.__name__ == "User"))
    assert client.get("/admin/findings/?agency=%25").status_code != 400  # a percent sign, encoded
    assert client.get("/claims/?q=%C3%A9").status_code == 200
    assert client.get("/admin/agencies/claim/?q=null").status_code == 200


def test_a_nul_byte_is_refused_before_any_write(client, objects):
    client.force_login(next(user for model, user in objects.items() if model.__name__ == "User"))
    claim = objects[Claim]
    before = Claim.objects.get(pk=claim.pk).text
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    response = client.post(f"{url}?_changelist_filters=%00", {"text": "Rewritten"})
    assert response.status_code == 400
    assert Claim.objects.get(pk=claim.pk).text == before
