"""Stored markup never reaches a page as markup.

Every entity with a create API gets a ``<script>`` / ``"><img onerror>`` / ``<svg onload>`` payload in
EVERY free-text field: the fields are found by walking the OpenAPI schema of each create endpoint
(a string that has no ``format``, ``pattern`` or enum, or a list of such strings), so a field added
later is covered without touching this test, and an endpoint added later fails
``test_every_create_endpoint_is_covered`` until it is listed here. Then every page of the app that
can show those objects (lists, details with their panels, forms with their choices, dashboards,
the report, the change log) is rendered and must hold the payload escaped, never raw.

The browser counterpart (the payload does not run in Chromium) is
tests/web/e2e/test_stored_script_does_not_run.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import PASSWORD, login

from taizhang.clock import china_today

# The longest payload that fits a field is used; each one both breaks out of an attribute and
# opens a tag, and would set a flag if it ran (tests/web/e2e checks that it does not).
PAYLOADS = (
    '"><img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert()>",
)
RAW = ("<script>window.__pwned", "<img src=x onerror", "<svg onload=alert")
ESCAPED = ("&lt;img src=x onerror", "&lt;svg onload=alert", "&lt;script&gt;window.__pwned")
TODAY = china_today()
PAST = (TODAY - dt.timedelta(days=30)).isoformat()
FUTURE = (TODAY + dt.timedelta(days=300)).isoformat()

# Strings that are not free text although their schema does not say so: each is checked by a
# validator (or is a secret that no page shows), so markup is refused there before it is stored.
NOT_FREE_TEXT = {
    ("TokenRequest", "username"): "must name an existing user",
    ("TokenRequest", "password"): "a secret: checked, never stored or shown",
    ("UserCreate", "password"): "a secret: stored hashed, never shown",
    ("ProfileCreate", "tls_endpoints"): "host:port endpoints, validated",
    ("ProfileCreate", "security_agents"): "process names: letters, digits, '.', '_' and '-' only",
    ("HostCreate", "ip_addresses"): "IP addresses, validated",
    ("RunCreate", "check_ids"): "check ids of the catalogue, validated",
    ("WaiverCreate", "rule_id"): "the id of a findings rule, validated",
}


def _alternatives(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in prop.get("anyOf", [prop]) if a.get("type") != "null"]


def _is_free_string(alt: dict[str, Any]) -> bool:
    return alt.get("type") == "string" and not ({"format", "pattern", "enum", "const"} & set(alt))


def free_text_fields(schema: dict[str, Any], name: str) -> dict[str, tuple[bool, int | None]]:
    """field → (is a list, max length) for every free-text field of a request schema."""
    fields: dict[str, tuple[bool, int | None]] = {}
    for field, prop in schema["properties"].items():
        alts = _alternatives(prop)
        if not alts or (name, field) in NOT_FREE_TEXT:
            continue
        if all(_is_free_string(a) for a in alts):
            fields[field] = (False, min((a.get("maxLength") or 10_000) for a in alts))
        elif all(a.get("type") == "array" and _is_free_string(a.get("items", {})) for a in alts):
            fields[field] = (True, alts[0]["items"].get("maxLength"))
    return fields


def _payload(max_length: int | None) -> str:
    for payload in PAYLOADS:
        if max_length is None or len(payload) <= max_length:
            return payload
    raise AssertionError(f"no payload fits {max_length} characters: add a shorter one")


def _request_schema(spec: dict[str, Any], path: str) -> tuple[str, dict[str, Any]] | None:
    body = spec["paths"][path]["post"].get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return None
    ref = body["schema"].get("$ref") or body["schema"]["anyOf"][0]["$ref"]
    name = ref.rsplit("/", 1)[1]
    return name, spec["components"]["schemas"][name]


def _defaults(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Values for required enum and date fields (the first enum value, a recent date)."""
    values: dict[str, Any] = {}
    for field in schema.get("required", []):
        alt = _alternatives(schema["properties"][field])[0]
        if "$ref" in alt:
            values[field] = spec["components"]["schemas"][alt["$ref"].rsplit("/", 1)[1]]["enum"][0]
        elif alt.get("format") == "date":
            values[field] = PAST
        elif alt.get("format") == "date-time":
            values[field] = f"{PAST}T08:00:00+08:00"
    return values


# Each create endpoint, in dependency order: (context key, path, values that free text and
# ``_defaults`` cannot supply: references to earlier objects, valid numbers, ordered dates).
CREATES: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]] = [
    ("unit", "/api/v1/inventory/units", lambda c: {"kind": "township"}),
    ("user", "/api/v1/users", lambda c: {"username": "xss_unit_user", "role": "unit", "unit_ids": [c["unit"]]}),
    ("system", "/api/v1/inventory/systems", lambda c: {"owner_unit_id": c["unit"], "mlps_level": 3}),
    ("host", "/api/v1/inventory/hosts",
     lambda c: {"hostname": "xss-host", "kind": "virtual", "unit_id": c["unit"], "system_ids": [c["system"]]}),
    ("attachment", "/api/v1/inventory/network-attachments",
     lambda c: {"system_id": c["system"], "network": "internet"}),
    ("product", "/api/v1/inventory/products", lambda c: {}),
    ("usage", "/api/v1/inventory/product-usages", lambda c: {"system_id": c["system"], "product_id": c["product"]}),
    ("project", "/api/v1/inventory/projects",
     lambda c: {"implementing_unit_id": c["unit"], "kind": "new", "system_ids": [c["system"]]}),
    ("resource", "/api/v1/inventory/resources",
     lambda c: {"system_id": c["system"], "format": "api", "update_cycle": "daily", "sharing": "conditional",
                "openness": "closed"}),
    ("wave", "/api/v1/migration/waves", lambda c: {"target_date": FUTURE}),
    ("plan", "/api/v1/migration/plans", lambda c: {"system_id": c["system"], "wave_id": c["wave"]}),
    ("blocker", "/api/v1/migration/blockers",
     lambda c: {"plan_id": c["plan"], "due_date": FUTURE, "resolved_on": PAST}),
    ("exemption", "/api/v1/migration/exemptions",
     lambda c: {"system_id": c["system"], "approved_on": PAST, "expires_on": FUTURE}),
    ("catalogue_version", "/api/v1/migration/catalogue-versions", lambda c: {}),
    ("catalogue_item", "/api/v1/migration/catalogue-items",
     lambda c: {"catalogue_version_id": c["catalogue_version"], "code": "XSS-ECS"}),
    ("subscription", "/api/v1/migration/subscriptions",
     lambda c: {"system_id": c["system"], "item_id": c["catalogue_item"]}),
    ("plan_transition", "/api/v1/migration/plans/{plan_id}/transitions", lambda c: {"to": "assessment"}),
    ("mlps_grading", "/api/v1/security/mlps-gradings",
     lambda c: {"system_id": c["system"], "level": 3, "expert_review_on": PAST}),
    ("mlps_filing", "/api/v1/security/mlps-filings",
     lambda c: {"system_id": c["system"], "grading_id": c["mlps_grading"], "issued_on": PAST}),
    ("mlps_assessment", "/api/v1/security/mlps-assessments",
     lambda c: {"system_id": c["system"], "level": 3, "conformity_rate": 90}),
    ("mlps_self_check", "/api/v1/security/mlps-self-checks", lambda c: {"system_id": c["system"]}),
    ("mlps_rectification", "/api/v1/security/mlps-rectifications",
     lambda c: {"system_id": c["system"], "due_on": FUTURE}),
    ("crypto_plan", "/api/v1/security/crypto-plans", lambda c: {"system_id": c["system"]}),
    ("crypto_assessment", "/api/v1/security/crypto-assessments", lambda c: {"system_id": c["system"], "score": 80}),
    ("risk_assessment", "/api/v1/security/risk-assessments", lambda c: {"system_id": c["system"]}),
    ("response_plan", "/api/v1/security/plans", lambda c: {"unit_id": c["unit"], "system_id": c["system"]}),
    ("drill", "/api/v1/security/drills", lambda c: {"plan_id": c["response_plan"]}),
    ("drill_action", "/api/v1/security/drill-actions", lambda c: {"drill_id": c["drill"], "due_on": FUTURE}),
    ("incident", "/api/v1/security/incidents",
     lambda c: {"unit_id": c["unit"], "system_ids": [c["system"]], "occurred_at": f"{PAST}T08:00:00+08:00",
                "detected_at": f"{PAST}T09:00:00+08:00"}),
    ("profile", "/api/v1/security/verification/profiles", lambda c: {"host_id": c["host"]}),
    ("run", "/api/v1/security/verification/runs", lambda c: {"host_ids": [c["host"]]}),
    ("token", "/api/v1/auth/tokens", lambda c: {"username": "xss_admin", "password": c["password"]}),
    ("comment", "/api/v1/security/findings/{finding_id}/comments", lambda c: {}),
    ("waiver", "/api/v1/security/waivers",
     lambda c: {"rule_id": c["finding_rule"], "subject_type": c["finding_subject_type"],
                "subject_id": c["finding_subject"], "expires_on": FUTURE}),
    ("notice", "/api/v1/security/rectifications",
     lambda c: {"unit_id": c["unit"], "finding_ids": [c["finding"]], "deadline": FUTURE}),
    ("notice_transition", "/api/v1/security/rectifications/{notice_id}/transitions", lambda c: {}),
]  # fmt: skip
NOT_CREATES = {
    "/api/v1/security/evidence": "multipart upload: its free text is the file name, stored with the file",
    "/api/v1/imports": "multipart spreadsheet import: its rows go through the same create schemas",
    "/api/v1/security/findings/evaluate": "no body",
    "/api/v1/security/verification/runs/{run_id}/cancel": "no body",
}


def _evaluate_findings() -> None:
    from security.findings import engine
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:  # two years on, the yearly assessments are overdue
        engine.evaluate(db, today=TODAY + dt.timedelta(days=730))


def _a_finding_of(unit_id: int) -> dict[str, Any]:
    from security.findings.models import Finding
    from taizhang.db import session_scope

    with session_scope(actor="test", write=False) as db:
        finding = db.execute(
            select(Finding).where(Finding.unit_id == unit_id).order_by(Finding.id).limit(1)
        ).scalar_one()
        return {
            "finding": finding.id,
            "finding_rule": finding.rule_id,
            "finding_subject_type": finding.subject_type.value,
            "finding_subject": finding.subject_id,
        }


def create_everything(client: TestClient, password: str) -> dict[str, Any]:
    """Every entity once, every free-text field holding a payload; returns the created ids by key."""
    spec = client.get("/api/openapi.json").json()
    ctx: dict[str, Any] = {"password": password}
    for key, path, extra in CREATES:
        if key == "comment":
            _evaluate_findings()
            ctx |= _a_finding_of(ctx["unit"])
        name, schema = _request_schema(spec, path) or ("", {})
        body = _defaults(spec, schema) | extra(ctx)
        texts = free_text_fields(schema, name)
        assert texts or key in ("usage", "run"), f"{name} has no free-text field: is the walk right?"
        for field, (is_list, max_length) in texts.items():
            body[field] = [_payload(max_length)] if is_list else _payload(max_length)
        if key == "notice_transition":
            body["to_state"] = "rectifying"
        url = path.format(plan_id=ctx.get("plan"), finding_id=ctx.get("finding"), notice_id=ctx.get("notice"))
        r = client.post(url, json=body)
        assert r.status_code in (200, 201, 202), (url, r.status_code, r.text[:1000])
        answer = r.json()
        ctx[key] = answer.get("id") or answer.get("key")
    return ctx


def test_every_create_endpoint_is_covered(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    posts = {p for p, ops in spec["paths"].items() if "post" in ops}
    covered = {path for _, path, _ in CREATES}
    assert posts - covered - set(NOT_CREATES) == set(), "create endpoints this test does not fill"
    assert covered - posts == set(), "listed endpoints the API no longer has"


def _pages(app: Any, ctx: dict[str, Any]) -> list[str]:
    """Every GET page of the app, path parameters filled with the objects created above."""
    from security.grading.page_forms import KINDS
    from taizhang.api import iter_routes

    ids = {
        "system_id": ctx["system"], "host_id": ctx["host"], "project_id": ctx["project"],
        "plan_id": ctx["plan"], "notice_id": ctx["notice"], "finding_id": ctx["finding"],
        "drill_id": ctx["drill"], "incident_id": ctx["incident"], "run_id": ctx["run"],
    }  # fmt: skip
    records = {slug: ctx[slug.replace("-", "_").removesuffix("s")] for slug in KINDS}
    response_records = {"plans": ctx["response_plan"], "drills": ctx["drill"], "incidents": ctx["incident"]}
    not_pages = {
        "/metrics": "Prometheus text, not HTML",
        "/login": "shows no stored data (a logged-in user is redirected)",
        "/imports/marked/{token}": "a spreadsheet download",
    }
    pages: list[str] = []
    for methods, path, _ in iter_routes(app):
        if "GET" not in methods or path.startswith(("/api/", "/static")) or path in not_pages:
            continue
        path = re.sub(r"\{(\w+):int\}", r"{\1}", path)
        if "{slug}" in path:
            # 等保/密评 record pages take the grading kinds; /security/{slug}/… the response records.
            grading = path.startswith(("/security/records/", "/security/systems/"))
            for slug, record in (records if grading else response_records).items():
                pages.append(path.format(slug=slug, record_id=record, **ids))
            continue
        if path.startswith("/security/plans/"):  # an emergency plan, not a migration plan
            pages.append(path.format(**(ids | {"plan_id": ctx["response_plan"]})))
            continue
        pages.append(path.format(**ids))
    pages.remove("/verification/runs/new")  # asks which host or system: both are given here
    pages += [
        f"/verification/runs/new?host_id={ctx['host']}",
        f"/verification/runs/new?system_id={ctx['system']}",
    ]
    pages += [
        "/systems?q=img",
        "/hosts?q=xss",
        "/findings?status=open",
        "/changelog?object_type=inventory.system",
    ]
    return sorted(set(pages))


def test_script_in_every_free_text_field_is_escaped_on_every_page(
    client: TestClient,
    anon: TestClient,
    app: Any,
    make_user: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from security.findings import background
    from security.findings.triggers import process_pending
    from taizhang.db import session_scope

    # The findings here are evaluated two years on (see _evaluate_findings); the app's pump would
    # re-evaluate them as of today, at a moment of its own, and the pages would change under the
    # test. Writes do not wake it here; the queue is settled, two years on, before the pages render.
    monkeypatch.setattr(background, "_pump", None)
    client.headers.update(make_user("xss_admin", "admin"))
    ctx = create_everything(client, PASSWORD)
    with session_scope(actor="test") as db:
        process_pending(db, today=TODAY + dt.timedelta(days=730))
    assert login(anon, "xss_admin").status_code == 303
    showing = []
    for page in _pages(app, ctx):
        r = anon.get(page)
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html"), page
        for raw in RAW:
            assert raw not in r.text, f"{page} returned unescaped markup: {raw}"
        if any(escaped in r.text for escaped in ESCAPED):
            showing.append(page)
    # The pages do show the stored payloads (escaped): the test is not passing on empty pages.
    must_show = [
        "/", "/systems", f"/systems/{ctx['system']}", f"/systems/{ctx['system']}/edit", "/hosts",
        f"/hosts/{ctx['host']}", "/units", "/projects", f"/projects/{ctx['project']}", "/changelog",
        "/migration", f"/migration/plans/{ctx['plan']}", "/findings", f"/findings/{ctx['finding']}",
        "/findings/waivers", "/findings/notices", f"/findings/notices/{ctx['notice']}", "/security",
        f"/security/drills/{ctx['drill']}", f"/security/incidents/{ctx['incident']}", "/report",
        f"/security/records/mlps-assessments/{ctx['mlps_assessment']}",
    ]  # fmt: skip
    assert sorted(set(must_show) - set(showing)) == []
    # and the pages that show none of it say why
    quiet = {
        "/imports": "the import page lists no stored rows",
        f"/verification/runs/{ctx['run']}": "a queued run: its filters and, later, results by host name",
        f"/verification/runs/{ctx['run']}/status": "the run's status fragment",
        f"/verification/runs/new?host_id={ctx['host']}": "names the host by its host name (no markup allowed)",
    }
    assert sorted(set(_pages(app, ctx)) - set(showing)) == sorted(quiet)
