"""Demo evidence files: drill minutes, a plan text and a project contract, as small real files.

Content is fixed, so the blobs are the same on every run; records are found by target and filename.
"""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Project
from security.evidence.choices import EvidenceKind
from security.evidence.models import EvidenceFile
from security.evidence.service import attach
from security.response.models import Drill, EmergencyPlan


def _pdf(title: str) -> bytes:
    """A minimal valid one-page PDF (ASCII title; the Chinese text lives in the record)."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _attach_once(
    session: Session, object_type: str, object_id: int, filename: str, kind: EvidenceKind, content: bytes
) -> None:
    exists = session.execute(
        select(EvidenceFile.id).where(
            EvidenceFile.object_type == object_type,
            EvidenceFile.object_id == object_id,
            EvidenceFile.filename == filename,
        )
    ).first()
    if exists is None:
        attach(
            session,
            object_type=object_type,
            object_id=object_id,
            kind=kind,
            filename=filename,
            stream=io.BytesIO(content),
        )


def load_demo(session: Session) -> dict[str, int]:
    drills = session.execute(select(Drill).order_by(Drill.id).limit(6)).scalars().all()
    for drill in drills:
        minutes = f"演练记录\n场景：{drill.scenario}\n日期：{drill.held_on.isoformat()}\n发现问题：{drill.findings}\n"
        _attach_once(
            session,
            "security.drill",
            drill.id,
            f"演练记录-{drill.id}.txt",
            EvidenceKind.DRILL_MINUTES,
            minutes.encode(),
        )
    plans = session.execute(select(EmergencyPlan).order_by(EmergencyPlan.id).limit(3)).scalars().all()
    for plan in plans:
        _attach_once(
            session,
            "security.emergencyplan",
            plan.id,
            f"应急预案-{plan.id}.pdf",
            EvidenceKind.PLAN_DOCUMENT,
            _pdf(f"Emergency plan {plan.id}"),
        )
    projects = (
        session.execute(
            select(Project).where(Project.contract_signed_on.is_not(None)).order_by(Project.id).limit(3)
        )
        .scalars()
        .all()
    )
    for project in projects:
        _attach_once(
            session,
            "inventory.project",
            project.id,
            f"项目合同-{project.id}.pdf",
            EvidenceKind.CONTRACT,
            _pdf(f"Contract {project.id}"),
        )
    count = session.execute(select(EvidenceFile.id)).all()
    return {"佐证材料": len(count)}
