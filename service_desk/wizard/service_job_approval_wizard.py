from odoo import api, fields, models
from odoo.exceptions import UserError


class ServiceJobApprovalWizard(models.TransientModel):
    """Ask the customer to approve a job: an amount (shops without quotations), or one of the
    job's quotations, which the customer accepts and signs on sale's portal page."""

    _name = "service.job.approval.wizard"
    _description = "Request Customer Approval"

    job_id = fields.Many2one("service.job", required=True, readonly=True)
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Quotation",
        domain="[('service_job_ids', 'in', job_id), ('state', 'in', ('draft', 'sent'))]",
        help="Send this quotation: the customer approves by accepting (and signing) it online. "
        "Leave empty to ask for a plain amount.",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    amount = fields.Monetary(currency_field="currency_id")
    message = fields.Text()

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "service.job" and "job_id" in fields_list:
            res.setdefault("job_id", self.env.context.get("active_id"))
        return res

    @api.onchange("sale_order_id")
    def _onchange_sale_order_id(self):
        if self.sale_order_id:
            self.amount = self.sale_order_id.amount_total
            self.currency_id = self.sale_order_id.currency_id

    def action_send(self):
        self.ensure_one()
        job = self.job_id
        job.check_access("write")
        if not self.env.user.has_group("service_desk.group_service_desk_user"):
            raise UserError(self.env._("Only Service Desk officers can request an approval."))
        if not (job.contact_id.email or job.partner_id.email):
            raise UserError(self.env._("The customer has no email address."))
        order = self.sale_order_id
        if order:
            self._check_quotation(order)
            job._request_approval(order.amount_total, order.currency_id, self.message, order)
        else:
            if self.amount < 0:
                raise UserError(self.env._("The amount cannot be negative."))
            job._request_approval(self.amount, self.currency_id, self.message)
        return {"type": "ir.actions.act_window_close"}

    def _check_quotation(self, order):
        """A quotation of this job, still to be accepted, for this customer."""
        order.check_access("write")
        if self.job_id not in order.service_job_ids:
            raise UserError(self.env._("This quotation is not linked to the job."))
        if order.state not in ("draft", "sent"):
            raise UserError(self.env._("Only a quotation not yet confirmed can be sent."))
        if order.partner_id.commercial_partner_id != self.job_id.commercial_partner_id:
            raise UserError(self.env._("The quotation is for another customer."))
        if order.validity_date and order.validity_date < fields.Date.context_today(self):
            raise UserError(self.env._("The quotation has expired: update its expiration date."))
