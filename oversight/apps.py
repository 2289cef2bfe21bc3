from django.contrib.admin.apps import AdminConfig


class OversightAdminConfig(AdminConfig):
    """django.contrib.admin with Oversight's site (oversight.admin): the record first."""

    default_site = "oversight.admin.OversightAdminSite"
