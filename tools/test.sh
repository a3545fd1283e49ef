#!/usr/bin/env bash
# Runs the whole test suite on a fresh database: bash tools/test.sh [pytest args...]
# Env: ODOO_TEST_DB (default odoo_addons_test), ODOO_TEST_ADDONS (default: every addon of the repo).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

TEST_DB=${ODOO_TEST_DB:-odoo_addons_test}
CONFIG="$STATE_DIR/test-$TEST_DB.conf"

if ! have_odoo18; then
    if [ "${CI:-}" = "true" ]; then
        die "Odoo 18.0 is not importable by $PYTHON (found: '$(odoo_version)'). Install Odoo 18.0 first (README, Requirements)."
    fi
    say "!!! Odoo 18.0 is not installed: SKIPPING every Odoo test (install, upgrade, portal, tours)."
    say "!!! Only the lint checks run. Install Odoo 18.0 (README, Requirements) to run the suite."
    "$PYTHON" -m pip install --quiet --disable-pip-version-check ruff
    exec "$PYTHON" -m ruff check .
fi

ensure_python_deps
ensure_debian_packages
ensure_postgres

ADDONS=${ODOO_TEST_ADDONS:-$(repo_addons)}
write_config "$CONFIG" "$TEST_DB" "${ODOO_TEST_PORT:-8169}"
say "Fresh test database $TEST_DB with $ADDONS (and demo data)"
drop_db "$TEST_DB"
LOG="$STATE_DIR/install-$TEST_DB.log"
rm -f "$LOG"
"$PYTHON" -m odoo -c "$CONFIG" -d "$TEST_DB" -i "$ADDONS" --stop-after-init --no-http \
    --log-level=warn --logfile="$LOG" || { tail -n 50 "$LOG"; die "installing $ADDONS failed"; }
# Odoo installs a module whose demo data fails without it, with a mere warning
if grep -E ' (ERROR|CRITICAL) |demo data failed to install' "$LOG" >/dev/null; then
    grep -E -A 20 ' (ERROR|CRITICAL) |demo data failed to install' "$LOG" | head -n 80
    die "installing $ADDONS logged errors (full log: $LOG)"
fi

TARGETS=()
IFS=, read -ra names <<<"$ADDONS"
for name in "${names[@]}"; do
    [ -d "$REPO_ROOT/$name/tests" ] && TARGETS+=("$name")
done
[ -z "${ODOO_TEST_ADDONS:-}" ] && TARGETS+=(tests)

say "pytest ${TARGETS[*]}"
exec "$PYTHON" -m pytest --odoo-config="$CONFIG" --odoo-http "${TARGETS[@]}" "$@"
