from odoo import fields, models


class CrmGuardianDuplicateExclusion(models.Model):
    """ "Not duplicates": a pair of records a user said are different. The fuzzy checks
    skip the pair while both records keep the compared values they had then (their
    fingerprints); once one of them changes a compared field, the pair is compared
    again."""

    _name = "crm.guardian.duplicate.exclusion"
    _description = "CRM Guardian: Not Duplicates"
    _order = "id desc"

    res_model = fields.Char(string="Record Model", required=True, readonly=True)
    res_id_a = fields.Integer(string="First Record ID", required=True, readonly=True)
    res_id_b = fields.Integer(string="Second Record ID", required=True, readonly=True)
    fingerprint_a = fields.Char(readonly=True)
    fingerprint_b = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "pair_uniq",
            "unique(res_model, res_id_a, res_id_b)",
            "This pair is already marked as not duplicates.",
        ),
        ("pair_order", "check(res_id_a < res_id_b)", "The first record must have the lower id."),
    ]
