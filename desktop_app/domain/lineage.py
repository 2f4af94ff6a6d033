"""The 2025 lineage: which pre-July-2025 units became which current ones.

The mapping (resources/units/sap-nhap-2025.json, built by tools/build_lineage.py from the
MIT-licensed ``vietnamadminunits`` data) gives, for each current commune, the old communes
it was formed from — whole, or a part of an old commune divided between several new ones —
and, for each current province, the old provinces it took in (Kon Tum into Quảng Ngãi…).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from desktop_app.domain import units
from desktop_app.paths import resource


@dataclass(frozen=True)
class Predecessor:
    unit: units.AdminUnit  # on the list before 1 July 2025
    whole: bool  # False: only part of it went into the new commune


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(resource("units", "sap-nhap-2025.json").read_text(encoding="utf-8"))


def source() -> str:
    return str(_data().get("source", ""))


def predecessors(commune_code: str) -> list[Predecessor]:
    """The old communes a current commune was formed from (empty when the mapping has none)."""
    out = []
    for old_code, whole in _data()["communes"].get(commune_code, []):
        try:
            out.append(Predecessor(units.find(old_code, units.LEGACY), bool(whole)))
        except units.UnitNotFound:
            continue
    return sorted(out, key=lambda p: (not p.whole, p.unit.name))


@lru_cache(maxsize=1)
def _successors() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for new_code, olds in _data()["communes"].items():
        for old_code, _whole in olds:
            out.setdefault(old_code, []).append(new_code)
    return out


def successors(old_commune_code: str) -> list[str]:
    """The current communes an old commune went into (one, or several when it was divided)."""
    return list(_successors().get(old_commune_code, []))


def absorbed_provinces(province_code: str) -> list[str]:
    """The old provinces a current province is made of, itself included: 51 → [51, 62]."""
    return list(_data()["provinces"].get(province_code, [province_code]))
