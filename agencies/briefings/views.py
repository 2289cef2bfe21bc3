"""The only way to a briefing's PDF: a view that checks who asks. Storage has no public URL."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from agencies.briefings.jobs import briefing_downloadable


@require_safe
@login_required
def briefing_download(request, pk: int):
    # 404 rather than 403 for what the user may not see: it does not confirm that it exists.
    briefing = briefing_downloadable(user=request.user, briefing_id=pk)
    if briefing is None:
        raise Http404("No such briefing.")
    try:
        pdf = briefing.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The briefing's file is missing from storage.") from exc
    response = FileResponse(
        pdf,
        as_attachment=True,
        filename=f"oversight-briefing-{briefing.pk}-{briefing.audience}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
