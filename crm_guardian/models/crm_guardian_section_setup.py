from odoo import api, models

SETUP = "setup"


class CrmGuardianSection(models.Model):
    """The "Setup alerts" dashboard card counts open setup alerts, not findings."""

    _inherit = "crm.guardian.section"

    @api.model
    def _selection_section(self):
        return super()._selection_section() + [(SETUP, self.env._("Setup alerts"))]

    def _compute_counts(self):
        setup = self.filtered(lambda card: card.code == SETUP)
        super(CrmGuardianSection, self - setup)._compute_counts()
        if not setup:
            return
        Alert = self.env["crm.guardian.alert"]
        readable = Alert.has_access("read")
        # search_count applies the alert rules: managers do not count security alerts.
        setup.open_count = readable and Alert.search_count([("state", "=", "open")])
        setup.high_risk_count = readable and Alert.search_count(
            [("state", "=", "open"), ("severity", "=", "danger")]
        )
        setup._set_count_labels()  # exact counts

    def action_open_findings(self):
        if self.code == SETUP:
            return self.env["ir.actions.act_window"]._for_xml_id(
                "crm_guardian.crm_guardian_alert_action"
            )
        return super().action_open_findings()
