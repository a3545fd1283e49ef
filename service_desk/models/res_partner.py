from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    service_job_count = fields.Integer(
        compute="_compute_service_job_count",
        groups="service_desk.group_service_desk_own",
        help="Jobs of the company and of all its contacts.",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_service_job_count(self):
        groups = self.env["service.job"]._read_group(
            [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
            ["commercial_partner_id"],
            ["__count"],
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.service_job_count = counts.get(partner.commercial_partner_id.id, 0)

    def action_view_service_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
