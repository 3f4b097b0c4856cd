"""Session fixture: real sshd test hosts (started by scripts/sshd-hosts.sh), stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sshhosts as hosts


@pytest.fixture(scope="session")
def sshd_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The controller's private key; the hosts answer on hosts.HOSTS addresses."""
    reason = hosts.can_run()
    if reason:
        pytest.fail(reason)
    state = tmp_path_factory.mktemp("sshd-hosts")
    key = hosts.start_hosts(state)
    yield key
    hosts.stop_hosts(state)
