from odoo import api, fields, models
from odoo.tools import SQL, sql

from ..tools.cache_tables import create_cache_table


class CrmGuardianDuplicateBlock(models.Model):
    """The blocking keys of the records a fuzzy duplicate check compares: two records
    are compared when they share a key (``tools/duplicate_matcher.block_keys``, prefixed
    with the check's tag). Written and read in SQL by the scan, kept between scans so
    that a rescan compares only the changed records against their blocks.

    Each check has its own two partial indexes (its keys; its records), so that a full
    pass appends a check's keys without them and builds them once by sort at the end
    (:meth:`_drop_check_indexes`, :meth:`_create_check_indexes`); a query that should
    use them says ``"check" = <code>``.

    A plain unlogged table without ``id`` (``_auto = False``, see
    ``tools/cache_tables.py``): never read or written through the ORM, SQL only."""

    _name = "crm.guardian.duplicate.block"
    _description = "CRM Guardian: Duplicate Blocking Key"
    _auto = False

    # the check's one-letter tag (crm.guardian.scan _get_checks: "tag")
    check = fields.Char(required=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)

    def init(self):
        res = super().init()
        cr = self.env.cr
        # a cache the scan rebuilds (each full pass): no WAL for it (unlogged: a crash
        # empties it, and the scan then starts a full pass, see crm.guardian.scan
        # _fuzzy_keys_lost); no id (a sequence value and a primary key entry a key)
        create_cache_table(self)
        # the keys of versions before the check's tag (emptied: the next scan is a full
        # pass), then the indexes shared by every check before the partial ones
        cr.execute("SELECT to_regclass('crm_guardian_duplicate_block_key_idx')")
        if cr.fetchone()[0]:
            cr.execute("DROP INDEX crm_guardian_duplicate_block_key_idx")
            cr.execute("TRUNCATE crm_guardian_duplicate_block")
        cr.execute("DROP INDEX IF EXISTS crm_guardian_duplicate_block_tagged_key_idx")
        cr.execute("DROP INDEX IF EXISTS crm_guardian_duplicate_block_record_idx")
        checks = self.env["crm.guardian.scan"]._get_checks()
        fuzzy = sorted(code for code, check in checks.items() if check.get("fuzzy"))
        self._forget_check_codes(fuzzy)
        for code in fuzzy:
            self._create_check_indexes(code)
        return res

    @api.model
    def _forget_check_codes(self, codes):
        """Empty the caches of versions before 18.0.1.7.0, whose rows said their check
        by its code (``lead_duplicate_fuzzy``, 20 bytes a row) instead of its one-letter
        tag and whose compared values ended with their fingerprint: their indexes (one
        pair per check, named after its code) dropped, the keys, compared values and
        candidates deleted, and a full pass in progress started again (its keys phase
        would go on without the keys it stored; a later phase or a rescan sees its keys
        lost by itself). The next scan is a full pass."""
        cr = self.env.cr
        old = [f"crm_guardian_block_{code}_{kind}" for code in codes for kind in ("key", "record")]
        cr.execute(SQL("SELECT relname FROM pg_class WHERE relname = ANY(%s)", old))
        names = [name for (name,) in cr.fetchall()]
        if not names:
            return
        for name in names:
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
        for table in (
            "crm_guardian_duplicate_block",
            "crm_guardian_duplicate_record",
            "crm_guardian_duplicate_candidate",
        ):
            # the other two are created after this one (a new install has no old index)
            if sql.table_exists(cr, table):
                cr.execute(SQL("TRUNCATE %s", SQL.identifier(table)))
        if sql.column_exists(cr, "crm_guardian_scan_run_line", "fuzzy_phase"):
            cr.execute(
                "UPDATE crm_guardian_scan_run_line SET fuzzy_phase = NULL "
                "WHERE state = 'running' AND fuzzy_phase IS NOT NULL"
            )

    @api.model
    def _check_tag(self, code):
        """The one-letter tag of check ``code``: what its rows in the scan's cache
        tables hold in their ``check`` column (and the first letter of its keys)."""
        return self.env["crm.guardian.scan"]._get_checks()[code]["tag"]

    @api.model
    def _check_index_names(self, code):
        """The names of the indexes of ``code``'s keys and of its records."""
        tag = self._check_tag(code).lower()
        return f"crm_guardian_block_{tag}_key", f"crm_guardian_block_{tag}_record"

    @api.model
    def _create_check_indexes(self, code):
        """Index the keys and the records of check ``code`` (built by sort when its
        keys are there: once per full pass)."""
        key_index, record_index = self._check_index_names(code)
        for name, column in ((key_index, "key"), (record_index, "res_id")):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON crm_guardian_duplicate_block (%s) "
                    'WHERE "check" = %s',
                    SQL.identifier(name),
                    SQL.identifier(column),
                    # an index predicate is DDL: a literal, not a parameter
                    SQL(self.env.cr.mogrify("%s", [self._check_tag(code)]).decode()),
                )
            )

    @api.model
    def _drop_check_indexes(self, code):
        """Drop the indexes of check ``code``: a full pass appends its keys without
        them (sequential writes, not random inserts into an index larger than the
        server's buffers)."""
        for name in self._check_index_names(code):
            self.env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))

    @api.model
    def _check_indexed(self, code):
        """Whether check ``code``'s key index exists (a full pass that was not
        finished dropped it: its keys are incomplete)."""
        self.env.cr.execute(
            SQL("SELECT to_regclass(%s) IS NOT NULL", self._check_index_names(code)[0])
        )
        return self.env.cr.fetchone()[0]
