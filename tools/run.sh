#!/usr/bin/env bash
# Starts Odoo with both addons on demo data: bash tools/run.sh [odoo args...]
# Env: ODOO_RUN_DB (default odoo_addons_demo), ODOO_RUN_PORT (default 8069).
# Production-like: bash tools/run.sh --workers=2 (Odoo's default limits, one cron thread).
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

ADDONS=$(repo_addons)
if db_exists "$RUN_DB"; then
    # Upgrade what is installed (-u never reloads demo data), install what is new.
    INSTALLED=$(PGPASSWORD=$DB_PASSWORD psql -h "$DB_HOST" -U "$DB_USER" -d "$RUN_DB" -tAc \
        "SELECT string_agg(name, ',') FROM ir_module_module
         WHERE state = 'installed' AND name = ANY(string_to_array('$ADDONS', ','))")
    NEW=$(comm -23 <(tr , '\n' <<<"$ADDONS" | sort) <(tr , '\n' <<<"$INSTALLED" | sort) | paste -sd,)
    say "Reusing database $RUN_DB: upgrading ${INSTALLED:-nothing}${NEW:+, installing $NEW}"
    "$PYTHON" -m odoo -c "$CONFIG" -d "$RUN_DB" ${INSTALLED:+-u "$INSTALLED"} ${NEW:+-i "$NEW"} \
        --stop-after-init --no-http --log-level=warn || die "upgrading $RUN_DB failed"
else
    say "Creating database $RUN_DB with $ADDONS and demo data (about a minute)"
    "$PYTHON" -m odoo -c "$CONFIG" -d "$RUN_DB" -i "$ADDONS" --stop-after-init --no-http \
        --log-level=warn || die "creating $RUN_DB failed"
fi
say "Odoo on http://localhost:$PORT  — log in as admin / admin"
set_odoo_server
exec "${ODOO_SERVER[@]}" -c "$CONFIG" -d "$RUN_DB" "$@"
