from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import format_date
from odoo.tools.safe_eval import safe_eval

from ..tools.duplicate_matcher import FIELDS as FUZZY_FIELDS

# values of a condition named in its text before "and N more"
CONDITION_VALUES_SHOWN = 5


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
    check = fields.Selection(
        selection="_selection_check", required=True, index=True, group_expand="_group_expand_check"
    )
    section = fields.Selection(
        selection="_selection_section",
        compute="_compute_check_info",
        store=True,
        group_expand="_group_expand_section",
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
        aggregator=None,
        help="Days (age, overdue, grace period or days before expiry, depending on the check). "
        "For duplicate checks: the largest group size that still counts (noise guard).",
    )
    amount_threshold = fields.Float(
        string="Minimum Amount",
        aggregator=None,
        help="Overdue invoices: only amounts due at or above this value (company currency).",
    )
    weight = fields.Float(
        string="Risk Weight",
        default=1.0,
        aggregator=None,
        help="Multiplies the risk score (see the README).",
    )
    threshold_unit = fields.Selection(
        selection="_selection_threshold_unit",
        string="Unit",
        compute="_compute_threshold_unit",
        help="What the threshold counts, set by the check.",
    )
    threshold_label = fields.Char(string="Threshold (unit)", compute="_compute_threshold_unit")
    condition_text = fields.Char(
        string="Condition (text)",
        compute="_compute_condition_text",
        help="The condition in words, with the field labels.",
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
    last_full_scan_date = fields.Datetime(readonly=True, copy=False)
    finding_count = fields.Integer(compute="_compute_finding_count")

    @api.model
    def _selection_check(self):
        return self.env["crm.guardian.scan"]._selection_check()

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    @api.model
    def _selection_threshold_unit(self):
        return list(self.env["crm.guardian.scan"]._get_threshold_units().items())

    @api.model
    def _group_expand_check(self, checks, domain):
        """Groups by check in the order of the checks (by section), not by code."""
        return self.env["crm.guardian.scan"]._sorted_checks(checks)

    @api.model
    def _group_expand_section(self, sections, domain):
        return self.env["crm.guardian.scan"]._sorted_sections(sections)

    @api.depends("check", "threshold")
    @api.depends_context("lang")
    def _compute_threshold_unit(self):
        Scan = self.env["crm.guardian.scan"]
        for rule in self:
            rule.threshold_unit = Scan._check_unit(rule.check) if rule.check else False
            rule.threshold_label = (
                Scan._threshold_text(rule.check, rule.threshold) if rule.check else False
            )

    @api.depends("domain", "check")
    @api.depends_context("uid", "lang", "allowed_company_ids")
    def _compute_condition_text(self):
        for rule in self:
            rule.condition_text = rule._condition_text() if rule.model_name else False

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

    # ------------------------------------------------------------
    # CONDITION IN WORDS
    # ------------------------------------------------------------

    def _condition_text(self):
        """The rule's condition in words, with the field labels of its source model in
        the user's language: "Priority is Very High and Tags is VIP". Unreadable records
        in a condition show as their id; a condition that cannot be read shows as is."""
        self.ensure_one()
        try:
            domain = expression.normalize_domain(
                safe_eval(self.domain or "[]", {"context_today": fields.Date.context_today})
            )
            if domain == expression.TRUE_DOMAIN:
                return self.env._("All records")
            text, _pos, _op = self._condition_node(self.env[self.model_name], domain, 0)
            return text
        except (ValueError, TypeError, KeyError, IndexError, NameError, SyntaxError):
            # a condition this reader cannot parse: shown as written
            return self.domain

    def _condition_node(self, Model, domain, pos):
        """Text of the (normalized, prefix) domain node at ``pos``: (text, next pos,
        operator of the node or None for a leaf)."""
        token = domain[pos]
        if token == expression.NOT_OPERATOR:
            text, pos, _op = self._condition_node(Model, domain, pos + 1)
            return self.env._("not (%(condition)s)", condition=text), pos, token
        if token in (expression.AND_OPERATOR, expression.OR_OPERATOR):
            parts = []
            pos += 1
            for _side in range(2):
                text, pos, op = self._condition_node(Model, domain, pos)
                parts.append(f"({text})" if op not in (None, token) else text)
            if token == expression.AND_OPERATOR:
                text = self.env._("%(left)s and %(right)s", left=parts[0], right=parts[1])
            else:
                text = self.env._("%(left)s or %(right)s", left=parts[0], right=parts[1])
            return text, pos, token
        return self._condition_leaf(Model, token), pos + 1, None

    def _condition_leaf(self, Model, leaf):
        if expression.is_boolean(leaf) or not expression.is_leaf(leaf):
            return self.env._("all records") if leaf == expression.TRUE_LEAF else str(leaf)
        path, operator, value = leaf
        labels = []
        field = None
        for name in str(path).split("."):
            field = Model._fields.get(name)
            if not field:
                return str(leaf)
            labels.append(field._description_string(self.env))
            if field.relational:
                Model = self.env[field.comodel_name]
        label = " > ".join(labels)
        if field.type == "boolean" and operator in ("=", "!="):
            if bool(value) == (operator == "="):
                return self.env._("%(field)s: yes", field=label)
            return self.env._("%(field)s: no", field=label)
        if value is False and operator in ("=", "!="):
            if operator == "=":
                return self.env._("%(field)s is not set", field=label)
            return self.env._("%(field)s is set", field=label)
        operators = {
            "=": self.env._("is"),
            "!=": self.env._("is not"),
            "in": self.env._("is one of"),
            "not in": self.env._("is none of"),
            "ilike": self.env._("contains"),
            "not ilike": self.env._("does not contain"),
            "like": self.env._("contains"),
            "not like": self.env._("does not contain"),
            "=ilike": self.env._("matches"),
            "=like": self.env._("matches"),
            "child_of": self.env._("is under"),
            "parent_of": self.env._("is above"),
        }
        return f"{label} {operators.get(operator, operator)} {self._condition_value(field, value)}"

    def _condition_value(self, field, value):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if field.type == "selection":
            names = dict(field._description_selection(self.env))
            shown = [str(names.get(v, v)) for v in values]
        elif field.relational and all(isinstance(v, int) for v in values):
            records = self.env[field.comodel_name].browse(values).exists()
            readable = records._filtered_access("read")
            names = {record.id: record.display_name for record in readable}
            shown = [names.get(v, f"#{v}") for v in values]
        elif field.type in ("date", "datetime"):
            shown = [format_date(self.env, v) if v else "" for v in values]
        else:
            shown = [str(v) for v in values]
        more = len(shown) - CONDITION_VALUES_SHOWN
        text = ", ".join(shown[:CONDITION_VALUES_SHOWN])
        if more > 0:
            text = self.env._("%(values)s (and %(count)s more)", values=text, count=more)
        return text

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
