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

    def _copy_data_extend_business_fields(self, values):  # pylint: disable=missing-return
        # A credit note (or debit note) of an invoice line stays on its job line: the job
        # line's invoiced quantity nets it out (see service.job.line._compute_qty_invoiced).
        super()._copy_data_extend_business_fields(values)
        values["service_job_line_id"] = self.service_job_line_id.id
