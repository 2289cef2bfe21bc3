"""The only way to a briefing's PDF: a view that checks who asks. Storage has no public URL.

From object storage the PDF is streamed through this view rather than redirected to a signed URL: the
permission is checked at every download (a signed URL is a bearer link that works for anyone it is
forwarded to until it expires, and lands in proxy logs and browser history), a role taken away takes
effect at once, and the bucket need not be reachable from the readers' network at all.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.views.decorators.http import require_safe

from agencies.briefings.selectors import briefing_downloadable

CHUNK = 64 * 1024


@require_safe
@login_required
def briefing_download(request, pk: int):
    # 404 rather than 403 for what the user may not see: it does not confirm that it exists.
    briefing = briefing_downloadable(user=request.user, briefing_id=pk)
    if briefing is None:
        raise Http404("No such briefing.")
    filename = f"oversight-briefing-{briefing.pk}-{briefing.audience}.pdf"
    storage = briefing.file.storage
    if hasattr(storage, "bucket"):  # S3: the object's body, chunk by chunk, never all in memory
        response = _s3_stream(storage, briefing.file.name)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        try:
            pdf = briefing.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The briefing's file is missing from storage.") from exc
        response = FileResponse(pdf, as_attachment=True, filename=filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _s3_stream(storage, name: str) -> StreamingHttpResponse:
    from botocore.exceptions import ClientError

    try:
        body = storage.bucket.Object(storage._normalize_name(name)).get()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise Http404("The briefing's file is missing from storage.") from exc
        raise
    stream = body["Body"]

    def chunks():
        try:
            yield from stream.iter_chunks(CHUNK)
        finally:
            stream.close()

    response = StreamingHttpResponse(chunks(), content_type="application/pdf")
    response["Content-Length"] = str(body["ContentLength"])
    return response
