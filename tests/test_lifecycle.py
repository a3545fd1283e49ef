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


UPGRADE_SALESPERSON = "lifecycle_salesperson"

OLD_SALESPERSON_SCRIPT = f"""
env["res.users"].create({{
    "name": "Lifecycle salesperson",
    "login": "{UPGRADE_SALESPERSON}",
    "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
}})
env.cr.commit()
"""


def test_upgrade_gives_salespeople_the_guardian(fresh_db):
    """A database of 18.0.1.0.0 (no Guardian for salespeople) upgraded: its salespeople get
    *Guardian: View*, as on a new install."""
    _odoo(fresh_db, "shell", stdin=OLD_SALESPERSON_SCRIPT)
    # as 18.0.1.0.0 left it: no implication, the salesperson without the group
    _execute(
        fresh_db,
        """DELETE FROM res_groups_implied_rel r USING ir_model_data s, ir_model_data v
            WHERE s.module = 'sales_team' AND s.name = 'group_sale_salesman'
              AND v.module = 'crm_guardian' AND v.name = 'group_crm_guardian_user'
              AND r.gid = s.res_id AND r.hid = v.res_id""",
        """DELETE FROM res_groups_users_rel r USING ir_model_data v, res_users u
            WHERE v.module = 'crm_guardian' AND v.name = 'group_crm_guardian_user'
              AND r.gid = v.res_id AND r.uid = u.id AND u.login = %s""",
        """UPDATE ir_module_module SET latest_version = '18.0.1.0.0'
            WHERE name = 'crm_guardian'""",
    )
    assert not _salesperson_is_viewer(fresh_db)
    _odoo(fresh_db, "server", "-u", "crm_guardian", "--stop-after-init")
    assert _salesperson_is_viewer(fresh_db)


def _execute(db, *statements):
    conn = psycopg2.connect(
        dbname=db,
        host=config["db_host"] or "localhost",
        user=config["db_user"],
        password=config["db_password"],
    )
    try:
        with conn, conn.cursor() as cr:
            for statement in statements:
                cr.execute(statement, (UPGRADE_SALESPERSON,) if "%s" in statement else ())
    finally:
        conn.close()


def _salesperson_is_viewer(db):
    rows = _query(
        db,
        """SELECT 1 FROM res_groups_users_rel r
             JOIN ir_model_data v ON v.res_id = r.gid AND v.model = 'res.groups'
             JOIN res_users u ON u.id = r.uid
            WHERE v.module = 'crm_guardian' AND v.name = 'group_crm_guardian_user'
              AND u.login = %s""",
        (UPGRADE_SALESPERSON,),
    )
    return bool(rows)


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
