from odoo import fields, models
from odoo.tools import sql

from ..tools.cache_tables import create_cache_table


class CrmGuardianDuplicateRecord(models.Model):
    """The compared values of the records a fuzzy duplicate check keyed: each record's
    normalised form (``tools/duplicate_matcher.dumps``), written when its keys are, so
    that scoring a pair reads two stored lines instead of normalising both records
    again. Written and read in SQL by the scan, replaced with the keys (a full pass;
    a changed record in a rescan).

    A plain unlogged table without ``id`` (``_auto = False``, see
    ``tools/cache_tables.py``): never read or written through the ORM, SQL only."""

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
        # records again, see crm.guardian.scan _fuzzy_texts)
        create_cache_table(self)
        # appended in id order by a full pass: its inserts stay at the end of their check
        sql.create_index(
            cr, "crm_guardian_duplicate_record_check_record_idx", self._table, ['"check"', "res_id"]
        )
        return res
