from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from agencies.admin.findings import findings_view

admin.site.site_header = "Oversight"
admin.site.site_title = "Oversight"
admin.site.index_title = "The record"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="agencies:claims", permanent=False)),
    path("admin/findings/", admin.site.admin_view(findings_view), name="admin-findings"),
    path("admin/", admin.site.urls),
    path("", include("agencies.urls")),
]
