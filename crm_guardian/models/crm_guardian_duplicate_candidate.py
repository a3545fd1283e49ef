from odoo import fields, models
from odoo.tools import sql

from ..tools.cache_tables import create_cache_table


class CrmGuardianDuplicateCandidate(models.Model):
    """The candidate pairs of the fuzzy duplicate check whose full pass is running:
    records that share a block (``crm.guardian.duplicate.block``), found by grouping its
    keys, then scored by id range of the pair's higher id (``res_id_b``). Written and
    read in SQL by the scan; emptied at each full pass's grouping (one pass at a time:
    the scan lock).

    A plain unlogged table without ``id`` (``_auto = False``, see
    ``tools/cache_tables.py``): never read or written through the ORM, SQL only."""

    _name = "crm.guardian.duplicate.candidate"
    _description = "CRM Guardian: Duplicate Candidate Pair"
    _auto = False

    check = fields.Char(required=True, readonly=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True)
    res_id_b = fields.Integer(string="Other Record ID", required=True, readonly=True)

    def init(self):
        res = super().init()
        # a working table of the scan (a crash empties it: the pass it served is then
        # started again, see crm.guardian.scan _fuzzy_keys_lost)
        create_cache_table(self)
        # the pairs phase reads the candidates by range of res_id_b (the name the ORM
        # gave the index of index=True before 18.0.1.5.0: kept by an upgraded table)
        sql.create_index(
            self.env.cr,
            "crm_guardian_duplicate_candidate__res_id_b_index",
            self._table,
            ["res_id_b"],
        )
        return res
