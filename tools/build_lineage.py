"""Build resources/units/sap-nhap-2025.json: the official old → new unit mapping of 1 July 2025.

Source: the ``vietnamadminunits`` package (MIT License, Copyright (c) 2025 Tran Ngoc Minh Hieu),
whose data follow the National Assembly Standing Committee's resolutions on the 2025
arrangement of communes and the merger of provinces. The package itself is not a dependency
(it pulls in geocoding libraries); its two data files are read once here:

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau && cd /tmp/vau && unzip *.whl
    python tools/build_lineage.py /tmp/vau/vietnamadminunits/data

Output (codes are the GSO codes used everywhere in the app):
    provinces: new province → the old provinces it took in (itself included)
    communes:  new commune → [[old commune, 1 whole | 0 part], …]; «part» is an old commune
               divided between several new ones (its figures cannot be given to one of them)
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "units" / "sap-nhap-2025.json"
SOURCE = "vietnamadminunits 1.0.4 (MIT License, Copyright (c) 2025 Tran Ngoc Minh Hieu)"


def build(data: Path) -> dict:
    mapping = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    db = sqlite3.connect(data / "dataset.db")
    old_province = {k: int(c) for k, c in db.execute(
        "select distinct provinceKey, provinceCode from admin_units_legacy")}
    old_ward: dict[str, int] = {}
    old_district: dict[str, list[int]] = defaultdict(list)
    for p, d, w, code in db.execute("select provinceKey, districtKey, wardKey, wardCode from admin_units_legacy"):
        if code:
            old_ward[f"{p}_{d}_{w}"] = int(code)
            old_district[f"{p}_{d}_"].append(int(code))
    new_province = {k: int(c) for k, c in db.execute("select distinct provinceKey, provinceCode from admin_units")}
    new_ward = {(p, w): int(c) for p, w, c in db.execute("select provinceKey, wardKey, wardCode from admin_units")}

    def olds(key: str) -> list[int]:
        if key in old_ward:
            return [old_ward[key]]
        return old_district.get(key, [])  # an island district without communes of its own (Lý Sơn…)

    provinces = {f"{new_province[new]:02d}": sorted(f"{old_province[o]:02d}" for o in olds_)
                 for new, olds_ in mapping["DICT_PROVINCE"].items()}
    communes: dict[str, dict[str, int]] = defaultdict(dict)
    for pkey, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, old_keys in wards.items():
            for old_key in old_keys:
                for code in olds(old_key):
                    communes[f"{new_ward[(pkey, wkey)]:05d}"][f"{code:05d}"] = 1
    for pkey, divided in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            for part in parts:
                target = new_ward.get((pkey, part["newWardKey"]))
                if target is None:
                    continue
                for code in olds(old_key):
                    communes[f"{target:05d}"].setdefault(f"{code:05d}", 0)
    return {
        "source": SOURCE,
        "note": "provinces: mới → các tỉnh cũ; communes: xã mới → [[xã cũ, 1 nguyên xã | 0 một phần]]",
        "provinces": dict(sorted(provinces.items())),
        "communes": {new: sorted([old, whole] for old, whole in olds_.items())
                     for new, olds_ in sorted(communes.items())},
    }


if __name__ == "__main__":
    result = build(Path(sys.argv[1]))
    OUT.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{OUT}: {len(result['provinces'])} tỉnh, {len(result['communes'])} xã")
