from odoo import api, fields, models
from odoo.tools import SQL, sql

from ..tools.cache_tables import create_cache_child, create_cache_table, forget_own_rows


class CrmGuardianDuplicateBlock(models.Model):
    """The blocking keys of the records a fuzzy duplicate check compares: two records
    are compared when they share a key (``tools/duplicate_matcher.block_keys``, prefixed
    with the check's tag). Written and read in SQL by the scan, kept between scans so
    that a rescan compares only the changed records against their blocks.

    Each check has its own child table (its rows' ``check`` is the check's one-letter
    tag), which the keys are written into, which a full pass empties with ``TRUNCATE``
    and whose sequential scans read no other check's keys, and its own two indexes (its
    keys; its records), dropped while a full pass appends the keys and built once by
    sort at the end (:meth:`_drop_check_indexes`, :meth:`_create_check_indexes`). A
    query of this table says ``"check" = <tag>``: PostgreSQL reads that child only.

    Unlogged tables without ``id`` (``_auto = False``, see ``tools/cache_tables.py``):
    never read or written through the ORM, SQL only."""

    _name = "crm.guardian.duplicate.block"
    _description = "CRM Guardian: Duplicate Blocking Key"
    _auto = False

    # the check's one-letter tag (crm.guardian.scan _get_checks: "tag")
    check = fields.Char(required=True, readonly=True)
    key = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)

    def init(self):
        res = super().init()
        # a cache the scan rebuilds (each full pass): no WAL for it (unlogged: a crash
        # empties it, and the scan then starts a full pass, see crm.guardian.scan
        # _fuzzy_keys_lost); no id (a sequence value and a primary key entry a key)
        create_cache_table(self)
        self._forget_own_rows()
        checks = self.env["crm.guardian.scan"]._get_checks()
        for code in sorted(code for code, check in checks.items() if check.get("fuzzy")):
            self._check_child(code)
            self._create_check_indexes(code)
        return res

    @api.model
    def _forget_own_rows(self):
        """Delete the keys of a version before 18.0.1.7.0 (held by the table itself,
        naming their check by its code) and its indexes; then a full pass in progress
        starts again (its keys phase would go on without the keys it stored; a later
        phase or a rescan sees its keys lost by itself), and its candidates are
        emptied. The next scan is a full pass."""
        cr = self.env.cr
        if not forget_own_rows(cr, self._table):
            return
        if sql.column_exists(cr, "crm_guardian_scan_run_line", "fuzzy_phase"):
            cr.execute(
                "UPDATE crm_guardian_scan_run_line SET fuzzy_phase = NULL "
                "WHERE state = 'running' AND fuzzy_phase IS NOT NULL"
            )
        if sql.table_exists(cr, "crm_guardian_duplicate_candidate"):
            cr.execute("TRUNCATE crm_guardian_duplicate_candidate")

    @api.model
    def _check_tag(self, code):
        """The one-letter tag of check ``code``: what its rows in the scan's cache
        tables hold in their ``check`` column (and the first letter of its keys)."""
        return self.env["crm.guardian.scan"]._get_checks()[code]["tag"]

    @api.model
    def _check_child(self, code, create=True):
        """The name of the child table of check ``code``'s keys (created unless it
        exists, or not without ``create``: a check added since the install gets its
        own at its first pass)."""
        return create_cache_child(self, self._check_tag(code), create)

    @api.model
    def _check_index_names(self, code):
        """The names of the indexes of ``code``'s keys and of its records."""
        tag = self._check_tag(code).lower()
        return f"crm_guardian_block_{tag}_key", f"crm_guardian_block_{tag}_record"

    @api.model
    def _create_check_indexes(self, code):
        """Index the keys and the records of check ``code`` in its child table (built
        by sort when its keys are there: once per full pass)."""
        child = self._check_child(code)
        key_index, record_index = self._check_index_names(code)
        for name, column in ((key_index, "key"), (record_index, "res_id")):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
                    SQL.identifier(name),
                    SQL.identifier(child),
                    SQL.identifier(column),
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
