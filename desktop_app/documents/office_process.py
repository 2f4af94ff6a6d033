"""Run an office converter with a time limit; on the limit, stop it and everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping

# A windowed app on Windows would flash a console for powershell.exe without this flag.
NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


def stop_tree(pid: int) -> None:
    """Stop process ``pid`` and its children (its process group on POSIX, its tree on Windows)."""
    try:
        if os.name == "posix":
            os.killpg(pid, signal.SIGKILL)  # soffice starts soffice.bin: stop the whole group
        else:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(pid)], stdin=subprocess.DEVNULL,
                           capture_output=True, creationflags=NO_WINDOW, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        pass  # already gone, or nothing more can be done


def run_limited(command: list[str], timeout: float, env: Mapping[str, str] | None = None,
                encoding: str | None = None) -> subprocess.CompletedProcess:
    """Run ``command``; raise TimeoutExpired after ``timeout`` seconds, the process tree stopped."""
    posix = os.name == "posix"
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding=encoding, errors="replace", env=env,
                               start_new_session=posix, creationflags=0 if posix else NO_WINDOW)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_tree(process.pid)
        process.kill()  # in case the tree kill could not run
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)
