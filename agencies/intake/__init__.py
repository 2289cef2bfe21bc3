"""Intake: an article in, a draft dossier out, every proposal located in the text.

    from agencies.intake import KnownRecord, propose
    draft = propose(text, outlet=None, published="2025-05", url=None, known=KnownRecord.from_database())
    draft.dossier     # a dossier (oversight-dossier/1) for the importer; record entities keep their ids
    draft.proposals   # Proposal(section, key, label, spans, match, question)

Rule-based and offline (no model, nothing downloaded); it never writes to the database.
"""

from .draft import Draft, Proposal, propose
from .known import KnownAgency, KnownDocument, KnownOutlet, KnownRecord, KnownSource

__all__ = [
    "Draft",
    "KnownAgency",
    "KnownDocument",
    "KnownOutlet",
    "KnownRecord",
    "KnownSource",
    "Proposal",
    "propose",
]
