from odoo import api, fields, models
from odoo.exceptions import UserError


class ServiceJobApprovalWizard(models.TransientModel):
    _name = "service.job.approval.wizard"
    _description = "Request Customer Approval"

    job_id = fields.Many2one("service.job", required=True, readonly=True)
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

    def action_send(self):
        self.ensure_one()
        job = self.job_id
        job.check_access("write")
        if not self.env.user.has_group("service_desk.group_service_desk_user"):
            raise UserError(self.env._("Only Service Desk officers can request an approval."))
        if self.amount < 0:
            raise UserError(self.env._("The amount cannot be negative."))
        if not (job.contact_id.email or job.partner_id.email):
            raise UserError(self.env._("The customer has no email address."))
        job._request_approval(self.amount, self.currency_id, self.message)
        return {"type": "ir.actions.act_window_close"}
