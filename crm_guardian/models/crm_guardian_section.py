from odoo import api, fields, models
from odoo.tools import SQL


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
        """One query under the current user's access: the open findings per section
        and, as a filtered aggregate of the same scan, the high-risk ones.

        The finding's record-access check, split per source model (see
        ``_search_per_source``): each part of the UNION ALL checks one model, which
        PostgreSQL runs as a semi-join on the readable records instead of a subplan
        per model inside an OR. Served by the partial index
        ``crm_guardian_finding_open_card_idx`` (index-only scans)."""
        Finding = self.env["crm.guardian.finding"]
        Finding.check_access("read")
        Finding.flush_model(["state", "section", "high_risk", "res_model", "res_id", "company_id"])
        selects = []
        domain = [("state", "=", "open"), ("section", "in", self.mapped("code"))]
        for query in Finding._search_per_source(domain):
            section = SQL.identifier(query.table, "section")
            query.groupby = section
            selects.append(
                query.select(
                    section,
                    SQL("COUNT(*) AS total"),
                    SQL(
                        "COUNT(*) FILTER (WHERE %s) AS high",
                        SQL.identifier(query.table, "high_risk"),
                    ),
                )
            )
        counts = {}
        if selects:
            self.env.cr.execute(
                SQL(
                    "SELECT section, SUM(total), SUM(high) FROM (%s) AS parts GROUP BY section",
                    SQL(" UNION ALL ").join(SQL("(%s)", select) for select in selects),
                )
            )
            counts = {code: (int(total), int(high)) for code, total, high in self.env.cr.fetchall()}
        for card in self:
            card.open_count, card.high_risk_count = counts.get(card.code, (0, 0))

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
