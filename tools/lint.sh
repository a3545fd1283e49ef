#!/usr/bin/env bash
# Lint every addon of the repository: bash tools/lint.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
IFS=, read -ra ADDONS <<<"$(repo_addons)"
status=0
say "ruff check";          "$PYTHON" -m ruff check . || status=1
say "ruff format --check"; "$PYTHON" -m ruff format --check . || status=1
say "pylint-odoo (OCA mandatory checks, setup.cfg)"
"$PYTHON" -m pylint --rcfile=setup.cfg "${ADDONS[@]}" || status=1
say "oca-checks-odoo-module (XML, CSV and manifest checks)"
# Odoo core's own XML header and plain numeric fields are accepted.
oca-checks-odoo-module --no-verbose \
    --disable=xml-header-wrong,xml-field-numeric-without-eval,xml-double-quotes-py \
    "${ADDONS[@]/%//__manifest__.py}" || status=1
exit $status
