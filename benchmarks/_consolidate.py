"""Child process of the consolidation benchmark (run under /usr/bin/time for its peak memory).

    _consolidate.py ours BUNDLE_FOLDER DATA_FOLDER [DATABASE_URL]
                                                     import every bundle, consolidate, write .docx and .xlsx
                                                     (into the shared PostgreSQL store when a URL is given)
    _consolidate.py bare BUNDLE_FOLDER               baseline: unzip, parse and sum the same reports by hand

Prints one JSON line of timings (seconds).
"""

import json
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

mode, folder = sys.argv[1], Path(sys.argv[2])
files = sorted(folder.glob("*.zip"))
timings = {}
if mode == "bare":
    start = time.perf_counter()
    totals: dict[str, float] = {}
    for path in files:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            for entry in manifest["reports"]:
                doc = json.loads(archive.read(entry["member"]))
                for key, value in doc["values"].items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        totals[key] = totals.get(key, 0) + value
    timings["total"] = time.perf_counter() - start
else:
    from desktop_app.exchange import bundles
    from desktop_app.office import consolidation
    from desktop_app.documents.consolidated import write_consolidated_docx, write_consolidated_xlsx
    from desktop_app.services import Workspace

    ws = Workspace(sys.argv[3], database=sys.argv[4] if len(sys.argv) > 4 else None)
    start = time.perf_counter()
    summary = bundles.import_bundles(ws, files)
    timings["import"] = time.perf_counter() - start
    assert len(summary.new) == len(files) and not summary.rejected, summary.lines()[:5]
    start = time.perf_counter()
    # Every commune of the country at once: no real unit receives that many, so the receiver
    # is a stand-in with no commune list (everything received is counted).
    from desktop_app.domain.entities import UnitProfile
    from desktop_app.domain.periods import parse_period

    year = parse_period("2025")
    reports = ws.store.reports_of_period("ntm-tieu-chi-8", [year])
    receiver = UnitProfile(code="00", name="Cả nước", level="tw")
    cons = consolidation.consolidate(ws.template("ntm-tieu-chi-8"), year, reports, receiver)
    timings["aggregate"] = time.perf_counter() - start
    assert len(cons.submissions) == len(files)
    start = time.perf_counter()
    write_consolidated_xlsx(cons, Path(sys.argv[3]) / "tong-hop.xlsx")
    timings["xlsx"] = time.perf_counter() - start
    start = time.perf_counter()
    write_consolidated_docx(cons, Path(sys.argv[3]) / "tong-hop.docx")
    timings["docx"] = time.perf_counter() - start
    ws.close()
    timings["total"] = sum(timings.values())
print(json.dumps(timings), flush=True)
