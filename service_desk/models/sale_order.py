from odoo import Command, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "service.job.link.mixin"]

    service_job_ids = fields.Many2many(
        "service.job",
        "service_job_sale_order_rel",
        "order_id",
        "job_id",
        string="Service Jobs",
        copy=False,
        groups="service_desk.group_service_desk_own",
    )

    def _create_invoices(self, grouped=False, final=False, date=None):
        moves = super()._create_invoices(grouped=grouped, final=final, date=date)
        # sudo: salespeople without a Service Desk group invoice orders too; we only copy the
        # order's existing job links onto its own invoices, no job data is read or shown.
        for move in moves.sudo():
            jobs = move.line_ids.sale_line_ids.order_id.service_job_ids
            if jobs:
                move.service_job_ids = [Command.link(job.id) for job in jobs]
        return moves
