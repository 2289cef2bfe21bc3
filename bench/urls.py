"""The project's URLs plus a stock admin: Claim under a plain ModelAdmin, changelist.vs_stock's baseline."""

from django.contrib import admin
from django.urls import path

from agencies.models import Claim
from oversight.urls import urlpatterns as project_urlpatterns


class StockClaimAdmin(admin.ModelAdmin):
    # Django's own changelist template, not the project's override for the agencies app.
    change_list_template = "admin/change_list.html"


stock_site = admin.AdminSite(name="stock")
stock_site.register(Claim, StockClaimAdmin)

STOCK_PREFIX = "bench-stock-admin/"

urlpatterns = [path(STOCK_PREFIX, stock_site.urls), *project_urlpatterns]
