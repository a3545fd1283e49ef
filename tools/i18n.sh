#!/usr/bin/env bash
# Regenerate every addon's i18n/<addon>.pot from a database that has them all installed:
# bash tools/i18n.sh [database]   (default: the test database of tools/test.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
DB=${1:-${ODOO_TEST_DB:-odoo_addons_test}}
CONFIG="$STATE_DIR/test-$DB.conf"
[ -f "$CONFIG" ] || die "no configuration for $DB: run tools/test.sh first"
IFS=, read -ra ADDONS <<<"$(repo_addons)"
for addon in "${ADDONS[@]}"; do
    mkdir -p "$addon/i18n"
    "$PYTHON" -m odoo -c "$CONFIG" -d "$DB" --i18n-export="$addon/i18n/$addon.pot" \
        --modules="$addon" --stop-after-init --no-http --log-level=warn
    say "$addon/i18n/$addon.pot"
done
