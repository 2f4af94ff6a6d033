#!/usr/bin/env bash
# Set everything up (first time only) and run every test, headless.
set -euo pipefail
cd "$(dirname "$0")"
bash tools/setup.sh
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
