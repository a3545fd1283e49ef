from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

from ..tools.duplicate_matcher import FIELDS as FUZZY_FIELDS


class CrmGuardianRule(models.Model):
    _name = "crm.guardian.rule"
    _description = "CRM Guardian Rule"
    _order = "check, sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=100,
        help="Priority: for a given check, the first matching rule (lowest sequence) wins.",
    )
    check = fields.Selection(selection="_selection_check", required=True, index=True)
    section = fields.Selection(
        selection="_selection_section", compute="_compute_check_info", store=True
    )
    model_name = fields.Char(
        string="Source Model", compute="_compute_check_info", store=True, readonly=True
    )
    domain = fields.Char(
        string="Condition",
        default="[]",
        required=True,
        help="Records of the check's source model this rule applies to. Empty: all.",
    )
    threshold = fields.Integer(
        default=14,
        help="Days (age, overdue, grace period or days before expiry, depending on the check). "
        "For duplicate checks: the largest group size that still counts (noise guard).",
    )
    amount_threshold = fields.Float(
        string="Minimum Amount",
        help="Overdue invoices: only amounts due at or above this value (company currency).",
    )
    weight = fields.Float(
        string="Risk Weight", default=1.0, help="Multiplies the risk score (see the README)."
    )
    company_id = fields.Many2one(
        "res.company", index=True, help="Only apply to records of this company. Empty: all."
    )
    description = fields.Text()
    # fuzzy duplicate checks (section "Possible duplicates", checks ``*_duplicate_fuzzy``)
    match_threshold = fields.Integer(
        string="Match Threshold (%)",
        default=65,
        help="Fuzzy duplicate checks: the score (weighted similarity of the fields "
        "compared, 0-100) from which two records count as duplicates. Higher: fewer "
        "false pairs, more missed ones.",
    )
    match_fields = fields.Char(
        string="Fields Compared",
        default="name,company,street,street2,zip,city,email,phone",
        help="Fuzzy duplicate checks: comma-separated fields compared, among name, "
        "company, street, street2, zip, city, email, phone. The name is always compared.",
    )
    # state of the last scan of this rule's check (written in SQL by the scan, so that
    # it leaves write_date alone: write_date tells that the rule changed)
    last_scan_date = fields.Datetime(readonly=True, copy=False)
    last_scan_signature = fields.Char(readonly=True, copy=False)
    finding_count = fields.Integer(compute="_compute_finding_count")

    @api.model
    def _selection_check(self):
        return self.env["crm.guardian.scan"]._selection_check()

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    @api.depends("check")
    def _compute_check_info(self):
        checks = self.env["crm.guardian.scan"]._get_checks()
        for rule in self:
            definition = checks.get(rule.check) or {}
            rule.section = definition.get("section")
            rule.model_name = definition.get("model")

    def _compute_finding_count(self):
        groups = self.env["crm.guardian.finding"]._read_group(
            [("rule_id", "in", self.ids), ("state", "=", "open")], ["rule_id"], ["__count"]
        )
        counts = {rule.id: count for rule, count in groups}
        for rule in self:
            rule.finding_count = counts.get(rule.id, 0)

    @api.constrains("domain", "check")
    def _check_domain(self):
        for rule in self:
            try:
                domain = rule._get_record_domain()
                self.env[rule.model_name].sudo().search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "Invalid condition on rule %(rule)s: %(error)s", rule=rule.name, error=error
                    )
                ) from error

    @api.constrains("threshold")
    def _check_threshold(self):
        for rule in self:
            if rule.threshold < 0:
                raise ValidationError(self.env._("The threshold cannot be negative."))

    @api.constrains("match_threshold", "match_fields")
    def _check_match_settings(self):
        allowed = set(FUZZY_FIELDS)
        for rule in self:
            if not 0 < rule.match_threshold <= 100:
                raise ValidationError(self.env._("The match threshold is a score from 1 to 100."))
            unknown = set(rule._match_fields()) - allowed
            if unknown:
                raise ValidationError(
                    self.env._(
                        "Unknown fields compared: %(fields)s (allowed: %(allowed)s).",
                        fields=", ".join(sorted(unknown)),
                        allowed=", ".join(FUZZY_FIELDS),
                    )
                )

    def _match_threshold(self):
        """The fuzzy match threshold as a score from 0 to 1."""
        self.ensure_one()
        return (self.match_threshold or 65) / 100

    def _match_fields(self):
        """The fields a fuzzy duplicate check compares (the name always)."""
        self.ensure_one()
        names = [f.strip() for f in (self.match_fields or "").split(",") if f.strip()]
        return tuple(dict.fromkeys(["name", *names]))

    def _get_record_domain(self):
        """The rule's condition, plus its company if it has one."""
        self.ensure_one()
        domain = safe_eval(self.domain or "[]", {"context_today": fields.Date.context_today})
        if self.company_id and "company_id" in self.env[self.model_name]._fields:
            domain = expression.AND([domain, [("company_id", "=", self.company_id.id)]])
        return domain

    def action_open_findings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_finding_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def action_test_rule(self):
        """Preview the records this rule would match on its own, even if inactive."""
        self.ensure_one()
        tester = self.env["crm.guardian.rule.tester"].create({"rule_id": self.id})
        tester._run()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Test rule: %(rule)s", rule=self.name),
            "res_model": "crm.guardian.rule.tester",
            "res_id": tester.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_scan(self):
        checks = list(set(self.mapped("check"))) or None
        return self.env["crm.guardian.finding"].action_scan_now(checks=checks)
