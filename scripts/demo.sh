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

# These organizations live in the demo's data folder, not in the user's own one: say how to
# reach them (a bare `cheel org show "Demo SA (restauration)"` would not find them).
printf '\nThe demo'"'"'s organizations are in %s, not in your own data folder.\n' "$CHEEL_DATA_DIR"
printf 'Reach them with --data-dir (or CHEEL_DATA_DIR), for example:\n'
printf '  .venv/bin/cheel --data-dir %s org show "Demo SA (restauration)"\n' "$CHEEL_DATA_DIR"
printf '  CHEEL_DATA_DIR=%s .venv/bin/cheel ui\n' "$CHEEL_DATA_DIR"
