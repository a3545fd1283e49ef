from odoo import api, fields, models

# Settings field -> the baseline rule whose threshold it edits.
SLA_RULES = {
    "crm_guardian_ticket_idle_hours": "crm_guardian_helpdesk.crm_guardian_rule_ticket_idle",
    "crm_guardian_ticket_unassigned_hours": (
        "crm_guardian_helpdesk.crm_guardian_rule_ticket_unassigned"
    ),
    "crm_guardian_ticket_first_response_hours": (
        "crm_guardian_helpdesk.crm_guardian_rule_ticket_first_response"
    ),
    "crm_guardian_ticket_resolution_days": (
        "crm_guardian_helpdesk.crm_guardian_rule_ticket_resolution"
    ),
}


class ResConfigSettings(models.TransientModel):
    """The ticket SLAs are the thresholds of the baseline rules: one place to change them,
    and rules with a condition (team, priority, category, stage) still override them."""

    _inherit = "res.config.settings"

    crm_guardian_ticket_idle_hours = fields.Integer(
        string="Idle after (hours)", compute="_compute_ticket_sla", inverse="_inverse_ticket_sla"
    )
    crm_guardian_ticket_unassigned_hours = fields.Integer(
        string="Unassigned after (hours)",
        compute="_compute_ticket_sla",
        inverse="_inverse_ticket_sla",
    )
    crm_guardian_ticket_first_response_hours = fields.Integer(
        string="First response SLA (hours)",
        compute="_compute_ticket_sla",
        inverse="_inverse_ticket_sla",
    )
    crm_guardian_ticket_resolution_days = fields.Integer(
        string="Resolution SLA (days)",
        compute="_compute_ticket_sla",
        inverse="_inverse_ticket_sla",
    )

    @api.depends("company_id")
    def _compute_ticket_sla(self):
        for settings in self:
            for fname, xmlid in SLA_RULES.items():
                rule = self.env.ref(xmlid, raise_if_not_found=False)
                settings[fname] = rule.threshold if rule else 0

    def _inverse_ticket_sla(self):
        for settings in self:
            for fname, xmlid in SLA_RULES.items():
                rule = self.env.ref(xmlid, raise_if_not_found=False)
                if rule and rule.threshold != settings[fname]:
                    rule.threshold = settings[fname]
