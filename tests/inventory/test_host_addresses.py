"""Host IP addresses: the Create schema gives exactly what ``ipaddress`` makes of each one."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from inventory.schemas import HostCreate

OCTETS = st.sampled_from(
    [
        "0",
        "00",
        "1",
        "01",
        "9",
        "10",
        "99",
        "100",
        "199",
        "200",
        "249",
        "250",
        "255",
        "256",
        "010",
        "",
        "a",
        "١",
    ]
)


def _expected(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


@given(st.lists(OCTETS, min_size=3, max_size=5).map(".".join), st.sampled_from(["", " ", "\t"]))
def test_dotted_quads_normalise_as_ipaddress_does(text: str, pad: str) -> None:
    expected = _expected(pad + text + pad)
    if expected is None:
        with pytest.raises(ValidationError, match="不是有效的 IPv4/IPv6 地址"):
            HostCreate(hostname="h", kind="virtual", ip_addresses=[pad + text + pad])
    else:
        host = HostCreate(hostname="h", kind="virtual", ip_addresses=[pad + text + pad, expected])
        assert host.ip_addresses == [expected]


def test_other_forms_still_go_through_ipaddress() -> None:
    host = HostCreate(hostname="h", kind="virtual", ip_addresses=["FE80::0001", "2001:DB8::1", "10.0.0.1"])
    assert host.ip_addresses == ["fe80::1", "2001:db8::1", "10.0.0.1"]
