from django.urls import path

from agencies.briefings import pages as briefing_pages
from agencies.briefings import views as briefing_views
from agencies.explorer import agency_pages
from agencies.explorer import views as claims
from agencies.intake import views as intake

app_name = "agencies"

urlpatterns = [
    path("claims/", claims.claims_explorer, name="claims"),
    path("claims/brief/", claims.brief_selection, name="claims_brief"),
    path("agencies/", agency_pages.agency_index, name="agency_index"),
    path("agencies/<slug:slug>/", agency_pages.agency_detail, name="agency_detail"),
    path("agencies/<slug:slug>/brief/", agency_pages.agency_brief, name="agency_brief"),
    path("agencies/<slug:slug>/timeline/", agency_pages.agency_timeline, name="agency_timeline"),
    path("agencies/<slug:slug>/figures/", agency_pages.agency_figures, name="agency_figures"),
    path("agencies/<slug:slug>/requests/", agency_pages.agency_requests, name="agency_requests"),
    path("briefings/<int:pk>/", briefing_pages.briefing_status, name="briefing_status"),
    path("briefings/<int:pk>/pdf/", briefing_views.briefing_download, name="briefing_download"),
    path("intake/", intake.intake_new, name="intake_new"),
    path("intake/<int:pk>/", intake.intake_review, name="intake_review"),
    path("intake/match/<str:section>/<slug:slug>/", intake.intake_match, name="intake_match"),
]
