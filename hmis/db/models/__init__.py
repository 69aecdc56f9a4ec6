"""The ORM models. Import from here; Alembic reads `Base.metadata` from this package."""

from .agency import CaseNote, Contact, Disability, DomesticViolence, HealthRecord, IncomeBenefit
from .audit import AuditChain, AuditEvent, AuditLink, AuditPending
from .base import Base, ClientData
from .clients import Client
from .clock import Installation, WriteClock
from .history import RecordVersion
from .merges import ClientMerge
from .organizations import HudUser, Organization, Project, StaffUser
from .rights import (
    ClientLogin,
    Complaint,
    ComplaintEvent,
    CorrectionRequest,
    Disclosure,
    PrivacyNotice,
    RefusalCoverage,
    ResearchAgreement,
    ResearchConsent,
    SharingRefusal,
)
from .services import CaseManagerAssignment, Enrollment, Exit

# Every table of client data, each written only through hmis.db.history.
CLIENT_DATA_MODELS: tuple[type[ClientData], ...] = (
    Client,
    Enrollment,
    Exit,
    CaseManagerAssignment,
    Contact,
    HealthRecord,
    Disability,
    IncomeBenefit,
    DomesticViolence,
    CaseNote,
)
MODELS_BY_TABLE = {m.__tablename__: m for m in CLIENT_DATA_MODELS}

__all__ = [
    "AuditChain", "AuditEvent", "AuditLink", "AuditPending", "Base", "CaseManagerAssignment",
    "CaseNote", "Client", "ClientData",
    "ClientLogin", "ClientMerge", "Complaint", "ComplaintEvent", "Contact", "CorrectionRequest",
    "Disability", "Disclosure", "DomesticViolence", "Enrollment", "Exit", "HealthRecord",
    "HudUser", "IncomeBenefit", "Installation", "Organization", "PrivacyNotice", "Project",
    "RecordVersion", "RefusalCoverage", "ResearchAgreement", "ResearchConsent", "SharingRefusal",
    "StaffUser", "WriteClock", "CLIENT_DATA_MODELS", "MODELS_BY_TABLE",
]  # fmt: skip
