"""Fixtures shared by the exporter tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def promtool() -> str:
    """Debian's promtool, installed by scripts/prometheus.sh when missing."""
    subprocess.run([str(ROOT / "scripts" / "prometheus.sh")], check=True, timeout=600)
    return "promtool"
