"""A small wrapper around pynetbox: timeouts, retries with backoff, large pages, clear errors.

Records are returned as the plain JSON dicts NetBox sends (pynetbox's raw page stream), which keeps
listing 10,000 objects fast. Every failure becomes a ``NetboxError`` with a Chinese message that
names the URL but never the token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pynetbox
import requests
from pynetbox.core.query import ContentError, RequestError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from taizhang.errors import Unavailable
from taizhang.settings import OutboundUrlError, check_outbound_url

TRANSIENT_STATUSES = (429, 500, 502, 503, 504)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


class NetboxError(Unavailable):
    """NetBox could not be reached or refused the request; nothing was written."""


class _Session(requests.Session):
    """A requests session with a default timeout (requests has none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _session(timeout: float, retries: int) -> requests.Session:
    session = _Session(timeout)
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.5,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class NetboxClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        page_size: int = 1000,
        timeout: float = 30.0,
        retries: int = 4,
        setting: str = "TAIZHANG_NETBOX_URL",
    ) -> None:
        """``setting`` names where ``url`` came from, for the message when it is invalid."""
        try:
            url = check_outbound_url(url, setting=setting, label="NetBox 地址")
        except OutboundUrlError as exc:
            raise NetboxError(str(exc), field="netbox_url") from None
        if not token.strip():
            raise NetboxError("未配置 NetBox 令牌（TAIZHANG_NETBOX_TOKEN 或 --token）", field="netbox_token")
        self.url = url.rstrip("/")
        self.page_size = page_size
        self.api = pynetbox.api(self.url, token=token.strip(), pagination="cursor")
        self.api.http_session = _session(timeout, retries)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except RequestError as exc:
            status = exc.req.status_code
            if status in (401, 403):
                raise NetboxError(
                    f"NetBox 拒绝访问（HTTP {status}，{what}）：令牌无效、已过期或权限不足，请检查 TAIZHANG_NETBOX_TOKEN"
                ) from None
            raise NetboxError(f"NetBox 请求失败（HTTP {status}，{what}）：{str(exc.error)[:300]}") from None
        except ContentError:
            raise NetboxError(f"{self.url} 返回的不是 NetBox API 的 JSON（{what}），请检查地址") from None
        except requests.exceptions.RetryError as exc:
            raise NetboxError(f"NetBox 多次重试后仍失败（{what}）：{exc.__class__.__name__}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise NetboxError(
                f"无法连接 NetBox（{self.url}，{what}）：{exc.__class__.__name__}，已重试后放弃"
            ) from None

    def _endpoint(self, path: str) -> Any:
        app, name = path.split(".")
        return getattr(getattr(self.api, app), name)

    def status(self) -> dict[str, Any]:
        """``/api/status/``: checks address and token before anything else."""
        with self._errors("读取状态"):
            return dict(self.api.status())

    def list(self, path: str, **filters: Any) -> list[dict[str, Any]]:
        """Every record of ``path`` (``dcim.devices``) matching ``filters``, fetched in large pages.

        The whole list is read before it is returned, so a page that fails halfway raises before
        the caller has seen (or applied) anything.
        """
        with self._errors(f"读取 {path}"):
            return list(self._endpoint(path).filter(limit=self.page_size, **filters).response)

    def create(self, path: str, data: dict[str, Any] | Sequence[dict[str, Any]]) -> Any:
        with self._errors(f"创建 {path}"):
            return self._endpoint(path).create(data)

    def bulk_update(self, path: str, rows: Sequence[dict[str, Any]], *, chunk: int = 200) -> int:
        """PATCH ``[{id, …}, …]`` to the list endpoint in chunks; returns the number of rows sent."""
        endpoint = self._endpoint(path)
        url = f"{endpoint.url}/"
        for start in range(0, len(rows), chunk):
            with self._errors(f"更新 {path}"):
                response = self.api.http_session.patch(
                    url, json=list(rows[start : start + chunk]), headers=self._headers()
                )
                if not response.ok:
                    raise RequestError(response)
        return len(rows)

    def update(self, path: str, object_id: int, data: dict[str, Any]) -> None:
        endpoint = self._endpoint(path)
        with self._errors(f"更新 {path}"):
            response = self.api.http_session.patch(
                f"{endpoint.url}/{object_id}/", json=data, headers=self._headers()
            )
            if not response.ok:
                raise RequestError(response)

    def _headers(self) -> dict[str, str]:
        token = str(self.api.token)
        scheme = "Bearer" if token.startswith("nbt_") else "Token"
        return {"Authorization": f"{scheme} {token}", "Accept": "application/json"}
