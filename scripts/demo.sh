#!/usr/bin/env bash
# The main job, end to end, on the embedded SQLite default: a demo organization, an encrypted
# backup of one of its groups, a verification, and a restore into a new organization.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR=${DEMO_DIR:-demo-data}
export CHEEL_DATA_DIR="$DEMO_DIR/data"
BACKUPS="$DEMO_DIR/backups"
cheel() { .venv/bin/cheel "$@"; }
say() { printf '\n$ %s\n' "$*"; }

rm -rf "$DEMO_DIR"
mkdir -p "$BACKUPS"
# The demo's password comes from a file, never from the command line.
PWFILE="$DEMO_DIR/password.txt"
printf 'demo-password-change-me\n' > "$PWFILE"
chmod 600 "$PWFILE"

say cheel demo --entries 20000
cheel demo --entries 20000

say "cheel backup \"Demo SA\" --group \"Groupe Helvetia\" --dest $BACKUPS --password-file $PWFILE"
cheel backup "Demo SA" --group "Groupe Helvetia" --dest "$BACKUPS" --password-file "$PWFILE"
FILE=$(ls -t "$BACKUPS"/*.cheelbackup | head -n 1)

say "cheel inspect $FILE --password-file $PWFILE"
cheel inspect "$FILE" --password-file "$PWFILE"

say "cheel verify $FILE --password-file $PWFILE"
cheel verify "$FILE" --password-file "$PWFILE"

say "cheel restore $FILE --into \"Demo SA (restauration)\" --create --password-file $PWFILE"
cheel restore "$FILE" --into "Demo SA (restauration)" --create --password-file "$PWFILE"

say "cheel org show \"Demo SA (restauration)\""
cheel org show "Demo SA (restauration)"

say cheel org list
cheel org list
