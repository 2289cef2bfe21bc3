from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate


def sync_roles(sender, apps=global_apps, **kwargs):
    """After every `migrate` (and flush), the groups hold exactly what agencies.core.permissions gives them.

    Migration 0003 made the roles as they were then; models and permissions added since reach the
    groups here, so that no migration has to know the live role table.
    """
    from agencies.core import permissions

    try:
        for name in (*permissions.RECORD_MODELS, "claim", "briefing", "sourceconfidentialnote"):
            apps.get_model("agencies", name)
    except LookupError:
        return  # migrated back to before these models: the roles of that state are the migrations'
    permissions.roles_sync(apps=apps)


def _search_tables_ensure(sender, using, **kwargs):
    from django.db import connections

    from agencies.core.sqlite_search import search_tables_ensure

    search_tables_ensure(connections[using])


class AgenciesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agencies"
    verbose_name = "Oversight record"

    def ready(self):
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="agencies.sync_roles")
        # SQLite's search tables lose their triggers when a later migration rebuilds a table.
        post_migrate.connect(_search_tables_ensure, sender=self, dispatch_uid="agencies-search-tables")
