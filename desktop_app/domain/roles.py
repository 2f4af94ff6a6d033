"""Who this installation speaks for, and how its documents are headed and signed.

The unit profile's ``role`` is one of:

- ``commune``: a commune, ward or special zone (xã, phường, đặc khu) — writes the reports;
- ``province``: the provincial People's Committee (UBND tỉnh) — receives and consolidates;
- ``department``: a provincial department (Sở Khoa học và Công nghệ, or another one named in
  ``body_name``) — receives and consolidates;
- ``district``: a district on the list before July 2025 — writes, and receives from its communes.

A profile saved before roles existed has none; :func:`role_of` reads it from the unit's level.
The header follows Nghị định 30/2020/NĐ-CP, Phụ lục I: a People's Committee writes its full name
on two lines (ỦY BAN NHÂN DÂN / TỈNH QUẢNG NGÃI); a department writes its governing body above
its own name (UBND TỈNH QUẢNG NGÃI / SỞ KHOA HỌC VÀ CÔNG NGHỆ), the governing body not bold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop_app.domain.text import fold, nfc

COMMUNE, PROVINCE, DEPARTMENT, DISTRICT = "commune", "province", "department", "district"
ROLES = (COMMUNE, PROVINCE, DEPARTMENT, DISTRICT)
RECEIVING = frozenset({PROVINCE, DEPARTMENT, DISTRICT})  # offices that receive bundles and consolidate
SCIENCE_DEPARTMENT = "Sở Khoa học và Công nghệ"
MAX_BODY_NAME = 120

ROLE_LABELS = {
    COMMUNE: "Xã, phường, đặc khu (lập và gửi báo cáo)",
    PROVINCE: "Ủy ban nhân dân tỉnh, thành phố (nhận và tổng hợp báo cáo)",
    DEPARTMENT: "Sở, ngành của tỉnh (nhận và tổng hợp báo cáo)",
    DISTRICT: "Huyện, thị xã, thành phố thuộc tỉnh — danh mục trước 01/7/2025",
}

# (signer's title, the authority line(s) above it): Nghị định 30, Phụ lục I, mục II.8
_COMMITTEE_SIGNERS = (("CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN"), ("PHÓ CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"))
_DEPARTMENT_SIGNERS = (("GIÁM ĐỐC", ""), ("PHÓ GIÁM ĐỐC", "KT. GIÁM ĐỐC"))
OFFERED_TITLES = frozenset(title for title, _authority in _COMMITTEE_SIGNERS + _DEPARTMENT_SIGNERS)


class RoleError(ValueError):
    """A role or a department name that cannot be used (Vietnamese message)."""


@dataclass(frozen=True)
class Issuer:
    """The issuing body's block at the top left of a document."""
    governing: str  # line 1: «ỦY BAN NHÂN DÂN» (with line 2 the committee's name) or «UBND TỈNH QUẢNG NGÃI»
    name: str  # line 2: «TỈNH QUẢNG NGÃI», «XÃ BÌNH PHƯỚC», «SỞ KHOA HỌC VÀ CÔNG NGHỆ»
    governing_bold: bool  # False when line 1 is a governing body above the issuer
    abbreviation: str  # in the number line «Số: …/BC-SKHCN»


def _field(profile: Any, name: str) -> Any:
    """A profile's field, whether the profile is a JSON object or a typed entity."""
    if profile is None:
        return None
    if isinstance(profile, Mapping):
        return profile.get(name)
    return getattr(profile, name, None)


def role_of(profile: Any) -> str:
    role = _field(profile, "role")
    if role in ROLES:
        return role
    return {"tinh": PROVINCE, "huyen": DISTRICT}.get(_field(profile, "level") or "", COMMUNE)


def is_receiving(profile: Any) -> bool:
    return profile is not None and role_of(profile) in RECEIVING


def check_role(role: str, level: str, body_name: str | None) -> str:
    """The department's name as kept (NFC, trimmed); RoleError when role and unit do not fit."""
    if role not in ROLES:
        raise RoleError(f"Vai trò «{role}» không có; chọn một trong: {', '.join(ROLES)}.")
    wanted = {COMMUNE: "xa", PROVINCE: "tinh", DEPARTMENT: "tinh", DISTRICT: "huyen"}[role]
    if level != wanted:
        kinds = {"xa": "một xã, phường", "tinh": "một tỉnh, thành phố", "huyen": "một huyện (danh mục cũ)"}
        raise RoleError(f"Vai trò «{ROLE_LABELS[role]}» cần chọn {kinds[wanted]}.")
    if role != DEPARTMENT:
        return ""
    name = " ".join(nfc(body_name or "").split())
    if not name:
        raise RoleError("Hãy ghi tên sở, ngành, ví dụ «Sở Khoa học và Công nghệ».")
    if len(name) > MAX_BODY_NAME:
        raise RoleError(f"Tên sở, ngành dài quá {MAX_BODY_NAME} ký tự.")
    if not fold(name).startswith(("so ", "ban ", "van phong ", "thanh tra ")):
        raise RoleError(f"«{name}» không giống tên một sở, ngành của tỉnh (bắt đầu bằng «Sở», «Ban», «Văn phòng» "
                        "hoặc «Thanh tra»).")
    return name[0].upper() + name[1:]


def issuer(profile: Any) -> Issuer:
    """The header block for documents issued in the profile's name."""
    kind = _field(profile, "kind") or ""
    short = _field(profile, "short_name") or _field(profile, "name") or ""
    committee_of = f"{kind} {short}".strip().upper()
    body = _field(profile, "body_name")
    if role_of(profile) == DEPARTMENT and body:
        return Issuer(governing=f"UBND {committee_of}", name=body.upper(), governing_bold=False,
                      abbreviation=abbreviation(body))
    return Issuer(governing="ỦY BAN NHÂN DÂN", name=committee_of, governing_bold=True, abbreviation="UBND")


def issuing_body(profile: Any, committee_of: str) -> str:
    """The issuer as a sentence names it: «UBND xã Ba Dinh» or «Sở Khoa học và Công nghệ»
    (``committee_of`` is the unit in mid-sentence form, «xã Ba Dinh»)."""
    body = _field(profile, "body_name")
    if role_of(profile) == DEPARTMENT and body:
        return body
    return f"UBND {committee_of}"


def receiver_recipients(profile: Any) -> list[str]:
    """The «Nơi nhận» of a consolidated report when the office wrote none of its own: the
    bodies a provincial office reports to since 2025 (the commune template's list names a
    commune's own bodies)."""
    province = _field(profile, "province_name") or ""
    kind, _, short = province.partition(" ")
    province_lower = f"{kind.lower()} {short}".strip()
    if role_of(profile) == DEPARTMENT:
        return [f"UBND {province_lower} (b/c)", "Bộ Khoa học và Công nghệ (b/c)",
                "Giám đốc, các Phó Giám đốc Sở", "Lưu: VT."]
    return ["Bộ Khoa học và Công nghệ (b/c)", f"TT Tỉnh ủy, TT HĐND {province_lower} (b/c)",
            f"CT, các PCT UBND {province_lower}", "Sở Khoa học và Công nghệ", "Lưu: VT."]


def abbreviation(body_name: str) -> str:
    """``Sở Khoa học và Công nghệ`` → ``SKHCN`` (the initials, «và» left out), as in «Số: …/BC-SKHCN»."""
    words = [w for w in fold(body_name).split() if w not in ("va", "-", "&")]
    return "".join(w[0] for w in words if w[0].isalnum()).upper() or "UBND"


def signer_titles(profile: Any) -> list[str]:
    """The titles offered for the signer: a committee's chair or a department's director."""
    forms = _DEPARTMENT_SIGNERS if role_of(profile) == DEPARTMENT else _COMMITTEE_SIGNERS
    return [title for title, _authority in forms]


def signing_authority(profile: Any, title: str | None) -> str | None:
    """The line(s) above the signer's title for a receiving office («TM. ỦY BAN NHÂN DÂN\\nKT. CHỦ
    TỊCH», «KT. GIÁM ĐỐC», none for the director himself); None for a title of another form
    (the template's own signing lines then stay)."""
    forms = _DEPARTMENT_SIGNERS if role_of(profile) == DEPARTMENT else _COMMITTEE_SIGNERS
    wanted = fold(title or "").strip()
    return next((authority for t, authority in forms if fold(t) == wanted), None)
