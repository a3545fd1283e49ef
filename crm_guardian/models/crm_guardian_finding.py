from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools.sql import create_index

MEMBER_FIELDS = {"crm.lead": "lead_ids", "res.partner": "partner_ids"}


class CrmGuardianFinding(models.Model):
    _name = "crm.guardian.finding"
    _description = "CRM Guardian Finding"
    _inherit = ["mail.thread"]
    _order = "reference_date desc, risk_score desc, id desc"
    _check_company_auto = True

    key = fields.Char(
        required=True,
        readonly=True,
        index=True,
        help="Check code plus record id or duplicate key: a rescan updates this finding.",
    )
    name = fields.Char(readonly=True)
    check = fields.Selection(selection="_selection_check", required=True, readonly=True, index=True)
    section = fields.Selection(
        selection="_selection_section", required=True, readonly=True, index=True
    )
    rule_id = fields.Many2one("crm.guardian.rule", readonly=True, ondelete="set null")
    rule_domain = fields.Char(related="rule_id.domain", string="Condition")
    state = fields.Selection(
        [("open", "Open"), ("dismissed", "Dismissed"), ("resolved", "Resolved")],
        default="open",
        required=True,
        index=True,
        readonly=True,
    )
    res_model = fields.Char(string="Record Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True, index=True
    )
    record_ref = fields.Reference(
        selection="_selection_record_ref", string="Record", compute="_compute_record_ref"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True, index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    reference_date = fields.Date(readonly=True, index=True)
    age_days = fields.Integer(string="Age (days)", readonly=True, aggregator="avg")
    threshold = fields.Integer(readonly=True, aggregator=None)
    amount = fields.Monetary(readonly=True)
    risk_score = fields.Integer(string="Risk", readonly=True, aggregator="avg")
    reason = fields.Text(readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    # duplicate groups
    duplicate_key = fields.Char(readonly=True)
    member_count = fields.Integer(string="Members", readonly=True, aggregator="sum")
    member_res_ids = fields.Char(
        string="Member IDs", readonly=True, help="Comma-separated ids of the group's records."
    )
    lead_ids = fields.Many2many("crm.lead", string="Duplicate Leads", compute="_compute_members")
    partner_ids = fields.Many2many(
        "res.partner", string="Duplicate Contacts", compute="_compute_members"
    )
    # dismissal: the scan re-opens a dismissed finding when ``dismiss_until`` has passed
    # or when ``severity_level`` rises above ``dismissed_level`` (worse evidence)
    severity_level = fields.Integer(
        readonly=True,
        aggregator=None,
        help="How bad the evidence is, in steps: thresholds crossed for timed checks, "
        "members of a duplicate group, missing items of incomplete records.",
    )
    dismissed_level = fields.Integer(readonly=True, aggregator=None)
    dismiss_until = fields.Date(string="Dismissed Until", readonly=True)
    dismiss_note = fields.Text(string="Dismissal Note", readonly=True)
    sync_hash = fields.Char(
        readonly=True, help="Fingerprint of the scanned values: a rescan writes only changes."
    )
    has_open_activity = fields.Boolean(string="Open Activity", compute="_compute_has_open_activity")

    _sql_constraints = [
        ("key_uniq", "unique(key)", "A finding already exists for this check and record."),
    ]

    def init(self):
        res = super().init()
        # dashboard cards: open findings per section (and their risk), and the first
        # page of the default list (open, newest reference date, then risk)
        create_index(
            self.env.cr,
            "crm_guardian_finding_open_section_idx",
            self._table,
            ["section", "risk_score"],
            where="state = 'open'",
        )
        create_index(
            self.env.cr,
            "crm_guardian_finding_open_order_idx",
            self._table,
            ["reference_date DESC", "risk_score DESC", "id DESC"],
            where="state = 'open'",
        )
        # the scan: standing findings of a check, by record (incremental rescans)
        create_index(
            self.env.cr,
            "crm_guardian_finding_standing_idx",
            self._table,
            ['"check"', "res_id"],
            where="state IN ('open', 'dismissed')",
        )
        return res

    @api.model
    def _selection_check(self):
        return self.env["crm.guardian.scan"]._selection_check()

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    @api.model
    def _selection_record_ref(self):
        models_ = {d["model"] for d in self.env["crm.guardian.scan"]._get_checks().values()}
        return [(model, self.env[model]._description) for model in sorted(models_)]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for finding in self:
            finding.record_ref = (
                f"{finding.res_model},{finding.res_id}"
                if finding.res_model in self.env and finding.res_id
                else False
            )

    @api.depends("res_model", "member_res_ids")
    def _compute_members(self):
        for finding in self:
            ids = [int(i) for i in (finding.member_res_ids or "").split(",") if i]
            field = MEMBER_FIELDS.get(finding.res_model)
            finding.lead_ids = self.env["crm.lead"].browse(ids if field == "lead_ids" else [])
            finding.partner_ids = self.env["res.partner"].browse(
                ids if field == "partner_ids" else []
            )

    @api.depends("res_model", "res_id")
    def _compute_has_open_activity(self):
        by_model = {}
        for finding in self:
            by_model.setdefault(finding.res_model, set()).add(finding.res_id)
        with_activity = set()
        for model, ids in by_model.items():
            groups = (
                self.env["mail.activity"]
                .sudo()
                ._read_group([("res_model", "=", model), ("res_id", "in", list(ids))], ["res_id"])
            )
            with_activity.update((model, res_id) for (res_id,) in groups)
        for finding in self:
            finding.has_open_activity = (finding.res_model, finding.res_id) in with_activity

    # ------------------------------------------------------------
    # ACCESS: a finding is visible if its record is readable in the host
    # ------------------------------------------------------------

    @api.model
    def _get_record_access_domain(self):
        """Findings whose record the current user may read.

        Per source model: nothing to add when no record rule applies to the user,
        else one subquery ``res_id in Model._search([])`` (``_search`` applies the
        user's record rules): one SQL query whatever the number of findings.
        """
        models_ = {d["model"] for d in self.env["crm.guardian.scan"]._get_checks().values()}
        free = []
        domains = []
        for model in sorted(models_):
            if model not in self.env or not self.env[model].has_access("read"):
                continue
            if not self.env["ir.rule"]._compute_domain(model, "read"):
                free.append(model)
                continue
            query = self.env[model].with_context(active_test=False)._search([])
            domains.append([("res_model", "=", model), ("res_id", "in", query)])
        if free:
            domains.append([("res_model", "in", free)])
        return expression.OR(domains) if domains else expression.FALSE_DOMAIN

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if not self.env.su:
            domain = expression.AND([domain, self._get_record_access_domain()])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or operation != "read" or not any(self._ids):
            return result
        ids = [record_id for record_id in self._ids if record_id]
        allowed = set(super()._search([("id", "in", ids), *self._get_record_access_domain()]))
        forbidden = self.browse(record_id for record_id in ids if record_id not in allowed)
        if forbidden:
            return forbidden, lambda: self.env["ir.rule"]._make_access_error(operation, forbidden)
        return None

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_scan_now(self, checks=None):
        """Manual scan, for the Manage group (the scan itself runs as superuser)."""
        self.env["crm.guardian.rule"].check_access("write")
        self.env["crm.guardian.scan"]._scan(checks=checks)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_finding_action"
        )
        return action

    def action_view_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_merge(self):
        """Open Odoo's own merge tool with the group's members preselected."""
        self.ensure_one()
        if self.lead_ids:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Merge"),
                "res_model": "crm.merge.opportunity",
                "view_mode": "form",
                "target": "new",
                "context": {
                    "active_model": "crm.lead",
                    "active_ids": self.lead_ids.ids,
                    "active_id": self.lead_ids[:1].id,
                },
            }
        if self.partner_ids:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Merge Contacts"),
                "res_model": "base.partner.merge.automatic.wizard",
                "view_mode": "form",
                "target": "new",
                "context": {
                    "active_model": "res.partner",
                    "active_ids": self.partner_ids.ids,
                    "active_id": self.partner_ids[:1].id,
                },
            }
        return False

    def action_view_members(self):
        self.ensure_one()
        model, records = (
            ("crm.lead", self.lead_ids) if self.lead_ids else ("res.partner", self.partner_ids)
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [("id", "in", records.ids)],
        }
