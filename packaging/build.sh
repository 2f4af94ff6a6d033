#!/usr/bin/env bash
# Build the one-folder app into dist/baocaoxa and print its size.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "${DIST:-dist}" --workpath "${WORK:-build}" packaging/baocaoxa.spec
du -sh "${DIST:-dist}/baocaoxa"
