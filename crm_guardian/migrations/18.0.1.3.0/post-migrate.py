"""18.0.1.3.0: the risk counts whole thresholds crossed, and the merge compares the scanned
columns as values (the fingerprint field ``sync_hash`` is gone; Odoo drops its column with
the field). The rules' scan state is cleared so that the next scan is a full one and gives
every finding its risk of this version (the next pass of a duplicate check is full as well:
no full pass is recorded yet)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("UPDATE crm_guardian_rule SET last_scan_date = NULL"))
