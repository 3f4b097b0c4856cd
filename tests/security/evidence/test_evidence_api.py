"""Evidence files: content-addressed storage, type sniffing, size limit, safe download, unit scoping."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from security.evidence.storage import blob_path
from taizhang.errors import NotFound
from taizhang.settings import get_settings, reset_settings_cache

INV = "/api/v1/inventory"
SEC = "/api/v1/security"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def upload(
    client: TestClient, object_type: str, object_id: int, content: bytes, name: str = "报告.pdf", **kw: Any
) -> Any:
    data = {"object_type": object_type, "object_id": str(object_id), "kind": "drill_minutes"}
    return client.post(f"{SEC}/evidence", data=data, files={"file": (name, content, "text/html")}, **kw)


@pytest.fixture
def records(client: TestClient) -> dict[str, Any]:
    edu = post(client, f"{INV}/units", {"code": "U1", "name": "县教育局", "kind": "county_department"})
    civ = post(client, f"{INV}/units", {"code": "U2", "name": "县民政局", "kind": "county_department"})
    plan = post(client, f"{SEC}/plans", {"name": "预案", "unit_id": edu["id"], "approved_on": "2025-01-01"})
    drill = post(
        client,
        f"{SEC}/drills",
        {"plan_id": plan["id"], "drill_type": "live", "scenario": "断电", "held_on": "2025-05-01"},
    )
    other = post(
        client,
        f"{INV}/projects",
        {"name": "低保系统升级", "implementing_unit_id": civ["id"], "kind": "upgrade"},
    )
    return {"edu": edu, "civ": civ, "drill": drill, "other_project": other}


def test_upload_dedupes_and_downloads_as_attachment(client: TestClient, records: dict[str, Any]) -> None:
    drill_id = records["drill"]["id"]
    first = upload(client, "security.drill", drill_id, PDF, name="../../etc/演练记录.pdf")
    assert first.status_code == 201, first.text
    meta = first.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert meta["sha256"] == sha and meta["size"] == len(PDF)
    assert meta["media_type"] == "application/pdf"  # sniffed, the client said text/html
    assert meta["filename"] == "演练记录.pdf" and meta["uploaded_by"] == "root_admin"
    stored = get_settings().data_dir / "evidence" / sha[:2] / sha
    assert stored.read_bytes() == PDF
    second = upload(client, "security.drill", drill_id, PDF, name="copy.pdf").json()
    assert second["id"] != meta["id"] and second["sha256"] == sha
    assert [p.name for p in stored.parent.iterdir()] == [sha]
    assert not [p for p in stored.parent.parent.iterdir() if p.name.startswith(".upload-")]

    r = client.get(f"{SEC}/evidence/{meta['id']}/download")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%BC%94" in r.headers["content-disposition"]
    listed = client.get(
        f"{SEC}/evidence", params={"object_type": "security.drill", "object_id": drill_id}
    ).json()
    assert listed["count"] == 2
    assert client.delete(f"{SEC}/evidence/{meta['id']}").status_code == 204
    assert client.get(f"{SEC}/evidence/{meta['id']}").status_code == 404
    assert stored.exists()  # the other record still uses the blob


def test_refused_types_name_the_file_field(client: TestClient, records: dict[str, Any]) -> None:
    r = upload(client, "security.drill", records["drill"]["id"], b"<html><script>x</script>", name="x.pdf")
    assert r.status_code == 422 and r.json()["field"] == "file"
    text = upload(client, "security.drill", records["drill"]["id"], "备案证明\n".encode(), name="a.txt")
    assert text.status_code == 201 and text.json()["media_type"] == "text/plain; charset=utf-8"


def test_office_documents_are_recognised(client: TestClient, records: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    r = upload(client, "security.drill", records["drill"]["id"], buffer.getvalue(), name="会议纪要.docx")
    assert r.status_code == 201, r.text
    assert r.json()["media_type"].endswith("wordprocessingml.document")


def test_size_limit(client: TestClient, records: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAIZHANG_EVIDENCE_MAX_BYTES", "40")
    reset_settings_cache()
    r = upload(client, "security.drill", records["drill"]["id"], PDF + b" " * 10)
    assert r.status_code == 413 and "大小上限" in r.json()["detail"]
    root = get_settings().data_dir / "evidence"
    assert not any(p.is_file() for p in root.rglob("*"))
    assert upload(client, "security.drill", records["drill"]["id"], PDF[:40]).status_code == 201
    body = b"x" * (70 * 1024)
    early = client.post(
        f"{SEC}/evidence", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert early.status_code == 413 and early.json()["field"] == "file"


def test_target_must_exist_and_type_be_attachable(client: TestClient, records: dict[str, Any]) -> None:
    r = upload(client, "auth.user", 1, PDF)
    assert r.status_code == 422 and r.json()["field"] == "object_type"
    assert upload(client, "security.drill", 9999, PDF).status_code == 404
    types = {t["object_type"] for t in client.get(f"{SEC}/evidence/types").json()}
    assert {"inventory.project", "inventory.product", "security.drill", "security.incident"} <= types
    assert not (get_settings().data_dir / "evidence").exists() or not any(
        p.is_file() for p in (get_settings().data_dir / "evidence").rglob("*")
    )


def test_unit_users_read_only_their_units_evidence(
    client: TestClient, records: dict[str, Any], make_user: Callable[..., dict[str, str]]
) -> None:
    mine = upload(client, "security.drill", records["drill"]["id"], PDF).json()
    theirs = upload(client, "inventory.project", records["other_project"]["id"], PDF + b"x").json()
    headers = make_user("edu_user", "unit", (records["edu"]["id"],))
    assert client.get(f"{SEC}/evidence/{theirs['id']}/download", headers=headers).status_code == 404
    assert client.get(f"{SEC}/evidence/{theirs['id']}", headers=headers).status_code == 404
    assert client.get(f"{SEC}/evidence/{mine['id']}/download", headers=headers).status_code == 200
    listed = client.get(f"{SEC}/evidence", headers=headers).json()
    assert [e["id"] for e in listed["results"]] == [mine["id"]]
    r = upload(client, "security.drill", records["drill"]["id"], PDF, headers=headers)
    assert r.status_code == 403
    assert (
        client.get(f"{SEC}/evidence/{mine['id']}/download", headers={"Authorization": ""}).status_code == 401
    )


def test_blob_paths_accept_only_a_sha256(tmp_path: Path) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63, "/" + "0" * 63):
        with pytest.raises(NotFound):
            blob_path(bad)
