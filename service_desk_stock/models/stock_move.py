from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    service_job_id = fields.Many2one(
        "service.job", index="btree_not_null", readonly=True, copy=False, ondelete="set null"
    )
    service_job_line_id = fields.Many2one(
        "service.job.line",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
