"""18.0.1.3.0: the risk counts whole thresholds crossed, and the merge compares the scanned
columns as values (the fingerprint field ``sync_hash`` is gone; Odoo drops its column with
the field). The rules' scan state is cleared so that the next scan is a full one and gives
every finding its risk of this version (the next pass of a duplicate check is full as well:
no full pass is recorded yet).

The findings table is rewritten once, in the order of the check and record index: pages
were kept half empty (and had grown with every nightly rewrite of most findings, about 1.2
kB a finding at a million leads), now nine tenths full; a nightly unit reads the findings of
its range from few pages (a million leads: 2.9 GB -> 0.7 GB). It holds a lock on the table
for the time of the rewrite (about 30 s at 2.5 million findings)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("UPDATE crm_guardian_rule SET last_scan_date = NULL"))
    cr.execute(SQL("CLUSTER crm_guardian_finding USING crm_guardian_finding_check_record_idx"))
    cr.execute(SQL("ANALYZE crm_guardian_finding"))
