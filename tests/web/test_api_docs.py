"""/api/docs is Swagger UI served by the app itself: no external URL, every asset answers, and the
one inline script runs under a per-response CSP nonce (no 'unsafe-inline')."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "script":
            self.scripts.append(found)


def _parse(html: str) -> _Refs:
    refs = _Refs()
    refs.feed(html)
    return refs


def test_api_docs_reference_only_the_app_and_every_asset_answers(anon: TestClient) -> None:
    r = anon.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = _parse(r.text)
    assert len(page.refs) == 3, page.refs  # the bundle, the stylesheet, the favicon
    external = [u for u in page.refs if "//" in u or not u.startswith("/static/vendor/")]
    assert external == [], f"/api/docs references outside the app: {external}"
    assert not re.search(r"https?://", r.text.replace("http://www.w3.org", "")), "an absolute URL"
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for url in page.refs:
        asset = anon.get(url)
        assert asset.status_code == 200, url
        assert kinds[url[url.rindex(".") :]] in asset.headers["content-type"], url
        assert len(asset.content) > 500, url
    assert anon.get("/api/openapi.json").status_code == 200
    assert "/api/openapi.json" in r.text


def test_api_docs_inline_script_runs_only_under_this_responses_nonce(anon: TestClient) -> None:
    first, second = anon.get("/api/docs"), anon.get("/api/docs")
    nonces = []
    for r in (first, second):
        policy = r.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        inline = [s for s in _parse(r.text).scripts if "src" not in s]
        assert len(inline) == 1, inline
        nonce = inline[0].get("nonce")
        assert nonce and f"script-src 'self' 'nonce-{nonce}'" in policy
        assert r.headers["x-frame-options"] == "DENY"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_api_docs_do_not_call_the_online_validator(anon: TestClient) -> None:
    text = anon.get("/api/docs").text
    assert '"validatorUrl": null' in text
