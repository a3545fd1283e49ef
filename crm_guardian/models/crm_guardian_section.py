from odoo import api, fields, models


class CrmGuardianSection(models.Model):
    """A dashboard card: one per section of findings (rescue, incomplete, ...)."""

    _name = "crm.guardian.section"
    _description = "CRM Guardian Dashboard Section"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(selection="_selection_section", required=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)
    color = fields.Integer()
    open_count = fields.Integer(string="Open Findings", compute="_compute_counts")
    high_risk_count = fields.Integer(string="High Risk", compute="_compute_counts")

    _sql_constraints = [("code_uniq", "unique(code)", "One card per section.")]

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    def _compute_counts(self):
        """One grouped query, under the current user's access (see the finding model)."""
        groups = self.env["crm.guardian.finding"]._read_group(
            [("state", "=", "open"), ("section", "in", self.mapped("code"))],
            ["section"],
            ["__count", "risk_score:max"],
        )
        high = dict(
            self.env["crm.guardian.finding"]._read_group(
                [
                    ("state", "=", "open"),
                    ("section", "in", self.mapped("code")),
                    ("risk_score", ">=", 50),
                ],
                ["section"],
                ["__count"],
            )
        )
        counts = {section: count for section, count, _risk in groups}
        for card in self:
            card.open_count = counts.get(card.code, 0)
            card.high_risk_count = high.get(card.code, 0)

    def action_open_findings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_finding_action"
        )
        action["name"] = self.name
        action["domain"] = [("section", "=", self.code)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def action_scan_now(self):
        return self.env["crm.guardian.finding"].action_scan_now()
