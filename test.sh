#!/usr/bin/env bash
# Set everything up (first time only) and run every test, headless.
set -euo pipefail
cd "$(dirname "$0")"
# Tests also render the .docx through LibreOffice (Liberation 2 = metric-compatible Times New
# Roman with every Vietnamese glyph), open the .xlsx in LibreOffice Calc (text that looks like a
# formula must stay text), read PDFs with poppler, and screenshot under Xvfb. The shared-store
# tests run against a throwaway PostgreSQL server (Debian's «postgresql» package, started below).
EXTRA_SYSTEM_PACKAGES="openbox xdotool x11-utils libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-liberation2 xvfb xauth postgresql" bash tools/setup.sh
# Static checks first: any lint or type finding on the checked set fails the run (configured in
# pyproject.toml: [tool.ruff], [tool.mypy]).
.venv/bin/python -m ruff check --quiet desktop_app db ui
.venv/bin/python -m mypy
export QT_QPA_PLATFORM=offscreen
# A PostgreSQL cluster of its own in a temporary folder (unix socket only, no port), stopped and
# deleted however the run ends. BAOCAOXA_TEST_PG already set: that server is used instead.
if [ -z "${BAOCAOXA_TEST_PG:-}" ]; then
  PG_DIR=$(mktemp -d /tmp/baocaoxa-pg.XXXXXX)
  trap 'bash tools/pg_cluster.sh stop "$PG_DIR"' EXIT
  BAOCAOXA_TEST_PG=$(bash tools/pg_cluster.sh start "$PG_DIR")
  export BAOCAOXA_TEST_PG
fi
.venv/bin/python -m pytest "$@"
