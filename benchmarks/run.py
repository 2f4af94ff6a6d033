"""Benchmarks: every figure beside a baseline measured in the same run, as a ratio.

    .venv/bin/python -m benchmarks.run            # writes benchmarks/RESULTS.md and prints the table

Never used as timed assertions in tests.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def _child(mode: str, data: str) -> tuple[float, float]:
    """Wall seconds from spawning a fresh process to its first painted window, and to the
    report open in it (the interpreter's own start included: the child counts from the
    parent's ``time.perf_counter()`` at the spawn, a clock shared by the processes)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.pop("BAOCAOXA_DATABASE", None)
    env["BENCH_SPAWNED"] = repr(time.perf_counter())
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "_children.py"), mode, data], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    window, report = (float(x) for x in proc.stdout.split()[-2:])
    return window, report


def _peak_memory(mode: str, data: str) -> float:
    """Peak RSS (MiB) of one fresh process, through /usr/bin/time -f %M (Debian package «time»)."""
    timer = "/usr/bin/time"
    if not os.path.exists(timer):
        return float("nan")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([timer, "-f", "%M", sys.executable, str(ROOT / "benchmarks" / "_children.py"), mode, data],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def _byte_compiled() -> None:
    """The program's modules compiled as an installed program has them (pip and the packaged
    build do; a development tree under PYTHONDONTWRITEBYTECODE would compile them on every
    start, which PySide6 in the bare window, installed, never does)."""
    import compileall

    for package in ("desktop_app", "db", "ui"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def bench_start_and_memory(rows: list) -> None:
    _byte_compiled()
    with tempfile.TemporaryDirectory() as data:
        _child("app", data)  # first run creates the database: not a cold start of a used app
        bare, app = [], []
        for _ in range(RUNS):  # interleaved: a busy moment of the machine hits both alike
            bare.append(_child("bare", data)[0])
            app.append(_child("app", data))
        base = statistics.median(bare)
        rows.append((f"Cold start to the first painted window (s, median of {RUNS}; goal ≤ 3×)",
                     statistics.median(a[0] for a in app), "bare QMainWindow painted, same run", base))
        rows.append((f"Cold start to a report open in the window (s, median of {RUNS}; goal ≤ 5×)",
                     statistics.median(a[1] for a in app), "bare QMainWindow painted, same run", base))
        mem_app = _peak_memory("app", data)
        mem_bare = _peak_memory("bare", data)
        rows.append(("Peak memory with the largest example report open (MiB; goal ≤ 2×)", mem_app,
                     "bare QMainWindow", mem_bare))


def bench_validation(rows: list) -> None:
    from tests.test_fields_and_validation import BIG_VALIDATOR as validator, INPUT_IDS

    rng = random.Random(1)
    values = {fid: rng.randint(0, 40) for fid in INPUT_IDS}
    result = validator.validate(values)
    times = []
    for _ in range(2000):
        fid = rng.choice(INPUT_IDS)
        values[fid] = rng.randint(0, 40)
        start = time.perf_counter()
        result = validator.revalidate(result, values, fid)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    full = []
    for _ in range(50):
        start = time.perf_counter()
        validator.validate(values)
        full.append((time.perf_counter() - start) * 1000)
    frame = 1000 / 60
    rows.append(("Re-validation after one edit, 300-field report: median (ms)", statistics.median(times),
                 "one screen frame (16,7 ms)", frame))
    rows.append(("Re-validation after one edit, 300-field report: p95 (ms)", times[int(len(times) * 0.95)],
                 "one screen frame (16,7 ms)", frame))
    rows.append(("Full validation of the 300-field report (ms)", statistics.median(full),
                 "one screen frame (16,7 ms)", frame))


def _edits(ws, rid: int) -> tuple[list[float], list[float]]:
    """(the whole autosaved edit, the store's write with its audit entry alone), in ms."""
    from desktop_app.editing import EditSession

    session = EditSession(ws, rid)
    edit_times, store_times = [], []
    for i in range(200):
        start = time.perf_counter()
        session.set_field("so_thon", str(7 + i % 5))
        edit_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        ws.store.set_values(rid, {"so_thon": 12 + i % 5}, who="benchmark", action="set")
        store_times.append((time.perf_counter() - start) * 1000)
    return edit_times, store_times


def bench_autosave(rows: list, server: str | None = None) -> None:
    from desktop_app.services import Workspace

    example = json.loads((ROOT / "resources/examples/ntm-tieu-chi-8.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(folder)
        rid, _ = ws.import_document(example)
        app_times, store_times = _edits(ws, rid)
        ws.close()
        con = sqlite3.connect(Path(folder) / "bare.sqlite3", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("CREATE TABLE v (k TEXT PRIMARY KEY, v TEXT)")
        con.execute("INSERT INTO v VALUES ('so_thon', '7')")
        bare = []
        for i in range(200):
            start = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE v SET v=? WHERE k='so_thon'", (str(7 + i % 5),))
            con.execute("COMMIT")
            bare.append((time.perf_counter() - start) * 1000)
        con.close()
    rows.append(("One autosaved edit: parse, store with audit, re-validate (ms, median)", statistics.median(app_times),
                 "bare SQLite single-row UPDATE, same durability", statistics.median(bare)))
    rows.append(("One edit's store with audit, SQLite (ms, median; goal ≤ 3×)", statistics.median(store_times),
                 "bare SQLite single-row UPDATE, same durability", statistics.median(bare)))
    if server:
        _autosave_server(rows, server, example)


def _autosave_server(rows: list, server: str, example: dict) -> None:
    """The same edit on the shared PostgreSQL store against a bare psycopg UPDATE (both commit
    with the server's synchronous_commit, its default durability)."""
    import psycopg

    from desktop_app.services import Workspace
    from tests import pg

    url = pg.fresh_database()
    try:
        with tempfile.TemporaryDirectory() as folder:
            ws = Workspace(folder, database=url)
            rid, _ = ws.import_document(example)
            _app_times, store_times = _edits(ws, rid)
            ws.close()
        bare = []
        with psycopg.connect(_conninfo(url)) as con:
            con.execute("CREATE TABLE v (k TEXT PRIMARY KEY, v TEXT)")
            con.execute("INSERT INTO v VALUES ('so_thon', '7')")
            con.commit()
            for i in range(200):
                start = time.perf_counter()
                con.execute("UPDATE v SET v=%s WHERE k='so_thon'", (str(7 + i % 5),))
                con.commit()
                bare.append((time.perf_counter() - start) * 1000)
    finally:
        pg.drop_database(url)
    rows.append(("One edit's store with audit, PostgreSQL (ms, median)", statistics.median(store_times),
                 "bare psycopg single-row UPDATE + COMMIT, same server", statistics.median(bare)))


def _conninfo(url: str) -> str:
    from sqlalchemy import make_url

    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host")
    parts = {"dbname": parsed.database, "user": parsed.username, "host": host, "port": parsed.port,
             "password": parsed.password}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _bare_docx(content) -> bytes:
    from docx import Document

    from desktop_app.documents.content import Table

    doc = Document()
    for item in content.body:
        if isinstance(item, Table):
            table = doc.add_table(rows=1 + len(item.rows), cols=len(item.headers))
            for c, h in enumerate(item.headers):
                table.cell(0, c).text = h
            for r, row in enumerate(item.rows, start=1):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell.text
        else:
            doc.add_paragraph(item.text)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def bench_docx(rows: list) -> None:
    from desktop_app.documents.content import DocumentBuilder
    from desktop_app.documents.docx_writer import docx_bytes
    from desktop_app.services import Workspace

    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(folder)
        for path in sorted((ROOT / "resources" / "examples").glob("*.json")):
            rid, _ = ws.import_document(json.loads(path.read_text("utf-8")))
            record, template = ws.report(rid)
            builder = DocumentBuilder(template, ws.validator(template))
            content = builder.build(ws.report(rid)[0])
            ours, bare = [], []
            for _ in range(RUNS):
                start = time.perf_counter()
                docx_bytes(builder.build(ws.report(rid)[0]))
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                _bare_docx(content)
                bare.append(time.perf_counter() - start)
            rows.append((f".docx export of {path.stem} (s, median)", statistics.median(ours),
                         "python-docx, same paragraphs and tables, no templating", statistics.median(bare)))
        ws.close()


def bench_bundles(rows: list) -> None:
    from desktop_app.exchange import bundles
    from desktop_app.services import Workspace

    with tempfile.TemporaryDirectory() as folder:
        sender = Workspace(Path(folder) / "xa")
        example = json.loads((ROOT / "resources/examples/ntm-tieu-chi-8.json").read_text("utf-8"))
        sender.set_unit(example["unit"]["code"], scheme=example["unit"]["scheme"])  # a bundle is signed as a unit
        rid, _ = sender.import_document(example)
        doc = sender.report(rid)[0].to_json()
        exports, imports, plain_w, plain_r = [], [], [], []
        for i in range(RUNS):
            target = Path(folder) / f"goi{i}.zip"
            start = time.perf_counter()
            bundles.export_bundle(sender, target, [rid])
            exports.append(time.perf_counter() - start)
            receiver = Workspace(Path(folder) / f"tinh{i}")
            start = time.perf_counter()
            bundles.import_bundles(receiver, [target])
            imports.append(time.perf_counter() - start)
            receiver.close()
            plain = Path(folder) / f"plain{i}.json"
            start = time.perf_counter()
            plain.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            plain_w.append(time.perf_counter() - start)
            start = time.perf_counter()
            json.loads(plain.read_text(encoding="utf-8"))
            plain_r.append(time.perf_counter() - start)
        sender.close()
    rows.append(("Bundle export of one report (s, median)", statistics.median(exports),
                 "writing the same report JSON to a file", statistics.median(plain_w)))
    rows.append(("Bundle import of one report: verify, backup, apply (s, median)", statistics.median(imports),
                 "reading the same report JSON from a file", statistics.median(plain_r)))


CONSOLIDATION_SIZES = tuple(int(n) for n in os.environ.get("BENCH_UNITS", "10,332,3321").split(","))


def commune_bundles(folder: Path, communes: list, seed: int = 0) -> list[Path]:
    """One bundle per commune, each one NTM report for 2025 with varied figures (also used by
    tools/screenshots_province.py)."""
    import uuid

    from desktop_app.exchange import bundles
    from desktop_app.domain.reportdoc import REPORT_FORMAT
    from desktop_app.exchange.signing import SigningKey, new_seed

    example = json.loads((ROOT / "resources/examples/ntm-tieu-chi-8.json").read_text("utf-8"))
    rng = random.Random(seed)
    paths = []
    for unit in communes:
        values = {}
        for key, value in example["values"].items():
            if isinstance(value, int) and not isinstance(value, bool):
                value = rng.randint(0, 2 * value + 10)
            values[key] = value
        values["xa_danh_gia"] = unit.short_name
        values["loa_theo_thon"] = [{"ten_thon": f"Thôn {i}", "cum_loa": rng.randint(1, 5), "loa": rng.randint(2, 10),
                                    "hoat_dong": True} for i in range(1, 6)]
        doc = {"format": REPORT_FORMAT, "template": example["template"],
               "template_version": example["template_version"], "period": "2025",
               "unit": {**unit.as_profile().to_json(), "villages": [f"Thôn {i}" for i in range(1, 6)]}, "document": {},
               "values": values, "uid": str(uuid.uuid4()), "revision": 1, "origin": "benchmark",
               "status": "draft" if rng.random() < 0.1 else "final"}
        # Each commune is its own installation with its own key: signed bundles, as real ones are.
        data, _ = bundles.pack_bundle([doc], source_unit=unit.code, source_name=unit.name, origin="benchmark",
                                      key=SigningKey(new_seed()))
        paths.append(folder / f"{unit.code}.zip")
        paths[-1].write_bytes(data)
    return paths


def _measured_child(*args: str) -> tuple[dict, float]:
    """(timings the child prints, its peak RSS in MiB)."""
    timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    proc = subprocess.run(timer + [sys.executable, str(ROOT / "benchmarks" / "_consolidate.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    peak = int(proc.stderr.strip().splitlines()[-1]) / 1024 if timer else float("nan")
    return json.loads(proc.stdout.strip().splitlines()[-1]), peak


def bench_consolidation(rows: list, notes: list, server: str | None = None) -> None:
    from desktop_app.domain import units

    peaks: dict[int, float] = {}
    for count in CONSOLIDATION_SIZES:
        with tempfile.TemporaryDirectory() as folder:
            bundles_dir = Path(folder) / "goi"
            bundles_dir.mkdir()
            commune_bundles(bundles_dir, units.all_communes()[:count], seed=count)
            bare, bare_peak = _measured_child("bare", str(bundles_dir))
            ours, ours_peak = _measured_child("ours", str(bundles_dir), str(Path(folder) / "tinh"))
            _consolidation_rows(rows, notes, count, "SQLite", ours, bare)
            rows.append((f"{_label(count)} bundles, SQLite: peak memory (MiB)", ours_peak, "the same bare loop",
                         bare_peak))
            peaks[count] = ours_peak
            if server and count in SERVER_SIZES:
                from tests import pg

                url = pg.fresh_database()
                try:
                    shared, _peak = _measured_child("ours", str(bundles_dir), str(Path(folder) / "tinh-pg"), url)
                finally:
                    pg.drop_database(url)
                _consolidation_rows(rows, notes, count, "PostgreSQL", shared, bare)
    large = max(peaks)
    small = 332 if 332 in peaks and large > 332 else min(peaks)  # the goal compares 3.321 with 332
    if large > small:
        rows.append((f"Peak memory, {_label(large)} bundles against {_label(small)} (MiB; goal ≤ 2×)", peaks[large],
                     f"the same import and consolidation of {_label(small)} bundles", peaks[small]))


SERVER_SIZES = tuple(int(n) for n in os.environ.get("BENCH_SERVER_UNITS", "332,3321").split(","))


def _label(count: int) -> str:
    return f"{count:,}".replace(",", ".")


def _consolidation_rows(rows: list, notes: list, count: int, store: str, ours: dict, bare: dict) -> None:
    label = _label(count)
    base = "unzip, parse and sum the same reports, nothing checked or stored"
    rows.append((f"{label} bundles, {store}: verify and import in one action (s; goal ≤ 5 s for 3.321 on SQLite)",
                 ours["import"], base, bare["total"]))
    rows.append((f"{label} bundles, {store}: consolidate, .xlsx and .docx (s; goal ≤ 5 s for 3.321)",
                 ours["aggregate"] + ours["xlsx"] + ours["docx"], base, bare["total"]))
    rows.append((f"{label} bundles, {store}: cost per bundle, all steps (ms)", ours["total"] / count * 1000,
                 "the same bare loop, per bundle", bare["total"] / count * 1000))
    notes.append(f"{label} bundles, {store} — import {ours['import']:.2f} s, consolidate {ours['aggregate']:.2f} s, "
                 f".xlsx {ours['xlsx']:.2f} s, .docx {ours['docx']:.2f} s.")


def _server() -> tuple[str | None, Path | None]:
    """A PostgreSQL server for the shared-store figures: BAOCAOXA_TEST_PG, else a throwaway one
    (tools/pg_cluster.sh) when the server binaries are installed; (None, None) without one."""
    url = os.environ.get("BAOCAOXA_TEST_PG")
    if url:
        return url, None
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None, None
    folder = Path(tempfile.mkdtemp(prefix="baocaoxa-bench-pg."))
    proc = subprocess.run(["bash", str(ROOT / "tools" / "pg_cluster.sh"), "start", str(folder)], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        print(f"(no PostgreSQL figures: {proc.stderr.strip()[-300:]})", file=sys.stderr)
        return None, None
    url = proc.stdout.strip().splitlines()[-1]
    os.environ["BAOCAOXA_TEST_PG"] = url  # tests.pg makes the databases on it
    return url, folder


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, Qt platform {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}")


def _fmt(x: float) -> str:
    return f"{x:,.3f}".replace(",", " ").replace(".", ",") if x == x else "—"


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    rows: list = []
    notes: list = []
    started = time.perf_counter()
    server, server_folder = _server()
    try:
        for bench in (bench_start_and_memory, bench_validation, bench_docx, bench_bundles):
            bench(rows)
        bench_autosave(rows, server)
        bench_consolidation(rows, notes, server)
    finally:
        if server_folder is not None:
            subprocess.run(["bash", str(ROOT / "tools" / "pg_cluster.sh"), "stop", str(server_folder)], timeout=120)
    lines = [f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}.", "",
             "| measurement | BaoCaoXa | baseline | baseline value | ratio |", "|---|---:|---|---:|---:|"]
    for name, ours, base_name, base in rows:
        ratio = ours / base if base and base == base and ours == ours else float("nan")
        lines.append(f"| {name} | {_fmt(ours)} | {base_name} | {_fmt(base)} | {_fmt(ratio)}× |")
    lines += ["", f"PostgreSQL figures: {'a throwaway local server (tools/pg_cluster.sh)' if server else 'no server'}.",
              "", "Consolidation, step by step (one import of all bundles, one backup first):", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", f"Whole run: {time.perf_counter() - started:.0f} s."]
    text = "\n".join(lines)
    (ROOT / "benchmarks" / "RESULTS.md").write_text("# Benchmark results\n\n" + text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
