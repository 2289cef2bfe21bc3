"""Oversight's admin site: the record first, in the order researchers work through it; accounts last."""

from django.contrib import admin

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
