from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_guardian_open_alert_count = fields.Integer(
        string="Open setup alerts", compute="_compute_crm_guardian_open_alert_count"
    )

    def _compute_crm_guardian_open_alert_count(self):
        count = self.env["crm.guardian.alert"].search_count([("state", "=", "open")])
        for settings in self:
            settings.crm_guardian_open_alert_count = count

    def action_crm_guardian_rules(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_rule_action"
        )

    def action_crm_guardian_alerts(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_alert_action"
        )
