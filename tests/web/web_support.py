"""Helpers for the server-side page tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "Passw0rd!x"


@dataclass
class County:
    edu: int
    civil: int
    edu_system: int
    civil_system: int
    civil_system_name: str
    edu_host: int
    civil_host: int
    edu_project: int
    civil_project: int


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )
