"""A request body is capped at what the largest form needs (a 16 MiB dossier and its form), in Django
and in the README's proxy snippet; a larger one is refused with 413 before it is read."""

import re
from pathlib import Path

from django.conf import settings as live_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.exchange import MAX_BYTES
from agencies.models import Claim
from tests import factories as f

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_caps_agree_with_the_dossier_upload_and_the_proxy():
    cap = live_settings.REQUEST_BODY_MAX_BYTES
    assert MAX_BYTES < cap <= MAX_BYTES + 2**20  # the file and its form, nothing more
    assert cap > live_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert live_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= MAX_BYTES
    sizes = re.findall(r"client_max_body_size (\d+)m;", README.read_text())
    assert sizes and all(int(size) * 2**20 == cap for size in sizes)


def test_a_body_over_the_cap_is_refused_before_anything_reads_it(client, db):
    root = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    claim = f.ClaimFactory(agencies=[f.AgencyFactory()], text="Before")
    url = reverse("admin:agencies_claim_change", args=[claim.pk])
    cap = live_settings.REQUEST_BODY_MAX_BYTES
    # A real body one byte over the cap.
    response = client.post(
        url, data=b"text=" + b"x" * (cap - 4), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert b"larger than 17 MiB" in response.content
    # A Content-Length that says so is enough: the body is never read.
    response = client.generic("POST", url, b"text=After", CONTENT_LENGTH=str(cap + 1))
    assert response.status_code == 413
    assert Claim.objects.get(pk=claim.pk).text == "Before"
    response = client.generic("POST", url, b"text=After", CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert Claim.objects.get(pk=claim.pk).text == "Before"


def test_a_dossier_at_the_upload_cap_gets_through(client, db):
    # Reaches the login form (which ignores it) rather than being refused on its size.
    upload = SimpleUploadedFile("case.json", b" " * MAX_BYTES, content_type="application/json")
    response = client.post(reverse("admin:login"), {"username": "x", "password": "y", "dossier": upload})
    assert response.status_code == 200
