"""18.0.1.2.0: findings store the facts of their reason (``reason_params``), rendered in the
reader's language when read, and no longer their age (derived from the reference date).

The findings of an earlier version keep their stored sentence (``{"legacy": text}``, shown
as it is) until the next full scan replaces it with facts (one pass over the findings: their
fingerprints, of other columns, no longer match, so the scan rewrites each one); the rules'
scan state is cleared so that the next scan is a full one. The columns of the sentence and of
the age are dropped. The digest email, in the company's mail layout since this version, is
reset to the shipped one when nobody edited it since it was installed (the template is
``noupdate``: an edited one is kept as it is)."""

from datetime import timedelta

from odoo import SUPERUSER_ID, api
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
    # the columns of the sentence and of the age are no longer written (dropping a
    # column only marks it dropped: no rewrite of the table)
    for column in ("reason", "age_days"):
        if column_exists(cr, "crm_guardian_finding", column):
            cr.execute(
                SQL("ALTER TABLE crm_guardian_finding DROP COLUMN %s", SQL.identifier(column))
            )
    cr.execute("UPDATE crm_guardian_rule SET last_scan_signature = NULL")
    reset_digest_template(api.Environment(cr, SUPERUSER_ID, {}))


def reset_digest_template(env):
    template = env.ref("crm_guardian.mail_template_crm_guardian_digest", raise_if_not_found=False)
    if template and template.write_date <= template.create_date + timedelta(minutes=1):
        template.reset_template()
