from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    service_job_line_id = fields.Many2one(
        "service.job.line",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        readonly=True,
    )
