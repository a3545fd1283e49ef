from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    service_job_ids = fields.Many2many(
        "service.job",
        "service_job_account_move_rel",
        "move_id",
        "job_id",
        string="Service Jobs",
        copy=False,
        groups="service_desk.group_service_desk_own",
    )
    service_job_count = fields.Integer(
        compute="_compute_service_job_count", groups="service_desk.group_service_desk_own"
    )

    def _compute_service_job_count(self):
        for move in self:
            move.service_job_count = len(move.service_job_ids)

    def action_view_service_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action["domain"] = [("id", "in", self.service_job_ids.ids)]
        if len(self.service_job_ids) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=self.service_job_ids.id)
        return action
