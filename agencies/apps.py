from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _search_tables_ensure(sender, using, **kwargs):
    from django.db import connections

    from agencies.sqlite_search import search_tables_ensure

    search_tables_ensure(connections[using])


class AgenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"
    verbose_name = "Oversight record"

    def ready(self):
        # SQLite's search tables lose their triggers when a later migration rebuilds a table.
        post_migrate.connect(_search_tables_ensure, sender=self, dispatch_uid="agencies-search-tables")
