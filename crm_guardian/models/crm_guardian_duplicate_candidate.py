from odoo import api, fields, models
from odoo.tools import SQL, sql

from ..tools.cache_tables import create_cache_table

CANDIDATE_INDEX = "crm_guardian_duplicate_candidate__res_id_b_index"


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
        self._create_index()
        return res

    @api.model
    def _create_index(self):
        """Index the pairs by ``res_id_b``, the pairs phase's ranges (the name the ORM
        gave the index of index=True before 18.0.1.5.0: kept by an upgraded table).
        Built by sort once the blocks phase stored every pair (:meth:`_empty`)."""
        sql.create_index(self.env.cr, CANDIDATE_INDEX, self._table, ["res_id_b"])

    @api.model
    def _empty(self):
        """Empty the table and drop its index, at the start of a blocks phase: the
        phase appends its pairs without it (sequential writes only), then
        :meth:`_create_index` builds it. One pass at a time (the scan lock)."""
        cr = self.env.cr
        cr.execute(SQL("TRUNCATE %s", SQL.identifier(self._table)))
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(CANDIDATE_INDEX)))
