from odoo import api, fields, models
from odoo.tools import sql

from ..tools.cache_tables import create_cache_child, create_cache_table, forget_own_rows


class CrmGuardianDuplicateRecord(models.Model):
    """The compared values of the records a fuzzy duplicate check keyed: each record's
    normalised form (``tools/duplicate_matcher.dumps``), written when its keys are, so
    that scoring a pair reads two stored lines instead of normalising both records
    again. Written and read in SQL by the scan, replaced with the keys (a full pass;
    a changed record in a rescan).

    Unlogged tables without ``id``, a child table per check as the keys' (``_auto =
    False``, see ``tools/cache_tables.py``): never read or written through the ORM, SQL
    only."""

    _name = "crm.guardian.duplicate.record"
    _description = "CRM Guardian: Compared Values of a Record"
    _auto = False

    check = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)
    data = fields.Text(string="Compared Values", required=True, readonly=True)

    def init(self):
        res = super().init()
        cr = self.env.cr
        # a cache, like the keys (a crash empties it: scoring then normalises the
        # records again, see crm.guardian.scan _fuzzy_texts); a child table per check,
        # as the keys (a full pass empties its check's with TRUNCATE); the values of a
        # version before 18.0.1.7.0 (held by the table itself, ending with their
        # fingerprint) deleted
        create_cache_table(self)
        forget_own_rows(cr, self._table)
        checks = self.env["crm.guardian.scan"]._get_checks()
        for code in sorted(code for code, check in checks.items() if check.get("fuzzy")):
            child = self._check_child(code)
            # appended in id order by a full pass: its inserts stay at the end
            sql.create_index(cr, f"{child}_res_id_idx", child, ["res_id"])
        return res

    @api.model
    def _check_child(self, code, create=True):
        """The name of the child table of check ``code``'s compared values (created
        unless it exists, or not without ``create``)."""
        tag = self.env["crm.guardian.duplicate.block"]._check_tag(code)
        return create_cache_child(self, tag, create)
