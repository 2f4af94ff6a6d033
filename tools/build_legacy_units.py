"""Regenerate resources/units/don-vi-hanh-chinh-truoc-2025.json.

The pre-1-July-2025 three-level list (province → district → commune) comes from the
data of vietnam-provinces 0.6.0 (GSO codes, January 2025), the last release before the
two-level reform; the current two-level list is read from the installed package itself.

    pip download --no-deps vietnam-provinces==0.6.0 -d /tmp/vp && unzip /tmp/vp/*.whl -d /tmp/vp
    python tools/build_legacy_units.py /tmp/vp/vietnam_provinces/data/nested-divisions.json
"""

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "units" / "don-vi-hanh-chinh-truoc-2025.json"


def main(source: str) -> None:
    provinces = json.loads(Path(source).read_text(encoding="utf-8"))
    compact = [
        {
            "c": p["code"], "n": p["name"],
            "d": [
                {"c": d["code"], "n": d["name"], "w": [[w["code"], w["name"]] for w in d["wards"]]}
                for d in p["districts"]
            ],
        }
        for p in provinces
    ]
    payload = {"source": "vietnam-provinces 0.6.0 (Tổng cục Thống kê, 01/2025)", "provinces": compact}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(OUT, OUT.stat().st_size)


if __name__ == "__main__":
    main(sys.argv[1])
