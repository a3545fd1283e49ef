"""Install, upgrade and uninstall the repository's addons in a real Odoo, each on its own
fresh database without demo data (the suite's own database is the "with demo" case)."""

import ast
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from odoo.tools import config

REPO = Path(__file__).resolve().parent.parent
APPS = ["crm_guardian", "service_desk"]
HOST_MARKER = "Lifecycle host lead"

SCAN_SCRIPT = """
env["crm.guardian.scan"]._scan()
env["crm.guardian.alert"]._refresh_alerts()
env.cr.commit()
"""

UNINSTALL_SCRIPT = f"""
env["crm.lead"].create({{"name": "{HOST_MARKER}", "email_from": "keep@example.com"}})
env["res.partner"].create({{"name": "{HOST_MARKER} partner"}})
env.cr.commit()
mods = env["ir.module.module"].search([("name", "in", {APPS!r})])
mods.button_immediate_uninstall()
"""


def _odoo(db, *args, stdin=None):
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        *args[:1],
        "-d",
        db,
        "--addons-path",
        str(REPO),
        "--db_host",
        config["db_host"] or "localhost",
        "--db_user",
        config["db_user"],
        "--db_password",
        config["db_password"],
        "--data-dir",
        config["data_dir"],
        "--log-level",
        "warn",
        "--no-http",
        *args[1:],
    ]
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=900)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    errors = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert not errors, "\n".join(errors[:20])
    return log


def _query(db, sql, params=()):
    conn = psycopg2.connect(
        dbname=db,
        host=config["db_host"] or "localhost",
        user=config["db_user"],
        password=config["db_password"],
    )
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        conn.close()


def _module_states(db):
    return dict(
        _query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (APPS,))
    )


@pytest.fixture(scope="module")
def fresh_db():
    db = f"lifecycle_{uuid.uuid4().hex[:8]}"
    _odoo(db, "server", "-i", ",".join(APPS), "--without-demo=all", "--stop-after-init")
    yield db
    conn = psycopg2.connect(
        dbname="postgres",
        host=config["db_host"] or "localhost",
        user=config["db_user"],
        password=config["db_password"],
    )
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{db}"')
    conn.close()


def test_manifests_declare_applications():
    for app in APPS:
        manifest = ast.literal_eval((REPO / app / "__manifest__.py").read_text())
        assert manifest["application"] is True
        assert manifest["version"].startswith("18.0.")
        assert manifest["summary"] and manifest["license"] == "LGPL-3"
        assert (REPO / app / "static/description/icon.png").is_file()
        assert (REPO / app / "static/description/index.html").is_file()


def test_install_without_demo(fresh_db):
    assert _module_states(fresh_db) == dict.fromkeys(APPS, "installed")
    demo = _query(fresh_db, "SELECT bool_or(demo) FROM ir_module_module WHERE state = 'installed'")
    assert demo == [(False,)]


def test_upgrade_is_clean(fresh_db):
    _odoo(fresh_db, "server", "-u", ",".join(APPS), "--stop-after-init")
    assert _module_states(fresh_db) == dict.fromkeys(APPS, "installed")


def test_guardian_scans_without_oca_modules(fresh_db):
    """The core guardian works with neither helpdesk_mgmt nor contract installed."""
    oca = _query(
        fresh_db,
        "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)",
        (["helpdesk_mgmt", "contract", "crm_guardian_helpdesk", "crm_guardian_contract"],),
    )
    assert oca == []
    _odoo(fresh_db, "shell", stdin=SCAN_SCRIPT)
    sections = _query(fresh_db, "SELECT DISTINCT section FROM crm_guardian_finding")
    assert ("tickets",) not in sections
    codes = [code for (code,) in _query(fresh_db, "SELECT code FROM crm_guardian_alert")]
    assert "security_admin_default_password" in codes
    assert not [code for code in codes if code.startswith("helpdesk_")]


def test_uninstall_keeps_host_data(fresh_db):
    _odoo(fresh_db, "shell", stdin=UNINSTALL_SCRIPT)
    assert _module_states(fresh_db) == dict.fromkeys(APPS, "uninstalled")
    leads = _query(fresh_db, "SELECT email_from FROM crm_lead WHERE name = %s", (HOST_MARKER,))
    assert leads == [("keep@example.com",)]
    partners = _query(
        fresh_db, "SELECT count(*) FROM res_partner WHERE name = %s", (f"{HOST_MARKER} partner",)
    )
    assert partners == [(1,)]
    # The addons' own tables are gone with them.
    tables = _query(
        fresh_db,
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'crm_guardian%%' "
        "OR tablename LIKE 'service_job%%'",
    )
    assert tables == []
