from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index, drop_index, make_index_name

from .crm_guardian_scan import HIGH_RISK

MEMBER_FIELDS = {"crm.lead": "lead_ids", "res.partner": "partner_ids"}
# indexes of earlier versions (see init())
OLD_INDEXES = (
    "crm_guardian_finding_standing_idx",
    "crm_guardian_finding_open_section_idx",
    "crm_guardian_finding_open_access_idx",
    "crm_guardian_finding_open_order_idx",
)
# free space kept in the findings' pages for their nightly updates (see init)
FILLFACTOR = "fillfactor=90"
# the indexes of the findings (most of them partial): {name: (columns, where)}
OPEN = "state = 'open'"
FINDING_INDEXES = {
    # exact counts under the record-access check (a semi-join on res_id per source
    # model: the list pager's "10000+" clicked, export): open findings per record, with
    # the section, high risk and company, index-only scans of a small index instead of
    # scans of the wide table; probes by record when the user may read few records
    "crm_guardian_finding_open_card_idx": (
        ["res_model", "res_id", "section", "high_risk", "company_id"],
        OPEN,
    ),
    # the dashboard cards' capped counts: the open findings of a section, and its
    # high-risk ones, the first 10,001 entries of a range (see crm.guardian.section)
    "crm_guardian_finding_open_count_idx": (
        ["section", "high_risk", "res_model", "res_id", "company_id"],
        OPEN,
    ),
    # the first page of the default list (open, newest reference date, then risk:
    # PostgreSQL sorts each date's findings by risk, an incremental sort)
    "crm_guardian_finding_open_date_idx": (["reference_date DESC", "id DESC"], OPEN),
    # the scan: the findings of a check, by record, in every state: the merge of a unit
    # reads those of its range only (updates, re-opened resolved ones; resolution,
    # deleted records), not the whole table once per unit
    "crm_guardian_finding_check_record_idx": (['"check"', "res_id"], None),
    # the scan: the dismissed findings, few, that may re-open (not a scan of them all)
    "crm_guardian_finding_dismissed_idx": (["key"], "state = 'dismissed'"),
}
# the standing duplicate groups by member: a partial GIN index of their member ids as
# an array, probed with "&&" for the records deleted (_drop_deleted_members, whose
# query repeats this expression and condition)
MEMBERS_INDEX = "crm_guardian_finding_standing_members_idx"
MEMBERS_ARRAY = "(string_to_array(member_res_ids, ','))::int4[]"
STANDING_GROUP = "member_res_ids IS NOT NULL AND state IN ('open', 'dismissed')"
# technical columns of the scan: not offered in custom filters, group-bys and exports
INTERNAL_FIELDS = (
    "key",
    "res_model",
    "res_id",
    "duplicate_key",
    "member_res_ids",
    "severity_level",
    "dismissed_level",
    "reason_params",
)
UNINDEXED_FIELDS = (
    "key",
    "check",
    "section",
    "state",
    "res_model",
    "res_id",
    "team_id",
    "company_id",
    "reference_date",
)


class CrmGuardianFinding(models.Model):
    _name = "crm.guardian.finding"
    _description = "CRM Guardian Finding"
    _inherit = ["mail.thread", "crm.guardian.record.access"]
    _order = "reference_date desc, risk_score desc, id desc"
    _check_company_auto = True

    # Indexes: only those the scan, the access check, the default list and the host's
    # deletes/merges (partner, user) use: each one costs every finding written (see
    # init()). ``key`` is indexed by its unique constraint.
    key = fields.Char(
        required=True,
        readonly=True,
        help="Check code plus record id or duplicate key: a rescan updates this finding.",
    )
    name = fields.Char(readonly=True)
    check = fields.Selection(
        selection="_selection_check",
        required=True,
        readonly=True,
        group_expand="_group_expand_check",
    )
    section = fields.Selection(
        selection="_selection_section",
        required=True,
        readonly=True,
        group_expand="_group_expand_section",
    )
    rule_id = fields.Many2one("crm.guardian.rule", readonly=True, ondelete="set null")
    rule_domain = fields.Char(related="rule_id.domain", string="Condition")
    # read as the current user: the records a condition names are named only if readable
    rule_condition = fields.Char(
        related="rule_id.condition_text",
        string="Rule Condition",
        compute_sudo=False,
        help="The records the rule applies to, in words.",
    )
    state = fields.Selection(
        [("open", "Open"), ("dismissed", "Dismissed"), ("resolved", "Resolved")],
        default="open",
        required=True,
        readonly=True,
    )
    res_model = fields.Char(string="Record Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    record_ref = fields.Reference(
        selection="_selection_record_ref", string="Record", compute="_compute_record_ref"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True, index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    reference_date = fields.Date(readonly=True)
    # derived from the reference date when read, never stored: a finding is not
    # rewritten because a day passed (negative: days until the date, e.g. an expiry)
    age_days = fields.Integer(
        string="Age (days)", compute="_compute_age_days", search="_search_age_days"
    )
    threshold = fields.Integer(readonly=True, aggregator=None)
    threshold_label = fields.Char(string="Threshold (unit)", compute="_compute_threshold_label")
    amount = fields.Monetary(readonly=True)
    risk_score = fields.Integer(string="Risk", readonly=True, aggregator="avg")
    high_risk = fields.Boolean(
        compute="_compute_high_risk",
        store=True,
        help="Risk score of 50 or more (dashboard cards).",
    )
    # the facts the scan found (see crm.guardian.reason), rendered in the reader's
    # language when read
    reason_params = fields.Json(string="Reason Facts", readonly=True)
    reason = fields.Text(compute="_compute_reason")
    resolved_date = fields.Datetime(readonly=True)
    # duplicate groups
    duplicate_key = fields.Char(readonly=True)
    member_count = fields.Integer(string="Members", readonly=True, aggregator="sum")
    member_res_ids = fields.Char(
        string="Member IDs", readonly=True, help="Comma-separated ids of the group's records."
    )
    # the members the current user may read; the others are only counted
    lead_ids = fields.Many2many("crm.lead", string="Duplicate Leads", compute="_compute_members")
    partner_ids = fields.Many2many(
        "res.partner", string="Duplicate Contacts", compute="_compute_members"
    )
    member_hidden_count = fields.Integer(
        string="Members Not Visible",
        compute="_compute_members",
        help="Members of the group you may not read: counted, never named.",
    )
    member_note = fields.Char(string="Hidden Members", compute="_compute_members")
    # fuzzy duplicate groups: the matched pairs whose two records the user may read,
    # each explained from its stored facts (crm.guardian.duplicate.pair)
    duplicate_pair_ids = fields.Many2many(
        "crm.guardian.duplicate.pair",
        string="Why They Match",
        compute="_compute_duplicate_pair_ids",
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
    has_open_activity = fields.Boolean(string="Open Activity", compute="_compute_has_open_activity")

    _sql_constraints = [
        ("key_uniq", "unique(key)", "A finding already exists for this check and record."),
    ]

    def init(self):
        res = super().init()
        cr = self.env.cr
        # Every night the scan compares every finding and rewrites the few whose risk,
        # level or amount changed (4 % at a million leads). The columns that change
        # (risk, level, reason facts) are in no index and a tenth of each page is kept
        # free, so these are HOT updates (no index touched); pages stay full enough
        # for the nightly read of them all (half-empty pages made it read twice as many).
        cr.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [self._table])
        if FILLFACTOR not in (cr.fetchone()[0] or []):
            cr.execute(SQL("ALTER TABLE %s SET (%s)", SQL.identifier(self._table), SQL(FILLFACTOR)))
        for name, (columns, where) in FINDING_INDEXES.items():
            create_index(cr, name, self._table, columns, where=where)
        # small: the open and dismissed groups only; a nightly update of a finding's
        # risk or facts leaves it alone (HOT), as it changes neither members nor state
        create_index(cr, MEMBERS_INDEX, self._table, [f"({MEMBERS_ARRAY})"], "gin", STANDING_GROUP)
        # indexes of earlier versions: replaced by the ones above (those with the risk
        # score made every nightly update touch every index), or single-column ones
        # covered by them or by the unique key; each costs every finding written (Odoo
        # keeps the indexes it no longer expects)
        for index in OLD_INDEXES:
            drop_index(cr, index, self._table)
        for fname in UNINDEXED_FIELDS:
            drop_index(cr, make_index_name(self._table, fname), self._table)
        return res

    @api.model
    def _selection_check(self):
        return self.env["crm.guardian.scan"]._selection_check()

    @api.model
    def _selection_section(self):
        return self.env["crm.guardian.scan"]._selection_section()

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """The scan's technical columns are neither filters, group-bys nor exports."""
        result = super().fields_get(allfields, attributes)
        for fname in INTERNAL_FIELDS:
            for attribute in ("searchable", "groupable", "exportable"):
                if attribute in result.get(fname, {}):
                    result[fname][attribute] = False
        return result

    @api.model
    def _group_expand_check(self, checks, domain):
        """Groups by check in the order of the checks (by section), not by code."""
        return self.env["crm.guardian.scan"]._sorted_checks(checks)

    @api.model
    def _group_expand_section(self, sections, domain):
        return self.env["crm.guardian.scan"]._sorted_sections(sections)

    @api.depends("check", "threshold")
    @api.depends_context("lang")
    def _compute_threshold_label(self):
        Scan = self.env["crm.guardian.scan"]
        for finding in self:
            finding.threshold_label = Scan._threshold_text(finding.check, finding.threshold)

    @api.model
    def _selection_record_ref(self):
        models_ = {d["model"] for d in self.env["crm.guardian.scan"]._get_checks().values()}
        return [(model, self.env[model]._description) for model in sorted(models_)]

    @api.depends("res_model", "res_id", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_record_ref(self):
        for finding in self:
            record = finding._viewer_record() if finding.res_id else None
            finding.record_ref = f"{record._name},{record.id}" if record else False

    @api.depends("reference_date")
    def _compute_age_days(self):
        today = fields.Date.context_today(self)
        for finding in self:
            reference = finding.reference_date
            finding.age_days = (today - reference).days if reference else 0

    def _search_age_days(self, operator, value):
        """``age_days <op> N`` as a condition on the reference date (an index range)."""
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
        if operator not in flipped or not isinstance(value, int) or isinstance(value, bool):
            raise UserError(self.env._("Age (days) is compared with a whole number of days."))
        day = fields.Date.context_today(self) - timedelta(days=value)
        return [("reference_date", flipped[operator], day)]

    @api.depends("check", "reason_params", "reference_date", "threshold")
    @api.depends_context("lang")
    def _compute_reason(self):
        texts = self.env["crm.guardian.reason"]._render_many(
            [
                (finding.check, finding.reason_params, finding.reference_date, finding.threshold)
                for finding in self
            ]
        )
        for finding, text in zip(self, texts, strict=True):
            finding.reason = text

    @api.model
    def _resolve_deleted_records(self, model, ids):
        """Resolve the standing findings of the records ``ids`` of ``model``, deleted
        (see mail.thread ``unlink``), and drop them from the exact duplicate groups
        that list them (:meth:`_drop_deleted_members`). In SQL as the scan writes
        findings, on the open and the dismissed findings' partial indexes; sudo:
        whoever may delete a record ends its findings, which they may not be allowed
        to read or write."""
        self = self.sudo()
        self.flush_model()
        for state in ("open", "dismissed"):
            self.env.cr.execute(
                SQL(
                    """UPDATE crm_guardian_finding
                          SET state = 'resolved', resolved_date = %(now)s,
                              write_uid = %(uid)s, write_date = %(now)s
                        WHERE state = %(state)s AND res_model = %(model)s
                          AND res_id = ANY(%(ids)s) AND member_res_ids IS NULL""",
                    now=self.env.cr.now(),
                    uid=self.env.uid,
                    state=state,
                    model=model,
                    ids=list(ids),
                )
            )
        if model in MEMBER_FIELDS:
            self._drop_deleted_members(model, ids)
            self.invalidate_model()  # the groups' columns, and what is computed from them
        else:
            self.invalidate_model(["state", "resolved_date", "write_uid", "write_date"])

    @api.model
    def _drop_deleted_members(self, model, ids):
        """Drop the deleted records ``ids`` of ``model`` from the standing (open,
        dismissed) groups of the exact duplicate checks that list them, as their check
        would regroup them (a group of the others sharing the same value, the same
        key): a group left with two members or more takes the member list and count and
        the columns its check computes from them (``regrouped`` below: first member,
        its responsible, the shared team, company and customer, the newest member's
        creation day, level, risk, the count in the reason); one left with fewer is
        resolved, its other columns as last found (as a scan leaves the groups it
        resolves), no member list when none is left. Members are the listed records
        still in the table: one deleted in SQL before is dropped too. The caller
        flushes, runs as superuser and invalidates.

        Not the fuzzy groups: their key, name and best score come from their centre
        and its pairs, and without the centre the others may not match at all. Their
        next rescan regroups them (it finds deleted records through the stored pairs);
        until then ``_compute_members`` counts no deleted member.

        Cost, on every delete of a lead or contact: the groups are found through the
        partial GIN index of their members (``MEMBERS_INDEX``), one probe per deleted
        id; their existing members through the primary key."""
        Scan = self.env["crm.guardian.scan"]
        codes = Scan._exact_group_checks(model)
        if not codes:
            return
        members = SQL("string_to_array(f.member_res_ids, ',')::int4[]")
        risk = Scan._risk_sql(SQL("h.weight"), SQL("(m.n - 1)::float8"), SQL("NULL"))
        regrouped = {
            "res_id": SQL("k.res_id"),
            "user_id": SQL("k.user_id"),
            "team_id": SQL("k.team_id"),
            "company_id": SQL("k.company_id"),
            "partner_id": SQL("k.partner_id"),
            "reference_date": SQL("k.reference_date"),
            "severity_level": SQL("k.n"),
            "risk_score": SQL("k.risk_score"),
            "high_risk": SQL("k.risk_score >= %s", HIGH_RISK),
            "reason_params": SQL("jsonb_set(f.reason_params, '{count}', to_jsonb(k.n))"),
        }
        self.env.cr.execute(
            SQL(
                """WITH h AS (
                       SELECT f.id, %(members)s AS members, f.risk_score, rule.weight
                         FROM crm_guardian_finding f
                         LEFT JOIN crm_guardian_rule rule ON rule.id = f.rule_id
                        WHERE %(members)s && %(ids)s::int4[]
                          AND f.member_res_ids IS NOT NULL
                          AND f.state IN ('open', 'dismissed')
                          AND f.res_model = %(model)s AND f."check" = ANY(%(codes)s)
                   ), k AS (
                       SELECT h.id, m.*,
                              CASE WHEN h.weight IS NULL THEN h.risk_score
                                   ELSE %(risk)s END AS risk_score
                         FROM h CROSS JOIN LATERAL (%(found)s) m
                   )
                   UPDATE crm_guardian_finding f
                      SET member_res_ids = k.ids, member_count = k.n, %(assign)s,
                          state = CASE WHEN k.n < 2 THEN 'resolved' ELSE f.state END,
                          resolved_date = CASE WHEN k.n < 2 THEN %(now)s
                                               ELSE f.resolved_date END,
                          write_uid = %(uid)s, write_date = %(now)s
                     FROM k
                    WHERE f.id = k.id""",
                members=members,
                ids=list(ids),
                model=model,
                codes=codes,
                risk=risk,
                found=Scan._duplicate_members_sql(model, SQL("h.members")),
                assign=SQL(", ").join(
                    SQL(
                        "%s = CASE WHEN k.n >= 2 THEN %s ELSE f.%s END",
                        SQL.identifier(fname),
                        value,
                        SQL.identifier(fname),
                    )
                    for fname, value in regrouped.items()
                ),
                now=self.env.cr.now(),
                uid=self.env.uid,
            )
        )

    @api.depends("risk_score")
    def _compute_high_risk(self):
        # the scan writes the column itself, in SQL (see _run_check)
        for finding in self:
            finding.high_risk = finding.risk_score >= HIGH_RISK

    @api.depends("res_model", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_members(self):
        """The members the current user may read (archived ones too); the others are
        only counted (``member_hidden_count``), never named. A listed record that no
        longer exists is neither: an exact group loses a deleted member at once
        (``_drop_deleted_members``), but a fuzzy group lists it until its rescan, and
        a record deleted in SQL (or while a scan was grouping it) until the next
        pass."""
        existing, readable = self._member_access()
        for finding in self:
            ids = [i for i in finding._member_ids() if (finding.res_model, i) in existing]
            field = MEMBER_FIELDS.get(finding.res_model)
            shown = [i for i in ids if (finding.res_model, i) in readable]
            finding.lead_ids = self.env["crm.lead"].browse(shown if field == "lead_ids" else [])
            finding.partner_ids = self.env["res.partner"].browse(
                shown if field == "partner_ids" else []
            )
            finding.member_hidden_count = len(ids) - len(shown)
            finding.member_note = finding._member_note(len(ids), len(ids) - len(shown))

    def _member_ids(self):
        """Ids of a duplicate group's members (empty for another finding)."""
        self.ensure_one()
        return [int(i) for i in (self.member_res_ids or "").split(",") if i]

    def _readable_members(self):
        """``{(model, id)}`` of the members of the groups of ``self`` that the current
        user may read."""
        return self._member_access()[1]

    def _member_access(self):
        """``(existing, readable)``: ``{(model, id)}`` of the members of the groups of
        ``self`` that still exist, and of those the current user may read: two
        queries per model (existence, access)."""
        by_model = {}
        for finding in self:
            if finding.res_model in MEMBER_FIELDS:
                by_model.setdefault(finding.res_model, set()).update(finding._member_ids())
        existing, readable = set(), set()
        for model, ids in by_model.items():
            records = self.env[model].with_context(active_test=False).browse(ids).exists()
            existing.update((model, i) for i in records.ids)
            readable.update((model, i) for i in records._filtered_access("read").ids)
        return existing, readable

    def _member_note(self, count, hidden):
        """The note of hidden members: "4 records share this email; 2 not visible to
        you." (``False`` when none is hidden)."""
        if not hidden:
            return False
        return self.env._(
            "%(count)s records share this %(field)s; %(hidden)s not visible to you.",
            count=count,
            field=self._member_key_label(),
            hidden=hidden,
        )

    def _member_key_label(self):
        self.ensure_one()
        if self.check and self.check.endswith("_duplicate_fuzzy"):
            return self.env._("name and address")
        if self.check in ("lead_duplicate_phone",):
            return self.env._("phone")
        if self.check == "company_duplicate_name":
            return self.env._("name")
        return self.env._("email")

    @api.depends("key", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_duplicate_pair_ids(self):
        # superuser search: the pairs of these groups, then only those whose two
        # records the current user may read (``_readable_members``)
        Pair = self.env["crm.guardian.duplicate.pair"]
        keys = [f.key for f in self if f.check and f.check.endswith("_duplicate_fuzzy")]
        pairs = Pair.sudo().search([("group_key", "in", keys)]) if keys else Pair
        readable = self._readable_members()
        by_key = {}
        for pair in pairs:
            if {(pair.res_model, pair.res_id), (pair.res_model, pair.res_id_b)} <= readable:
                by_key.setdefault(pair.group_key, []).append(pair.id)
        for finding in self:
            finding.duplicate_pair_ids = Pair.browse(by_key.get(finding.key, []))

    def _viewer_reason(self):
        """The reason as the current user may read it: a duplicate group's reason with
        how many members they cannot see."""
        self.ensure_one()
        return " ".join(text for text in (self.reason, self.member_note) if text)

    def _viewer_url(self, base_url):
        """The backend URL of the record the finding opens for the current user."""
        record = self._viewer_record()
        if not record:
            return f"{base_url}/odoo/action-crm_guardian.crm_guardian_finding_action/{self.id}"
        return f"{base_url}/odoo/{record._name}/{record.id}"

    def _viewer_res_id(self):
        """``res_id`` of :meth:`_viewer_record` (0: none); reads the members of
        duplicate groups only."""
        self.ensure_one()
        if self.res_model in MEMBER_FIELDS and self.member_res_ids:
            return self[MEMBER_FIELDS[self.res_model]][:1].id or 0
        return self.res_id

    def _viewer_record(self):
        """The record a finding opens for the current user: its record, or for a
        duplicate group the first member they may read (``None``: none)."""
        self.ensure_one()
        if self.res_model not in self.env:
            return None
        if self.res_model in MEMBER_FIELDS and self.member_res_ids:
            return self[MEMBER_FIELDS[self.res_model]][:1] or None
        return self.env[self.res_model].browse(self.res_id)

    @api.depends("res_model", "res_id", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_has_open_activity(self):
        by_model = {}
        for finding in self:
            by_model.setdefault(finding.res_model, set()).add(finding._viewer_res_id())
        with_activity = set()
        for model, ids in by_model.items():
            groups = (
                self.env["mail.activity"]
                .sudo()
                ._read_group([("res_model", "=", model), ("res_id", "in", list(ids))], ["res_id"])
            )
            with_activity.update((model, res_id) for (res_id,) in groups)
        for finding in self:
            finding.has_open_activity = (
                finding.res_model,
                finding._viewer_res_id(),
            ) in with_activity

    # ------------------------------------------------------------
    # ACCESS: a finding is visible if its record is readable in the host
    # (crm.guardian.record.access)
    # ------------------------------------------------------------

    @api.model
    def _get_source_models(self):
        """The models findings are about (those of the checks), sorted."""
        return sorted({d["model"] for d in self.env["crm.guardian.scan"]._get_checks().values()})

    @api.model
    def _get_group_models(self):
        return set(MEMBER_FIELDS)

    @api.model
    def _get_group_domain(self):
        # the duplicate checks' section: in the findings' partial indexes
        return [("section", "=", "duplicates")]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_scan_now(self, checks=None):
        """Scan Now, for the Manage group: queues the scan for the scheduled action
        (it runs as superuser, in the background) and returns a notification."""
        self.env["crm.guardian.rule"].check_access("write")
        return (
            self.env["crm.guardian.scan"]
            .with_context(guardian_requested_by=self.env.uid)
            ._enqueue_scan(checks=checks)
        )

    def action_view_record(self):
        """Open the finding's record (a duplicate group: its first readable member)."""
        self.ensure_one()
        record = self._viewer_record()
        if not record:
            raise UserError(self.env._("You may not read any record of this finding."))
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    def action_merge(self):
        """Open Odoo's own merge tool with the group's mergeable members preselected:
        the members the user may read, active, and for leads not won. When members were
        left out, a notification says how many and why before the tool opens."""
        self.ensure_one()
        if self.res_model not in MEMBER_FIELDS or not self.member_res_ids:
            return False
        members = self[MEMBER_FIELDS[self.res_model]]
        mergeable = members.filtered(
            lambda r: r.active and not (r._name == "crm.lead" and r.stage_id.is_won)
        )
        reasons = []
        if self.member_hidden_count:
            reasons.append(
                self.env._("%(count)s not visible to you", count=self.member_hidden_count)
            )
        if len(members) > len(mergeable):
            reasons.append(
                self.env._("%(count)s won or archived", count=len(members) - len(mergeable))
            )
        # a fuzzy group lists a deleted member until its rescan
        deleted = self.member_count - len(members) - self.member_hidden_count
        if deleted > 0:
            reasons.append(self.env._("%(count)s deleted", count=deleted))
        if len(mergeable) < 2:
            raise UserError(
                self.env._(
                    "Fewer than two members of this group can be merged (%(reasons)s).",
                    reasons=", ".join(reasons),
                )
            )
        lead = self.res_model == "crm.lead"
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge") if lead else self.env._("Merge Contacts"),
            "res_model": "crm.merge.opportunity" if lead else "base.partner.merge.automatic.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": self.res_model,
                "active_ids": mergeable.ids,
                "active_id": mergeable[:1].id,
            },
        }
        if not reasons:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "title": self.env._("Some members are left out"),
                "message": self.env._(
                    "%(shown)s of %(count)s members open in the merge tool; left out: %(reasons)s.",
                    shown=len(mergeable),
                    count=self.member_count,
                    reasons=", ".join(reasons),
                ),
                "sticky": False,
                "next": action,
            },
        }

    def action_mark_not_duplicates(self):
        """Mark the group's pairs (those the user sees) as not duplicates; see
        ``crm.guardian.duplicate.pair.action_mark_not_duplicate``."""
        self.ensure_one()
        pairs = self.duplicate_pair_ids
        if not pairs:
            raise UserError(self.env._("This group has no pair you can mark."))
        return pairs.action_mark_not_duplicate()

    def _resolve_empty_duplicate_groups(self, keys):
        """Resolve the open fuzzy duplicate groups of ``keys`` that have no pair left
        (all marked as not duplicates), with a note on their chatter."""
        Pair = self.env["crm.guardian.duplicate.pair"].sudo()
        left = set(Pair.search([("group_key", "in", list(keys))]).mapped("group_key"))
        findings = self.search(
            [("key", "in", [k for k in keys if k not in left]), ("state", "!=", "resolved")]
        )
        if findings:
            findings.write({"state": "resolved", "resolved_date": fields.Datetime.now()})
            findings._message_log_batch(
                bodies={
                    finding.id: self.env._("Resolved: marked as not duplicates.")
                    for finding in findings
                }
            )

    def action_view_members(self):
        """The members the user may read (the others are counted on the form)."""
        self.ensure_one()
        model = self.res_model if self.res_model in MEMBER_FIELDS else "crm.lead"
        records = self[MEMBER_FIELDS[model]]
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", records.ids)],
            "context": {"active_test": False},
        }
