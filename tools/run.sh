#!/usr/bin/env bash
# Starts Odoo with both addons on demo data: bash tools/run.sh [odoo args...]
# Env: ODOO_RUN_DB (default odoo_addons_demo), ODOO_RUN_PORT (default 8069).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

RUN_DB=${ODOO_RUN_DB:-odoo_addons_demo}
PORT=${ODOO_RUN_PORT:-8069}
CONFIG="$STATE_DIR/run.conf"

have_odoo18 || die "Odoo 18.0 is not importable by $PYTHON (found: '$(odoo_version)'). Install it first (README, Requirements)."
ensure_python_deps
ensure_debian_packages
ensure_postgres
write_config "$CONFIG" "$RUN_DB" "$PORT" 1

if db_exists "$RUN_DB"; then
    say "Reusing database $RUN_DB (demo data is not loaded again)"
else
    ADDONS=$(repo_addons)
    say "Creating database $RUN_DB with $ADDONS and demo data (about a minute)"
    "$PYTHON" -m odoo -c "$CONFIG" -d "$RUN_DB" -i "$ADDONS" --stop-after-init --no-http \
        --log-level=warn || die "creating $RUN_DB failed"
fi
say "Odoo on http://localhost:$PORT  — log in as admin / admin"
exec "$PYTHON" -m odoo -c "$CONFIG" -d "$RUN_DB" "$@"
