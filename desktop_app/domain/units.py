"""Official administrative units: the current two-level list and the pre-2025 three-level one.

Since 1 July 2025 Vietnam has provinces and communes only (34 provinces, 3,321 communes);
reports from earlier periods name districts and the older communes, so both lists are
kept. Codes are the GSO codes: provinces 2 digits, districts 3, communes 5.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

from desktop_app.paths import resource
from desktop_app.domain.entities import UnitProfile
from desktop_app.domain.text import fold, vi_sort_key

CURRENT = "2025"
LEGACY = "truoc-2025"

_KIND_PREFIXES = ("Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Phường", "Quận", "Huyện", "Tỉnh", "Xã")


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str  # official full name: "Xã Bình Phước"
    kind: str  # "Xã", "Phường", "Thị trấn", "Đặc khu", "Huyện", "Thị xã", "Quận", "Thành phố", "Tỉnh"
    level: str  # xa | huyen | tinh
    province_code: str
    province_name: str
    district_code: str | None = None
    district_name: str | None = None
    scheme: str = CURRENT

    @property
    def short_name(self) -> str:
        return split_kind(self.name)[1]

    def as_profile(self) -> UnitProfile:
        return UnitProfile.from_json({**asdict(self), "short_name": self.short_name})


def split_kind(name: str) -> tuple[str, str]:
    """``Thị xã Đức Phổ`` → (``Thị xã``, ``Đức Phổ``)."""
    for prefix in _KIND_PREFIXES:
        if name.startswith(prefix + " "):
            return prefix, name[len(prefix) + 1:]
    return "", name


def _province_full(name: str) -> str:
    return name if name.startswith(("Tỉnh ", "Thành phố ")) else f"Tỉnh {name}"


@lru_cache(maxsize=1)
def _current() -> tuple[list[AdminUnit], list[AdminUnit]]:
    from vietnam_provinces import Province, Ward

    provinces = {}
    for p in Province.iter_all():
        full = _province_full(p.name)
        provinces[int(p.code)] = AdminUnit(
            code=f"{int(p.code):02d}", name=full, kind=split_kind(full)[0], level="tinh",
            province_code=f"{int(p.code):02d}", province_name=full)
    communes = []
    for w in Ward.iter_all():
        prov = provinces[int(w.province_code)]
        communes.append(AdminUnit(
            code=f"{int(w.code):05d}", name=w.name, kind=split_kind(w.name)[0] or "Xã", level="xa",
            province_code=prov.code, province_name=prov.name))
    return list(provinces.values()), communes


@lru_cache(maxsize=1)
def _legacy() -> tuple[list[AdminUnit], list[AdminUnit], list[AdminUnit]]:
    data = json.loads(resource("units", "don-vi-hanh-chinh-truoc-2025.json").read_text(encoding="utf-8"))
    provinces, districts, communes = [], [], []
    for p in data["provinces"]:
        pcode, pname = f"{p['c']:02d}", p["n"]
        provinces.append(AdminUnit(pcode, pname, split_kind(pname)[0], "tinh", pcode, pname, scheme=LEGACY))
        for d in p["d"]:
            dcode = f"{d['c']:03d}"
            districts.append(AdminUnit(dcode, d["n"], split_kind(d["n"])[0], "huyen", pcode, pname,
                                       dcode, d["n"], scheme=LEGACY))
            for wcode, wname in d["w"]:
                communes.append(AdminUnit(f"{wcode:05d}", wname, split_kind(wname)[0] or "Xã", "xa", pcode, pname,
                                          dcode, d["n"], scheme=LEGACY))
    return provinces, districts, communes


class UnitNotFound(LookupError):
    pass


def provinces(scheme: str = CURRENT) -> list[AdminUnit]:
    units = _current()[0] if scheme == CURRENT else _legacy()[0]
    return sorted(units, key=lambda u: vi_sort_key(u.short_name))


def districts(province_code: str) -> list[AdminUnit]:
    return sorted((d for d in _legacy()[1] if d.province_code == province_code),
                  key=lambda u: vi_sort_key(u.short_name))


def communes(province_code: str, scheme: str = CURRENT, district_code: str | None = None) -> list[AdminUnit]:
    pool = _current()[1] if scheme == CURRENT else _legacy()[2]
    found = [c for c in pool if c.province_code == province_code
             and (district_code is None or c.district_code == district_code)]
    return sorted(found, key=lambda u: vi_sort_key(u.short_name))


def all_communes(scheme: str = CURRENT) -> list[AdminUnit]:
    return list(_current()[1] if scheme == CURRENT else _legacy()[2])


@lru_cache(maxsize=8)
def _by_code(current: bool, width: int) -> dict[str, AdminUnit]:
    """Each list's units by code (the first of a code, as a scan finds it): a bulk import looks
    up thousands of communes."""
    pools = {2: _current()[0], 5: _current()[1]} if current else {2: _legacy()[0], 3: _legacy()[1], 5: _legacy()[2]}
    index: dict[str, AdminUnit] = {}
    for unit in pools.get(width, []):
        index.setdefault(unit.code, unit)
    return index


def find(code: str, scheme: str = CURRENT) -> AdminUnit:
    """Look a unit up by its official code (2 digits province, 3 district, 5 commune)."""
    code = code.strip()
    if not code.isdigit():
        raise UnitNotFound(f"Mã đơn vị hành chính «{code}» chỉ gồm chữ số.")
    width = 2 if len(code) <= 2 else 3 if len(code) == 3 and scheme != CURRENT else 5
    found = _by_code(scheme == CURRENT, width).get(code.zfill(width))
    if found is not None:
        return found
    which = "danh mục từ 01/7/2025" if scheme == CURRENT else "danh mục trước 01/7/2025"
    raise UnitNotFound(f"Không tìm thấy đơn vị có mã «{code}» trong {which}.")


def search(query: str, units: list[AdminUnit]) -> list[AdminUnit]:
    """Search as you type, ignoring diacritics and case: ``binh phuoc`` finds Bình Phước."""
    needle = fold(query).strip()
    if not needle:
        return units
    words = needle.split()
    return [u for u in units if all(w in fold(u.name) or w == u.code for w in words)]
