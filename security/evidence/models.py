"""Evidence file records; the bytes live under ``data_dir/evidence`` keyed by their SHA-256."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from security.evidence.choices import EvidenceKind
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin
from taizhang.enum_type import EnumColumn


class EvidenceFile(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A file attached to one ledger record, named by ``object_type`` ("inventory.project") and id."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_object", "object_type", "object_id"),)

    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EvidenceKind] = mapped_column(EnumColumn(EvidenceKind))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(150), default="")
