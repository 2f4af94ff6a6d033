"""Which template texts this version of the program has already checked and found sound.

Checking a template's document text (every sentence parsed for the names it uses) is a fifth
of a cold start; the result depends only on the text and on the checking code. So the SHA-256
of each text that passed is remembered in the user's cache folder, keyed by this program's
version and checking code; a changed file, or a changed program, is checked again in full.
Only passing texts are remembered: a text with problems is always checked (and reported).

What such a text was parsed into is remembered too (the template's data as JSON, one file per
text): the next start rebuilds the template from that data (``model.rebuilt``) and reads no
YAML and validates nothing, which is most of what loading the bundled templates costs (and
spares building the validators at all). It is kept only when the data both validates and
rebuilds into exactly the same template; data of another shape is parsed from the text again.
Like the list of checked texts, it lives in this user's own cache folder, written only by this
program, which is as trusted as the user's data folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

MAX_ENTRIES = 200
_memo: dict[str, object] = {}


PARSED_FOLDER = "mau-da-doc"


def _cache_file() -> Path:
    explicit = os.environ.get("BAOCAOXA_CACHE_DIR")
    if explicit:
        return Path(explicit) / "mau-da-kiem-tra.json"
    import platformdirs

    return Path(platformdirs.user_cache_dir("BaoCaoXa", appauthor=False)) / "mau-da-kiem-tra.json"


def _program_key() -> str:
    """This version and its checking code (the files' sizes and times: a rebuilt program differs)."""
    if "program" not in _memo:
        from desktop_app import __version__

        here = Path(__file__).resolve().parent
        parts = [__version__]
        for name in ("loader.py", "doctext.py", "expressions.py", "model.py", "doccheck.py", "checked.py"):
            try:
                stat = (here / name).stat()
                parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                parts.append(name)  # a frozen program: its version says it all
        _memo["program"] = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return str(_memo["program"])


def _load() -> list[str]:
    if "entries" not in _memo:
        try:
            data = json.loads(_cache_file().read_text(encoding="utf-8"))
            entries = data.get(_program_key(), []) if isinstance(data, dict) else []
            _memo["entries"] = [e for e in entries if isinstance(e, str)][-MAX_ENTRIES:]
        except (OSError, ValueError):
            _memo["entries"] = []
    return _memo["entries"]  # type: ignore[return-value]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def passed_before(key: str) -> bool:
    return key in _load()


def remember_passed(key: str) -> None:
    """Best effort: a cache that cannot be written only costs the next start its check."""
    entries = _load()
    if key in entries:
        return
    entries.append(key)
    del entries[:-MAX_ENTRIES]
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({_program_key(): entries}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def _parsed_folder() -> Path:
    return _cache_file().parent / PARSED_FOLDER / _program_key()


def parsed(key: str) -> Any | None:
    """What the text ``key`` (which passed before) was parsed into, or None when not kept."""
    if not passed_before(key):
        return None
    try:
        return json.loads((_parsed_folder() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def remember_parsed(key: str, data: Any) -> None:
    """Best effort, as :func:`remember_passed`; other programs' folders are removed."""
    folder = _parsed_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for other in folder.parent.iterdir():
            if other.name != folder.name:
                shutil.rmtree(other, ignore_errors=True)
        kept = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime_ns)
        for old in kept[:max(0, len(kept) + 1 - MAX_ENTRIES)]:
            old.unlink(missing_ok=True)
        tmp = folder / f"{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(folder / f"{key}.json")
    except OSError:
        pass
