"""Developer tools: ``python -m taizhang.devtools revision "message"`` writes a new Alembic revision.

It migrates a scratch SQLite database to head, then autogenerates the difference to the models.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from taizhang.db import make_engine
from taizhang.schema import autogenerate, upgrade

VERSIONS = Path(__file__).parent / "alembic" / "versions"
INITIAL = VERSIONS / "0001_initial_schema.py"


def regenerate_initial() -> None:
    """Rewrite the single initial revision from the models (only before the first release)."""
    revisions = sorted(p.name for p in VERSIONS.glob("*.py"))
    if revisions not in ([], [INITIAL.name]):
        raise SystemExit(f"more than the initial revision exists ({revisions}); write a new revision instead")
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        autogenerate("initial schema", engine)
        engine.dispose()
    (generated,) = [p for p in VERSIONS.glob("*.py") if p.name != INITIAL.name]
    text = re.sub(r"^revision = '[0-9a-f]+'", "revision = '0001'", generated.read_text(), flags=re.M)
    text = re.sub(r"Revision ID: [0-9a-f]+", "Revision ID: 0001", text)
    text = re.sub(r"Create Date: .*", "Create Date: (regenerated)", text)
    INITIAL.write_text(text)
    generated.unlink()


def main(argv: list[str]) -> None:
    if argv == ["regenerate-initial"]:
        regenerate_initial()
        return
    if len(argv) != 2 or argv[0] != "revision":
        raise SystemExit('usage: python -m taizhang.devtools revision "message" | regenerate-initial')
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade(engine)
        autogenerate(argv[1], engine)
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
