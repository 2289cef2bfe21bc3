"""The dossier: Oversight's exchange format (see the format page), read, checked, imported, exported."""

from .errors import DossierError
from .exporter import dossier_dump, dossier_export
from .importer import CHANGE_REASON, ImportReport, SectionCounts, dossier_import
from .loading import MAX_BYTES, MAX_VALUES, dossier_load
from .schema import FORMAT, SECTIONS

__all__ = [
    "CHANGE_REASON",
    "FORMAT",
    "MAX_BYTES",
    "MAX_VALUES",
    "SECTIONS",
    "DossierError",
    "ImportReport",
    "SectionCounts",
    "dossier_dump",
    "dossier_export",
    "dossier_import",
    "dossier_load",
]
