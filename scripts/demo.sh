#!/usr/bin/env bash
# The main job, end to end, on the embedded SQLite default.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR=${DEMO_DIR:-demo-data}
export CHEEL_DATA_DIR="$DEMO_DIR/data"
cheel=.venv/bin/cheel
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/backups"

echo "\$ cheel demo --entries 20000"
$cheel demo --entries 20000
echo
echo "\$ cheel org show \"Demo SA\""
$cheel org show "Demo SA"
