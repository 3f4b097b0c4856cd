"""Imports every table so that metadata (and Alembic) sees the whole schema."""

from __future__ import annotations

import inventory.models
import inventory.netbox.models  # noqa: F401
import migration.models  # noqa: F401
import security.evidence.models
import security.findings.models
import security.findings.triggers
import security.grading.models
import security.response.models
import security.verification.models  # noqa: F401
import taizhang.auth.models
import taizhang.changelog  # noqa: F401
from taizhang.db import Base

metadata = Base.metadata
