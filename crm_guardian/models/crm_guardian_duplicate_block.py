from odoo import fields, models


class CrmGuardianDuplicateBlock(models.Model):
    """The blocking keys of the records a fuzzy duplicate check compares: two records
    are compared when they share a key (``tools/duplicate_matcher.block_keys``, prefixed
    with the check's tag, so that the key alone is indexed). Written and read in SQL by
    the scan, kept between scans so that a same-day rescan compares
    only the changed records against their blocks."""

    _name = "crm.guardian.duplicate.block"
    _description = "CRM Guardian: Duplicate Blocking Key"
    _log_access = False

    check = fields.Char(required=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)

    def init(self):
        res = super().init()
        # a cache the scan rebuilds (a full pass, the first of each day): no WAL for it
        # (unlogged: a crash empties it, and the scan then starts a full pass, see
        # crm.guardian.scan _fuzzy_keys_lost)
        self.env.cr.execute(
            "SELECT relpersistence FROM pg_class "
            "WHERE oid = 'crm_guardian_duplicate_block'::regclass"
        )
        if self.env.cr.fetchone()[0] != "u":
            self.env.cr.execute("ALTER TABLE crm_guardian_duplicate_block SET UNLOGGED")
        # keys carry their check's tag (crm.guardian.scan _fuzzy_store_keys): the key
        # alone is indexed, half the size of ("check", key, res_id), which the keys of
        # earlier versions had (they lack the tag: emptied, the next scan is a full pass)
        self.env.cr.execute("SELECT to_regclass('crm_guardian_duplicate_block_key_idx')")
        if self.env.cr.fetchone()[0]:
            self.env.cr.execute("DROP INDEX crm_guardian_duplicate_block_key_idx")
            self.env.cr.execute("TRUNCATE crm_guardian_duplicate_block")
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS crm_guardian_duplicate_block_tagged_key_idx "
            "ON crm_guardian_duplicate_block (key)"
        )
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS crm_guardian_duplicate_block_record_idx "
            'ON crm_guardian_duplicate_block ("check", res_id)'
        )
        return res
