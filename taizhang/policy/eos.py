"""End-of-support dates of operating systems and base software, and tolerant lookup by reported name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from taizhang.policy.model import PolicyError, PolicySource

EOS_FIELDS = ("product", "names", "version", "end_of_support", "category", "replacement", "source")
_TEXT_FIELDS = ("product", "version", "category", "replacement", "source")


@dataclass(frozen=True, slots=True)
class EosEntry:
    id: str
    product: str
    names: tuple[str, ...]
    version: str
    end_of_support: date
    category: str
    replacement: str
    source: str
    origin: PolicySource = "default"


def merge_eos(
    base: Mapping[str, EosEntry], table: Any, *, where: str, origin: PolicySource
) -> dict[str, EosEntry]:
    """``base`` with the ``[eos.<id>]`` tables of one file merged over it, field by field.

    An existing id may change any subset of fields; a new id must give all of them.
    """
    if not isinstance(table, dict):
        raise PolicyError(f"{where}: eos 应为表（[eos.<id>]）")
    merged = dict(base)
    for eos_id, raw in table.items():
        at = f"{where}: eos.{eos_id}"
        if not isinstance(raw, dict):
            raise PolicyError(f"{at}: 应为表")
        unknown = set(raw) - set(EOS_FIELDS)
        if unknown:
            raise PolicyError(f"{at}.{sorted(unknown)[0]}: 未知的字段（允许：{', '.join(EOS_FIELDS)}）")
        fields: dict[str, Any] = {}
        if eos_id in merged:
            fields = {name: getattr(merged[eos_id], name) for name in EOS_FIELDS}
            fields["names"] = list(fields["names"])
        fields.update(raw)
        missing = [name for name in EOS_FIELDS if name not in fields]
        if missing:
            raise PolicyError(f"{at}.{missing[0]}: 新增条目缺少该字段")
        merged[eos_id] = _entry(eos_id, fields, at=at, origin=origin)
    return merged


def _entry(eos_id: str, fields: dict[str, Any], *, at: str, origin: PolicySource) -> EosEntry:
    names = fields["names"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise PolicyError(f"{at}.names = {names!r}: 应为非空文本列表")
    end = fields["end_of_support"]
    if not isinstance(end, date) or isinstance(end, datetime):
        raise PolicyError(f"{at}.end_of_support = {end!r}: 应为日期（如 2024-06-30）")
    for name in _TEXT_FIELDS:
        if not isinstance(fields[name], str) or (name != "version" and not fields[name].strip()):
            raise PolicyError(f"{at}.{name} = {fields[name]!r}: 应为非空文本")
    return EosEntry(
        id=eos_id,
        product=fields["product"],
        names=tuple(names),
        version=fields["version"].strip(),
        end_of_support=end,
        category=fields["category"],
        replacement=fields["replacement"],
        source=fields["source"],
        origin=origin,
    )


def match_eos(entries: Iterable[EosEntry], os_name: str, version: str = "") -> EosEntry | None:
    """The entry for a product as an inventory or Ansible reports it, or None.

    Case and punctuation are ignored and "Microsoft" is dropped. The longest listed name that is a
    word prefix of ``os_name`` picks the product (so "CentOS Stream" never falls back to "CentOS");
    then ``version``, or a word after the name ("Oracle Database 11g"), must equal the listed
    version or extend it with a dot ("7.9.2009" -> "7"). Entries with an empty version match any.
    """
    name_words = _words(os_name)
    best_len = 0
    best: list[EosEntry] = []
    for entry in entries:
        length = max((len(w) for w in map(_words, entry.names) if name_words[: len(w)] == w), default=0)
        if length > best_len:
            best_len, best = length, [entry]
        elif length and length == best_len:
            best.append(entry)
    candidates = _words(version) + name_words[best_len:]
    matches = [
        entry
        for entry in best
        if not entry.version or any(_version_matches(c, entry.version) for c in candidates)
    ]
    return max(matches, key=lambda entry: len(entry.version), default=None)


def _words(text: str) -> list[str]:
    text = re.sub(r"[^0-9a-z.\u4e00-\u9fff]+", " ", text.lower())
    words = (word.strip(".") for word in text.split())
    return [word for word in words if word and word != "microsoft"]


def _version_matches(candidate: str, listed: str) -> bool:
    found = re.match(r"v?(\d+(?:\.\d+)*)", candidate)
    if not found:
        return False
    number = found.group(1)
    return number == listed or number.startswith(listed + ".")
