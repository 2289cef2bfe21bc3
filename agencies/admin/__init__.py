"""The researchers' admin: thin registrations, inlines and filters; writes that need care go to services.

Every ModelAdmin is a SimpleHistoryAdmin, so each change shows who made it and when.
"""

from . import agency, briefing, claim, dossier_upload, roles, source  # noqa: F401 - registers the admins and the upload
