"""Oversight's admin site: the record first, in the order researchers work through it; accounts last.

Besides the ModelAdmins it serves the findings page and the dossier upload with its format reference.
"""

from django.contrib import admin
from django.urls import path

# The record's pages in the order a researcher works: the claims, what they are about, what they rest
# on, then the derived records and the briefings. Pages not listed follow, alphabetically.
RECORD_ORDER = [
    "Claim",
    "Agency",
    "StatedMission",
    "ReportedRole",
    "Source",
    "Document",
    "Outlet",
    "Attribution",
    "Figure",
    "CommentRequest",
    "DataSystem",
    "DataAccess",
    "SourceConfidentialNote",
    "Briefing",
]
# The record before everything else; accounts and the lockout log at the end.
APP_ORDER = {"agencies": 0, "auth": 2, "axes": 3}


class OversightAdminSite(admin.AdminSite):
    site_header = "Oversight"
    site_title = "Oversight"
    index_title = "The record"

    def get_urls(self):
        # Imported here: agencies.admin registers its ModelAdmins on this site, so it loads after it.
        from agencies.admin.dossier_upload import dossier_format_view, dossier_upload_view
        from agencies.admin.findings import findings_view

        # Before the site's own: its catch-all per app label must not see these first.
        return [
            path("findings/", self.admin_view(findings_view), name="findings"),
            path("dossier/import/", self.admin_view(dossier_upload_view), name="dossier_upload"),
            path("dossier/format/", self.admin_view(dossier_format_view), name="dossier_format"),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] == "agencies":
                app["models"].sort(
                    key=lambda model: (
                        RECORD_ORDER.index(model["object_name"])
                        if model["object_name"] in RECORD_ORDER
                        else len(RECORD_ORDER),
                        model["name"],
                    )
                )
        apps.sort(key=lambda app: (APP_ORDER.get(app["app_label"], 1), app["name"]))
        return apps
