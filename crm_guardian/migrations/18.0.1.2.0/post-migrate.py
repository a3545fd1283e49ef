"""18.0.1.2.0: findings store the facts of their reason (``reason_params``), rendered in the
reader's language when read, and no longer their age (derived from the reference date).

The findings of an earlier version keep their stored sentence (``{"legacy": text}``, shown
as it is) until the next full scan replaces it with facts: their fingerprint is cleared so
that the scan rewrites every standing finding, and the rules' scan state so that the next
scan is a full one."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "crm_guardian_finding", "reason"):
        cr.execute(
            SQL(
                """UPDATE crm_guardian_finding
                      SET reason_params = jsonb_build_object('legacy', reason)
                    WHERE reason_params IS NULL AND reason IS NOT NULL"""
            )
        )
    cr.execute("UPDATE crm_guardian_finding SET sync_hash = NULL WHERE sync_hash IS NOT NULL")
    cr.execute("UPDATE crm_guardian_rule SET last_scan_signature = NULL")
