from odoo import fields, models

from ..tools.cache_tables import ensure_unlogged


class CrmGuardianDuplicateCandidate(models.Model):
    """The candidate pairs of the fuzzy duplicate check whose full pass is running:
    records that share a block (``crm.guardian.duplicate.block``), found by grouping its
    keys, then scored by id range of the pair's higher id (``res_id_b``). Written and
    read in SQL by the scan; emptied at each full pass's grouping (one pass at a time:
    the scan lock)."""

    _name = "crm.guardian.duplicate.candidate"
    _description = "CRM Guardian: Duplicate Candidate Pair"
    _log_access = False

    check = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)
    res_id_b = fields.Integer(string="Other Record ID", required=True, readonly=True, index=True)

    def init(self):
        res = super().init()
        # a working table of the scan (a crash empties it: the pass it served is then
        # started again, see crm.guardian.scan _fuzzy_keys_lost)
        ensure_unlogged(self.env.cr, self._table)
        return res
