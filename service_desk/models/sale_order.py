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

    # ------------------------------------------------------------
    # Quotation approvals of service jobs (see service.job.approval)
    # ------------------------------------------------------------

    def action_confirm(self):
        """A confirmed quotation (signed online, paid, or confirmed by the shop) approves the
        pending approval request sent with it: the job moves on, the technician is told."""
        res = super().action_confirm()
        self.env["service.job.approval"]._decide_quotations(self, "approved")
        return res

    def _action_cancel(self):
        """Declined by the customer on the portal (context set by the decline route): the
        request is rejected; cancelled by the shop: the request is cancelled."""
        res = super()._action_cancel()
        self.env["service.job.approval"]._decide_quotations(
            self,
            "rejected",
            by_customer=bool(self.env.context.get("service_desk_declined_by_customer")),
        )
        return res

    def _create_invoices(self, grouped=False, final=False, date=None):
        moves = super()._create_invoices(grouped=grouped, final=final, date=date)
        # sudo: salespeople without a Service Desk group invoice orders too; we only copy the
        # order's existing job links onto its own invoices, no job data is read or shown.
        for move in moves.sudo():
            jobs = move.line_ids.sale_line_ids.order_id.service_job_ids
            if jobs:
                move.service_job_ids = [Command.link(job.id) for job in jobs]
        return moves
