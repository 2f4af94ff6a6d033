import unicodedata

from desktop_app.domain import units
from desktop_app.domain.text import fold, nfc, nfc_deep, vi_sort_key


def test_vietnamese_alphabet_order():
    names = ["Đức Phổ", "Dương", "Ân", "Ăn", "An", "Bình", "Ba Tơ", "Ơn", "Ôn", "On", "Ưng", "Uy"]
    assert sorted(names, key=vi_sort_key) == ["An", "Ăn", "Ân", "Ba Tơ", "Bình", "Dương", "Đức Phổ",
                                              "On", "Ôn", "Ơn", "Uy", "Ưng"]


def test_tones_only_break_ties():
    assert sorted(["Bà", "Ba", "Bá", "Bả"], key=vi_sort_key) == ["Ba", "Bà", "Bả", "Bá"]


def test_nfc_and_fold():
    decomposed = unicodedata.normalize("NFD", "Phổ Thuận")
    assert nfc(decomposed) == "Phổ Thuận" and decomposed != "Phổ Thuận"
    assert nfc_deep({"a": [decomposed]}) == {"a": ["Phổ Thuận"]}
    assert fold("Đức Phổ") == "duc pho"


def test_current_two_level_units():
    assert len(units.provinces()) == 34
    assert len(units.all_communes()) == 3321
    ward = units.find("29638")
    assert ward.name == "Xã Bình Phước" and ward.level == "xa" and ward.district_name is None


def test_legacy_three_level_units():
    assert len(units.provinces(units.LEGACY)) == 63
    commune = units.find("21073", units.LEGACY)
    assert (commune.name, commune.district_name, commune.province_name) == (
        "Xã Bình Phước", "Huyện Bình Sơn", "Tỉnh Quảng Ngãi")
    district = units.find("534", units.LEGACY)
    assert district.name == "Thị xã Đức Phổ" and district.short_name == "Đức Phổ"
    assert len(units.communes("51", units.LEGACY, district_code="534")) == 15


def test_search_as_you_type_ignores_diacritics():
    found = units.search("binh phuoc", units.communes("51", units.LEGACY))
    assert [u.name for u in found] == ["Xã Bình Phước"]
    assert units.search("21073", units.communes("51", units.LEGACY))[0].code == "21073"


def test_unknown_code_message():
    import pytest

    with pytest.raises(units.UnitNotFound, match="Không tìm thấy"):
        units.find("99999")


def test_villages_entered_twice_in_another_case_count_once(workspace):
    profile = workspace.set_unit("21448", scheme="truoc-2025",
                                 villages=["Thôn An Thạch", "thôn an thạch", "  Thôn  Hiệp An ", "Thôn Hiệp An"])
    assert profile.villages == ("Thôn An Thạch", "Thôn Hiệp An")
