"""The dossier: Oversight's exchange format (see the format page), read, checked, imported, exported."""

from .errors import MAX_ERRORS, DossierError
from .exporter import dossier_dump, dossier_export, dossier_stream
from .importer import (
    CHANGE_REASON,
    EntityChange,
    FieldChange,
    ImportReport,
    ListChange,
    SectionCounts,
    dossier_import,
)
from .loading import MAX_BYTES, MAX_DEPTH, MAX_VALUES, dossier_load
from .schema import FORMAT, MAX_ITEMS, MAX_LIST, SECTIONS

__all__ = [
    "CHANGE_REASON",
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ERRORS",
    "MAX_ITEMS",
    "MAX_LIST",
    "MAX_VALUES",
    "SECTIONS",
    "DossierError",
    "EntityChange",
    "FieldChange",
    "ImportReport",
    "ListChange",
    "SectionCounts",
    "dossier_dump",
    "dossier_export",
    "dossier_import",
    "dossier_load",
    "dossier_stream",
]
