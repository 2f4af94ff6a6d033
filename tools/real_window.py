"""The app in a real window: Xvfb at 1366×768, the openbox window manager, keys from xdotool.

What only a real window manager shows — where windows land, whether their buttons are on the
screen, where the keyboard goes — is checked here, at 100 % and at 150 % text scaling.
Used by tests/ui/test_real_window.py; run by hand to get screenshots to look at:

    .venv/bin/python tools/real_window.py --scale 1.5 --shots /tmp/shots
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1366, 768)
TOOLS = ("Xvfb", "openbox", "xdotool", "xprop", "xwininfo")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


@dataclass(frozen=True)
class Geometry:
    x: int
    y: int
    width: int
    height: int

    def inside(self, width: int, height: int) -> bool:
        return self.x >= 0 and self.y >= 0 and self.x + self.width <= width and self.y + self.height <= height


class Display:
    """A private X server with a window manager; every command runs against it."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}

    def __enter__(self) -> Display:
        # A display number of our own, well above :0 (which a desktop or another server may hold).
        number = next(n for n in range(90, 190) if not Path(f"/tmp/.X{n}-lock").exists()
                      and not Path(f"/tmp/.X11-unix/X{n}").exists())
        server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                                   "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
        self.procs.append(server)
        self.env = {**os.environ, "DISPLAY": f":{number}"}
        self.env.pop("QT_QPA_PLATFORM", None)
        self.env.pop("WAYLAND_DISPLAY", None)
        if not self.wait_for(lambda: self.run("xdotool", "getdisplaygeometry").returncode == 0, 10):
            raise RuntimeError(f"Xvfb :{number} did not start")
        self.procs.append(subprocess.Popen(["openbox", "--sm-disable"], env=self.env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)  # openbox takes the screen
        return self

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.poll() is None:
                proc.kill()

    def run(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=timeout)

    @staticmethod
    def wait_for(condition, seconds: float):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        return None

    def window(self, name: str, seconds: float = 30) -> str | None:
        """The id of a visible window whose title contains ``name``."""
        def found():
            out = self.run("xdotool", "search", "--onlyvisible", "--name", name)
            ids = out.stdout.split()
            return ids[-1] if out.returncode == 0 and ids else None
        return self.wait_for(found, seconds)

    def geometry(self, window: str) -> Geometry:
        """Where the window is on the screen, its frame (openbox's title bar and borders) included."""
        # xwininfo, not xdotool: xdotool counts the frame's offset twice for a reparented window
        out = self.run("xwininfo", "-id", window).stdout
        info = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}
        g = {"X": info["Absolute upper-left X"], "Y": info["Absolute upper-left Y"],
             "WIDTH": info["Width"], "HEIGHT": info["Height"]}
        extents = self.run("xprop", "-id", window, "_NET_FRAME_EXTENTS").stdout
        left = right = top = bottom = 0
        if "=" in extents:
            left, right, top, bottom = (int(v) for v in extents.split("=", 1)[1].split(","))
        return Geometry(int(g["X"]) - left, int(g["Y"]) - top, int(g["WIDTH"]) + left + right,
                        int(g["HEIGHT"]) + top + bottom)

    def keys(self, *names: str) -> None:
        self.run("xdotool", "key", "--delay", "80", *names)

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--delay", "60", text)

    def screenshot(self, target: Path) -> None:
        if shutil.which("import"):
            self.run("import", "-window", "root", str(target))


def app(display: Display, data_dir: Path, scale: float) -> subprocess.Popen:
    env = {**display.env, "QT_SCALE_FACTOR": str(scale), "QT_QPA_PLATFORM": "xcb"}
    return subprocess.Popen([sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
    if proc.poll() is None:
        proc.kill()
    _out, err = proc.communicate()
    return err


def prepared_folder(folder: Path) -> int:
    """A data folder with a commune and one new NTM criterion 8 report; returns the report id."""
    code = ("import sys; from desktop_app.services import Workspace; ws = Workspace(sys.argv[1]); "
            "ws.set_unit('21448', scheme='truoc-2025', villages=['Thôn An Điềm', 'Thôn Phước Hòa']); "
            "print(ws.new_report('ntm-tieu-chi-8', '2023-9M')); ws.close()")
    out = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return int(out.stdout.split()[-1])


def stored_values(folder: Path, report_id: int) -> dict:
    conn = sqlite3.connect(f"file:{folder / 'baocaoxa.sqlite3'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT field_id, value FROM report_values WHERE report_id = ?", (report_id,)).fetchall()
        return {field: json.loads(value) if isinstance(value, str) else value for field, value in rows}
    finally:
        conn.close()


def _has(folder: Path, report_id: int, field_id: str, parts: dict) -> bool:
    value = stored_values(folder, report_id).get(field_id) or {}
    return all(value.get(k) == v for k, v in parts.items())


def scenario(scale: float, shots: Path | None = None, tour: bool = False) -> list[str]:
    """Run the checks at one scale; returns the problems found (empty when all is well)."""
    problems: list[str] = []
    width, height = SCREEN

    def shot(name: str) -> None:
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            display.screenshot(shots / f"{int(scale * 100)}-{name}.png")

    def check_fits(window: str | None, what: str) -> None:
        if window is None:
            problems.append(f"{what}: no window appeared")
            return
        where = display.geometry(window)
        if not where.inside(width, height):
            problems.append(f"{what}: {where} does not lie within the {width}x{height} screen")

    with Display() as display, tempfile.TemporaryDirectory(prefix="baocaoxa-real-") as tmp:
        # 1. first run: the set-up wizard, with its buttons on the screen
        proc = app(display, Path(tmp) / "moi", scale)
        try:
            wizard = display.window("Khai báo đơn vị")
            time.sleep(0.5)
            shot("setup-wizard")
            check_fits(wizard, "setup wizard")
        finally:
            stop(proc)

        # 2. the main window, the editor typed into with the keyboard, the export dialog
        folder = Path(tmp) / "xa"
        report_id = prepared_folder(folder)
        proc = app(display, folder, scale)
        try:
            main = display.window("Báo cáo CNTT")
            time.sleep(0.5)
            shot("main-window")
            check_fits(main, "main window")
            display.keys("ctrl+o")  # open the selected report
            editor = display.window("Tiêu chí 8", 15)
            time.sleep(0.7)
            check_fits(editor, "editor")
            display.type("66/QĐ-UBND")
            display.keys("Tab")
            display.type("15/03/2023")
            display.keys("Tab")
            expected = {"number": "66/QĐ-UBND", "date": "2023-03-15"}
            reference = display.wait_for(lambda: _has(folder, report_id, "qd_giao_nhiem_vu", expected), 5)
            shot("editor-typed")
            if not reference:
                problems.append("typed text did not reach the first field: "
                                f"{stored_values(folder, report_id).get('qd_giao_nhiem_vu')}")
            display.keys("ctrl+Next")
            display.type("2")
            display.keys("Tab")
            if not display.wait_for(lambda: stored_values(folder, report_id).get("so_diem_phuc_vu_bc") == 2, 5):
                problems.append("after Ctrl+PgDown the keys did not go to the next page's first field")
            shot("editor-next-page")
            if tour:  # every page, for a person to look at
                for page in range(2, 16):
                    display.keys("ctrl+Next")
                    time.sleep(0.4)
                    shot(f"page-{page:02d}")
            display.keys("ctrl+shift+w")
            question = display.window("Báo cáo còn lỗi", 10)  # the report is incomplete: asked first
            time.sleep(0.3)
            shot("export-question")
            check_fits(question, "export question")
            display.keys("alt+v")
            dialog = display.window("Lưu báo cáo", 10)
            time.sleep(0.5)
            shot("export-dialog")
            check_fits(dialog, "export dialog")
            display.keys("Escape")
            time.sleep(0.3)
            if tour:
                display.keys("ctrl+l")
                time.sleep(0.4)
                display.keys("ctrl+n")
                display.window("Tạo báo cáo mới", 10)
                time.sleep(0.5)
                shot("new-report-dialog")
                check_fits(display.window("Tạo báo cáo mới", 2), "new report dialog")
                display.keys("Escape")
                time.sleep(0.3)
            display.keys("ctrl+q")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            if proc.poll() is None:
                problems.append("Ctrl+Q did not close the window")
        finally:
            err = stop(proc)
            if "Traceback" in err:
                problems.append(f"the app printed a traceback:\n{err}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.5)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--tour", action="store_true", help="also screenshot every editor page and dialog")
    args = parser.parse_args()
    if missing_tools():  # noqa: SIM102
        print(f"missing: {', '.join(missing_tools())}")
        return 2
    problems = scenario(args.scale, args.shots, args.tour)
    for problem in problems:
        print(problem)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
