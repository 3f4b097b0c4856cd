"""Outbound URL settings (TAIZHANG_NETBOX_URL, ``netbox --url``) are checked before any connection:
http(s) only, a host, no credentials, no query, no fragment; the message names the setting and
shows the value with any secret redacted. (taizhang has no SMTP or other notification URL setting.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from inventory.netbox.client import NetboxClient, NetboxError
from taizhang.cli import app as cli
from taizhang.settings import SettingsError, check_outbound_url, get_settings, reset_settings_cache

SECRET = "s3cr3t-Pa55"
TOKEN = "0123456789abcdef0123456789abcdef01234567"

BAD = [
    ("ftp://netbox.example.gov", "只支持以 http:// 或 https:// 开头", "ftp://netbox.example.gov"),
    ("netbox.example.gov", "只支持以 http:// 或 https:// 开头", "netbox.example.gov"),
    ("javascript:alert(1)", "只支持以 http:// 或 https:// 开头", "javascript:alert(1)"),
    ("https://", "缺少主机名", "https://"),
    ("http:///api", "缺少主机名", "http:///api"),
    (f"https://admin:{SECRET}@netbox.example.gov", "不得包含用户名或口令", "https://***@netbox.example.gov"),
    (f"https://{SECRET}@netbox.example.gov/", "不得包含用户名或口令", "https://***@netbox.example.gov/"),
    ("https://netbox.example.gov/#top", "不得包含 # 片段", "https://netbox.example.gov/#top"),
    (
        f"https://netbox.example.gov/?token={SECRET}",
        "不得包含查询参数",
        "https://netbox.example.gov/?token=***",
    ),
    ("https://netbox.example.gov:99999", "主机名或端口无效", "https://netbox.example.gov:99999"),
    ("https://netbox.example.gov:0", "端口无效", "https://netbox.example.gov:0"),
    ("https://netbox example.gov", "不得包含空白或控制字符", "https://netbox example.gov"),
]
GOOD = ["http://127.0.0.1:8000", "https://netbox.example.gov/", "https://[::1]:8443/netbox", "HTTPS://NB.GOV"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    reset_settings_cache()
    yield monkeypatch
    monkeypatch.delenv("TAIZHANG_NETBOX_URL", raising=False)
    reset_settings_cache()


@pytest.mark.parametrize(("value", "reason", "shown"), BAD)
def test_bad_netbox_url_in_the_environment_stops_with_a_clear_redacted_message(
    env: pytest.MonkeyPatch, value: str, reason: str, shown: str
) -> None:
    env.setenv("TAIZHANG_NETBOX_URL", value)
    with pytest.raises(SettingsError) as caught:
        get_settings()
    message = str(caught.value)
    assert message.startswith("NetBox 地址无效（TAIZHANG_NETBOX_URL）：")
    assert reason in message
    assert f"：{shown}，" in message
    assert SECRET not in message
    assert SECRET not in str(caught.value.__context__)  # pydantic's own error hides the input too


@pytest.mark.parametrize("value", GOOD)
def test_good_netbox_urls_are_accepted(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("TAIZHANG_NETBOX_URL", value)
    assert get_settings().netbox_url == value
    assert NetboxClient(value, TOKEN).url == value.rstrip("/")


def test_empty_netbox_url_means_not_configured(env: pytest.MonkeyPatch) -> None:
    env.setenv("TAIZHANG_NETBOX_URL", "  ")
    assert get_settings().netbox_url is None


@pytest.mark.parametrize(("value", "reason", "shown"), BAD)
def test_the_client_checks_a_url_given_on_the_command_line(value: str, reason: str, shown: str) -> None:
    with pytest.raises(NetboxError) as caught:
        NetboxClient(value, TOKEN, setting="--url")
    assert caught.value.field == "netbox_url"
    assert caught.value.message.startswith("NetBox 地址无效（--url）：")
    assert reason in caught.value.message and SECRET not in caught.value.message


def test_cli_names_the_variable_and_hides_the_password(env: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    env.setenv("TAIZHANG_NETBOX_TOKEN", TOKEN)
    env.setenv("TAIZHANG_NETBOX_URL", f"https://admin:{SECRET}@netbox.example.gov")
    result = runner.invoke(cli, ["netbox", "sync"])
    assert result.exit_code == 2
    assert "NetBox 地址无效（TAIZHANG_NETBOX_URL）：https://***@netbox.example.gov" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    # the setting is read for every command, so a bad value is reported whatever the command
    assert runner.invoke(cli, ["checks", "list"]).exit_code == 2

    env.delenv("TAIZHANG_NETBOX_URL")
    reset_settings_cache()
    given = runner.invoke(cli, ["netbox", "sync", "--url", f"http://u:{SECRET}@127.0.0.1:9/"])
    assert given.exit_code == 2
    assert "NetBox 地址无效（--url）：http://***@127.0.0.1:9/，地址中不得包含用户名或口令" in given.output
    assert SECRET not in given.output


def test_the_server_does_not_start_with_a_bad_url(env: pytest.MonkeyPatch) -> None:
    from taizhang.app import create_app

    env.setenv("TAIZHANG_NETBOX_URL", f"gopher://x:{SECRET}@nb")
    with pytest.raises(SettingsError) as caught:
        create_app()
    assert "TAIZHANG_NETBOX_URL" in str(caught.value) and SECRET not in str(caught.value)


def test_other_invalid_settings_name_their_variable(env: pytest.MonkeyPatch) -> None:
    env.setenv("TAIZHANG_NETBOX_PAGE_SIZE", "0")
    with pytest.raises(SettingsError, match="配置 TAIZHANG_NETBOX_PAGE_SIZE 无效"):
        get_settings()


def test_check_outbound_url_returns_the_trimmed_value() -> None:
    assert check_outbound_url(" https://nb.gov ", setting="X", label="Y") == "https://nb.gov"
