from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    service_job_line_id = fields.Many2one(
        "service.job.line",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        readonly=True,
    )

    def _prepare_invoice_line(self, **optional_values):
        """Invoice lines of quotation lines built from a job line stay linked to it, so the job
        does not invoice them a second time."""
        values = super()._prepare_invoice_line(**optional_values)
        if self.service_job_line_id:
            values["service_job_line_id"] = self.service_job_line_id.id
        return values
