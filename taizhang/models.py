"""Imports every table so that metadata (and Alembic) sees the whole schema."""

from __future__ import annotations

import inventory.models
import inventory.netbox.models  # noqa: F401
import taizhang.auth.models
import taizhang.changelog  # noqa: F401
from taizhang.db import Base

metadata = Base.metadata
