#!/usr/bin/env bash
# Set everything up (first time only) and start BaoCaoXa. Extra arguments go to the app,
# e.g. ./start.sh --data-dir ~/BaoCaoXa-thu or ./start.sh report list
set -euo pipefail
cd "$(dirname "$0")"
bash tools/setup.sh
exec .venv/bin/baocaoxa "$@"
