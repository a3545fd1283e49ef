# Shared set-up for tools/run.sh and tools/test.sh (sourced, not run).
# Everything here is idempotent: a second call finds the work done and returns at once.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
DB_USER=${ODOO_DB_USER:-odoo}
DB_PASSWORD=${ODOO_DB_PASSWORD:-odoo}
DB_HOST=${ODOO_DB_HOST:-localhost}
STATE_DIR="$REPO_ROOT/.odoo"

say() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*"; }
die() { printf '\033[1;31m[%s] ERROR:\033[0m %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Odoo 18 is a prerequisite (see README); report what we found.
odoo_version() { (cd / && "$PYTHON" -c 'import odoo.release as r; print(r.version)' 2>/dev/null) || true; }

have_odoo18() { case "$(odoo_version)" in 18.0*) return 0 ;; *) return 1 ;; esac; }

# ODOO_SERVER: the command that starts an Odoo server: the `odoo-bin` of the source tree
# $PYTHON imports, run by $PYTHON, else the `odoo` console script of an installed Odoo. Not
# `python -m odoo`: in multi-worker mode Odoo respawns its websocket (gevent) process from
# sys.argv[0], which a module path cannot be.
set_odoo_server() {
    local root
    root=$(cd / && "$PYTHON" -c 'import os, odoo; print(os.path.dirname(odoo.__path__[0]))' 2>/dev/null) || true
    if [ -n "$root" ] && [ -f "$root/odoo-bin" ]; then
        ODOO_SERVER=("$PYTHON" "$root/odoo-bin")
    elif command -v odoo >/dev/null; then
        ODOO_SERVER=(odoo)
    else
        die "no odoo-bin beside the odoo package and no 'odoo' script on PATH"
    fi
}

# The addons of this repository, by the folders that hold a manifest.
repo_addons() {
    local d names=()
    for d in "$REPO_ROOT"/*/; do
        [ -f "$d/__manifest__.py" ] && names+=("$(basename "$d")")
    done
    (IFS=,; echo "${names[*]}")
}

ensure_python_deps() {
    say "Python dependencies (requirements.txt)"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$REPO_ROOT/requirements.txt" \
        || die "pip could not install requirements.txt"
}

ensure_debian_packages() {
    local missing=() pkg
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v pdftoppm >/dev/null || missing+=(poppler-utils)
    if [ ${#missing[@]} -gt 0 ]; then
        say "Installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get could not install ${missing[*]}"
    fi
}

ensure_postgres() {
    local cluster version
    cluster=$(pg_lsclusters -h 2>/dev/null | head -n 1)
    [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters)"
    version=$(echo "$cluster" | awk '{print $1}')
    if ! echo "$cluster" | grep -q online; then
        say "Starting PostgreSQL $version/main"
        as_root pg_ctlcluster "$version" main start || die "PostgreSQL did not start"
    fi
    # Odoo refuses to run as the postgres superuser: use a role of its own, over TCP.
    as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"" | grep -q 1 \
        || as_root su postgres -c "psql -qc \"CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'\"" \
        || die "could not create the PostgreSQL role $DB_USER"
}

db_exists() {
    PGPASSWORD=$DB_PASSWORD psql -h "$DB_HOST" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1
}

drop_db() {
    PGPASSWORD=$DB_PASSWORD PGOPTIONS="-c client_min_messages=warning" dropdb -h "$DB_HOST" -U "$DB_USER" --if-exists "$1"
    rm -rf "$STATE_DIR/data/filestore/$1"
}

# write_config FILE DB PORT: an Odoo configuration file for this repository.
write_config() {
    mkdir -p "$STATE_DIR/data"
    cat >"$1" <<CONF
[options]
addons_path = $REPO_ROOT
data_dir = $STATE_DIR/data
db_host = $DB_HOST
db_port = 5432
db_user = $DB_USER
db_password = $DB_PASSWORD
db_name = $2
dbfilter = ^$2\$
http_port = $3
gevent_port = $(($3 + 3))
list_db = False
max_cron_threads = ${4:-0}
CONF
}
