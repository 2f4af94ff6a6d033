#!/usr/bin/env bash
# Set everything up (first time only) and run every test, headless.
set -euo pipefail
cd "$(dirname "$0")"
# Tests also render the .docx through LibreOffice (Liberation 2 = metric-compatible Times New
# Roman with every Vietnamese glyph), open the .xlsx in LibreOffice Calc (text that looks like a
# formula must stay text), read PDFs with poppler, and screenshot under Xvfb.
EXTRA_SYSTEM_PACKAGES="openbox xdotool x11-utils libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-liberation2 xvfb xauth" bash tools/setup.sh
# Static checks first: any lint or type finding on the checked set fails the run (configured in
# pyproject.toml: [tool.ruff], [tool.mypy]).
.venv/bin/python -m ruff check --quiet desktop_app db ui
.venv/bin/python -m mypy
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
