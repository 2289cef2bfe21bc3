from .agency import (
    AccessStatus,
    Agency,
    AgencyKind,
    DataAccess,
    DataAccessClaim,
    DataSystem,
    MissionFit,
    ReportedRole,
    RoleClaim,
    RoleStatus,
    StatedMission,
)
from .claim import (
    Attribution,
    AttributionHop,
    Claim,
    ClaimAgency,
    ClaimKind,
    ClaimStatus,
    CommentRequest,
    CommentResponse,
    Figure,
    Stance,
)
from .source import (
    UNNAMED_KINDS,
    Citation,
    Document,
    DocumentKind,
    Outlet,
    OutletKind,
    Source,
    SourceConfidentialNote,
    SourceKind,
)

__all__ = [
    "AccessStatus", "Agency", "AgencyKind", "Attribution", "AttributionHop", "Citation", "Claim",
    "ClaimAgency", "ClaimKind", "ClaimStatus", "CommentRequest", "CommentResponse", "DataAccess",
    "DataAccessClaim", "DataSystem", "Document", "DocumentKind", "Figure", "MissionFit", "Outlet",
    "OutletKind", "ReportedRole", "RoleClaim", "RoleStatus", "Source", "SourceConfidentialNote",
    "SourceKind", "Stance", "StatedMission", "UNNAMED_KINDS",
]
