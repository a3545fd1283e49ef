import itertools

from odoo import api, fields, models, tools
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.sql import create_index, drop_index, make_index_name

from .crm_guardian_scan import HIGH_RISK

MEMBER_FIELDS = {"crm.lead": "lead_ids", "res.partner": "partner_ids"}
# work_mem of a transaction that searches findings under the access check (see _search)
ACCESS_WORK_MEM = "64MB"
# a page (limited search) under the access check first looks for its findings among
# the first (offset + limit) * PAGE_WINDOW findings of the order (see _search_page),
# for pages up to PAGE_WINDOW_MAX findings deep
PAGE_WINDOW = 10
PAGE_WINDOW_MAX = 2000
# indexes of earlier versions (see init())
OLD_INDEXES = (
    "crm_guardian_finding_open_section_idx",
    "crm_guardian_finding_open_access_idx",
    "crm_guardian_finding_open_order_idx",
)
# the partial indexes of the findings: {name: (columns, where)}
OPEN = "state = 'open'"
PARTIAL_INDEXES = {
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
    # the scan: standing findings of a check, by record (resolution, deleted records)
    "crm_guardian_finding_standing_idx": (['"check"', "res_id"], "state IN ('open', 'dismissed')"),
}
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
    _inherit = ["mail.thread"]
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
    check = fields.Selection(selection="_selection_check", required=True, readonly=True)
    section = fields.Selection(selection="_selection_section", required=True, readonly=True)
    rule_id = fields.Many2one("crm.guardian.rule", readonly=True, ondelete="set null")
    rule_domain = fields.Char(related="rule_id.domain", string="Condition")
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
    age_days = fields.Integer(string="Age (days)", readonly=True, aggregator="avg")
    threshold = fields.Integer(readonly=True, aggregator=None)
    amount = fields.Monetary(readonly=True)
    risk_score = fields.Integer(string="Risk", readonly=True, aggregator="avg")
    high_risk = fields.Boolean(
        compute="_compute_high_risk",
        store=True,
        help="Risk score of 50 or more (dashboard cards).",
    )
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
        cr = self.env.cr
        # Every night a full scan rewrites the findings whose age changed, i.e. nearly
        # all. The columns that change with age (age, risk, reason, level) are in no
        # index, and half of each page is kept free, so these are HOT updates: the new
        # row version goes to the same page and no index is touched (bench: 232,000
        # findings updated in about half the time).
        cr.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [self._table])
        if "fillfactor=50" not in (cr.fetchone()[0] or []):
            cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 50)", SQL.identifier(self._table)))
        for name, (columns, where) in PARTIAL_INDEXES.items():
            create_index(cr, name, self._table, columns, where=where)
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

    @api.depends("risk_score")
    def _compute_high_risk(self):
        # the scan writes the column itself, in SQL (see _run_check)
        for finding in self:
            finding.high_risk = finding.risk_score >= HIGH_RISK

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
    def _get_source_models(self):
        """The models findings are about (those of the checks), sorted."""
        return sorted({d["model"] for d in self.env["crm.guardian.scan"]._get_checks().values()})

    @api.model
    def _get_record_access_queries(self, models_=None):
        """``[(model, query)]`` for each source model (of ``models_`` if given) whose
        records the current user may read: ``query`` selects the readable records
        (``_search`` applies the user's record rules), or is ``None`` when every record
        of the model is readable (no rule, or rules that hold for every record: see
        :meth:`_rule_holds_everywhere`). Models without read access are left out.
        """
        result = []
        facts = {}
        for model in self._get_source_models():
            if models_ is not None and model not in models_:
                continue
            if model not in self.env or not self.env[model].has_access("read"):
                continue
            Model = self.env[model].with_context(active_test=False)
            rule_domain = self.env["ir.rule"]._compute_domain(model, "read")
            if not rule_domain or self._rule_holds_everywhere(Model, rule_domain, facts):
                result.append((model, None))
                continue
            result.append((model, Model._search([], order="id")))
        return result

    @api.model
    def _rule_holds_everywhere(self, Model, domain, facts):
        """Whether the record-rule ``domain`` of ``Model`` is true for every record.

        Proven, never guessed: only the always-true leaf and multi-company leaves on a
        stored many2one to ``res.company`` (``in``, ``=``, ``child_of``, ``parent_of``)
        are understood, and a company leaf holds for a non-empty company only when its
        companies include every company of the database (the foreign key allows no
        other value) and for an empty one only when it accepts ``False``. The domain is
        evaluated in three-valued logic (true, false, unknown) for each possible
        emptiness of the company fields (only non-empty for a NOT NULL column, or for
        an indexed one that has no empty value in the table now); any other leaf is
        unknown. So the typical ``company_id in company_ids (+ [False])`` rule of a
        user with every company selected is skipped, and nothing else. ``facts``
        keeps the ids of all companies and the columns without empty values for the
        current call (a query each, never cached longer: a company or a record created
        in the transaction counts at once).
        """
        domain = expression.normalize_domain(domain)
        company_fields = {
            leaf[0]
            for leaf in domain
            if isinstance(leaf, (list, tuple))
            and len(leaf) == 3
            and isinstance(leaf[0], str)
            and (field := Model._fields.get(leaf[0]))
            and field.type == "many2one"
            and field.comodel_name == "res.company"
            and field.store
            and not field.inherited
        }
        if company_fields and "companies" not in facts:
            self.env.cr.execute(SQL("SELECT ARRAY(SELECT id FROM res_company)"))
            facts["companies"] = set(self.env.cr.fetchone()[0])
        all_companies = facts.get("companies", set())

        def leaf_value(leaf, null):
            if tuple(leaf) == expression.TRUE_LEAF:
                return True
            if tuple(leaf) == expression.FALSE_LEAF:
                return False
            name, operator, value = leaf
            if name not in null or operator not in ("in", "=", "child_of", "parent_of"):
                return None
            try:
                values = set(value) if isinstance(value, (list, tuple, set)) else {value}
            except TypeError:  # not hashable: not company ids
                return None
            ids = {v for v in values if v and isinstance(v, int) and not isinstance(v, bool)}
            if ids != values - {False, None}:  # not plain company ids
                return None
            if null[name]:  # an empty company
                if operator in ("in", "="):
                    return False in values or None in values
                return None
            # a non-empty company: all of them match, or unknown
            return True if ids >= all_companies else None

        def evaluate(pos, null):
            token = domain[pos]
            if token in ("&", "|"):
                left, pos = evaluate(pos + 1, null)
                right, pos = evaluate(pos, null)
                if token == "&":
                    value = (
                        False
                        if False in (left, right)
                        else (True if left is True and right is True else None)
                    )
                else:
                    value = (
                        True
                        if True in (left, right)
                        else (False if left is False and right is False else None)
                    )
                return value, pos
            if token == "!":
                value, pos = evaluate(pos + 1, null)
                return (None if value is None else not value), pos
            return leaf_value(token, null), pos + 1

        nullable = [name for name in company_fields if not self._is_not_null(Model._table, name)]
        failing = []  # the columns empty in each case where the domain may not hold
        for case in itertools.product((False, True), repeat=len(nullable)):
            null = dict.fromkeys(company_fields, False)
            null.update(zip(nullable, case, strict=True))
            value, end = evaluate(0, null)
            if end != len(domain):
                return False
            if value is not True:
                failing.append([name for name in nullable if null[name]])
        # A case with empty companies is no counterexample when one of its columns has
        # no empty value in the table (e.g. the invoices' "company in my companies"
        # rule): asked of the database in the current snapshot, so it holds for the
        # query that follows; only for indexed columns (an index probe).
        return all(
            any(self._has_no_null(Model, name, facts) for name in names) for names in failing
        )

    def _has_no_null(self, Model, fname, facts):
        """Whether no record of ``Model`` has an empty ``fname`` (a stored column),
        known only for an indexed column (else ``False``); ``facts`` keeps the answer
        for the call."""
        key = ("no_null", Model._name, fname)
        if key not in facts:
            facts[key] = False
            if self._is_indexed(Model._table, fname):
                Model.flush_model([fname])
                facts[key] = not self.env.execute_query(
                    SQL(
                        "SELECT 1 FROM %s WHERE %s IS NULL LIMIT 1",
                        SQL.identifier(Model._table),
                        SQL.identifier(fname),
                    )
                )
        return facts[key]

    @tools.ormcache("table", "column")
    def _is_indexed(self, table, column):
        """Whether an index of the table starts with the column (so that an ``IS
        NULL`` test is a probe); the schema changes only when modules are updated."""
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                " WHERE i.indrelid = %s::regclass AND a.attname = %s AND i.indpred IS NULL"
                " LIMIT 1",
                table,
                column,
            )
        )
        return bool(self.env.cr.fetchone())

    @tools.ormcache("table", "column")
    def _is_not_null(self, table, column):
        """Whether the column has a NOT NULL constraint (the schema changes only when
        modules are updated, which resets the registry and its caches)."""
        self.env.cr.execute(
            SQL(
                "SELECT attnotnull FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attname = %s",
                table,
                column,
            )
        )
        row = self.env.cr.fetchone()
        return bool(row and row[0])

    @api.model
    def _get_record_access_sql(self, alias, models_=None, ids=None, access=None):
        """SQL condition on the findings of table alias ``alias``: their record is
        readable by the current user (in one of ``models_`` if given).

        Per model: nothing to check when every record is readable (one
        ``res_model IN`` test for all of them), else ``res_id IN`` the records the
        user's rules allow. Alone (a search on one model: the dashboard counts per
        model) PostgreSQL runs it as a semi-join; inside the OR of several models as a
        hashed subplan, built only when a finding of the model is met. (A correlated
        EXISTS would let PostgreSQL probe per finding, but it costs the OR with the
        probe plan: estimates in the millions, and JIT compilation of a page query.)
        With ``ids`` (findings already known: access check of records), each subquery
        is restricted to the records of these findings, so that no hash of all the
        readable records is built for a page. ``access``: the result of
        :meth:`_get_record_access_queries` when already computed.
        """
        free = []
        conditions = []
        res_model = SQL.identifier(alias, "res_model")
        if access is None:
            access = self._get_record_access_queries(models_)
        for model, query in access:
            if query is None:
                free.append(model)
                continue
            if ids is not None:
                query.add_where(
                    SQL(
                        "%s IN (SELECT res_id FROM %s WHERE id IN %s AND res_model = %s)",
                        SQL.identifier(query.table, "id"),
                        SQL.identifier(self._table),
                        tuple(ids),
                        model,
                    )
                )
            conditions.append(
                SQL(
                    "(%s = %s AND %s IN %s)",
                    res_model,
                    model,
                    SQL.identifier(alias, "res_id"),
                    query.subselect(),
                )
            )
        if free:
            conditions.insert(0, SQL("%s IN %s", res_model, tuple(free)))
        if not conditions:
            return SQL("FALSE")
        return SQL("(%s)", SQL(" OR ").join(conditions))

    @api.model
    def _get_domain_models(self, domain):
        """The models a domain restricts ``res_model`` to (top-level ``=`` / ``in``
        leaves of a pure conjunction), or ``None``: the access check then covers these
        models only, a single EXISTS that PostgreSQL can run as a semi-join."""
        domain = expression.normalize_domain(list(domain or []))
        if any(isinstance(item, str) and item in ("|", "!") for item in domain):
            return None
        models_ = None
        for leaf in domain:
            if not isinstance(leaf, (list, tuple)) or len(leaf) != 3 or leaf[0] != "res_model":
                continue
            operator, value = leaf[1], leaf[2]
            if operator == "=" and isinstance(value, str):
                values = {value}
            elif operator == "in" and isinstance(value, (list, tuple, set)):
                values = {v for v in value if isinstance(v, str)}
            else:
                continue
            models_ = values if models_ is None else models_ & values
        return models_

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if not self.env.su and limit and (offset or 0) + limit <= PAGE_WINDOW_MAX:
            page = self._search_page(domain, offset or 0, limit, order)
            if page is not None:
                return page
        query = super()._search(domain, offset=offset, limit=limit, order=order)
        if self.env.su or query.is_empty():
            return query
        query.add_where(self._get_record_access_sql(query.table, self._get_domain_models(domain)))
        # the access check is an "IN (readable records)" per model inside an OR, a
        # subplan PostgreSQL must hash to stay fast; with the default work_mem (4 MB:
        # about 100,000 ids) a salesperson's readable leads at a million leads are
        # re-read for every finding (minutes). For this transaction only.
        self.env.cr.execute(SQL("SET LOCAL work_mem = %s", ACCESS_WORK_MEM))
        return query

    @api.model
    def _search_page(self, domain, offset, limit, order):
        """A page of findings under the access check, from a window of the order: the
        first ``(offset + limit) * PAGE_WINDOW`` findings of ``domain`` (the index of
        the default order, no access check), whose records are checked for these
        findings only (probes by id). The readable ones come in the same order as in
        the whole result, so the window holds the page when it holds ``offset +
        limit`` readable findings, or when it holds all the findings. Else ``None``:
        the page is searched as a whole (see :meth:`_search`).

        The whole search hashes every readable record of each model it meets in the
        order (100,000 sale orders, 200,000 leads of a salesperson at a million
        leads: most of a page's time). ``None`` too when every record is readable
        (nothing to check: the whole search is an index scan)."""
        access = self._get_record_access_queries(self._get_domain_models(domain))
        if all(query is None for _model, query in access):
            return None
        window = (offset + limit) * PAGE_WINDOW
        query = super()._search(domain, limit=window, order=order)
        candidates = self._execute_serial(
            query.select(*(SQL.identifier(query.table, f) for f in ("id", "res_model", "res_id")))
        )
        res_ids = {}
        for _id, model, res_id in candidates:
            res_ids.setdefault(model, set()).add(res_id)
        readable = {}  # model: readable record ids among the candidates' (None: all)
        for model, records in access:
            if records is None or model not in res_ids:
                readable[model] = None if records is None else set()
                continue
            records.add_where(
                SQL("%s IN %s", SQL.identifier(records.table, "id"), tuple(res_ids[model]))
            )
            readable[model] = set(records)
        found = [
            finding_id
            for finding_id, model, res_id in candidates
            if model in readable and (readable[model] is None or res_id in readable[model])
        ]
        if len(candidates) == window and len(found) < offset + limit:
            return None
        return self.browse(found[offset : offset + limit])._as_query()

    @api.model
    def _execute_serial(self, query):
        """Rows of ``query``, planned without parallel workers: for a window of a few
        hundred findings PostgreSQL picks a parallel index scan whose workers take
        longer to start than the scan (25 ms instead of 7 at a million leads)."""
        cr = self.env.cr
        cr.execute("SHOW max_parallel_workers_per_gather")
        workers = cr.fetchone()[0]
        cr.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        rows = self.env.execute_query(query)
        # (on an error, the rollback of the transaction or savepoint restores it)
        cr.execute(SQL("SET LOCAL max_parallel_workers_per_gather = %s", workers))
        return rows

    @api.model
    def _search_per_source(self, domain, models_=None, access=None):
        """``_search(domain)`` split in parts that together return the same findings:
        one for all the source models whose records are all readable, one per other
        source model (of ``models_`` only, if given). Each part checks one model's
        access, which PostgreSQL runs as a semi-join (a count over all findings)
        instead of a subplan per model inside an OR. ``access``: the result of
        :meth:`_get_record_access_queries` when already computed. Returns a list of
        queries (nothing to find: empty list)."""
        if self.env.su:
            if models_ is not None:
                domain = expression.AND([domain, [("res_model", "in", list(models_))]])
            return [super()._search(domain)]
        if access is None:
            access = self._get_record_access_queries()
        if models_ is not None:
            access = [item for item in access if item[0] in models_]
        free = [item for item in access if item[1] is None]
        parts = ([free] if free else []) + [[item] for item in access if item[1] is not None]
        queries = []
        for part in parts:
            models_ = [model for model, _query in part]
            query = super()._search(expression.AND([domain, [("res_model", "in", models_)]]))
            if query.is_empty():
                continue
            query.add_where(self._get_record_access_sql(query.table, access=part))
            queries.append(query)
        return queries

    @api.model
    def search_count(self, domain, limit=None):
        """Counts the parts of :meth:`_search_per_source` (disjoint: one ``res_model``
        each, so the same number), with semi-joins instead of a subplan per model
        inside an OR. Unlimited (the pager's "10000+" clicked, an export): their sum.
        With a limit (the list's pager counts to 10,001): the parts in turn, each
        limited, the models whose records are all readable first, so that a count
        stops before it has to read the readable records of another model (a subplan
        in the plain query hashes them all: the 500,000 invoices of a salesperson at
        a million leads, half a second)."""
        if self.env.su:
            return super().search_count(domain, limit=limit)
        queries = self._search_per_source(domain)
        if not queries:
            return 0
        if limit:
            query = SQL("SELECT COUNT(*) FROM %s AS capped", self._union_limited(queries, limit))
        else:
            query = SQL(
                "SELECT SUM(n) FROM (%s) AS parts",
                SQL(" UNION ALL ").join(
                    SQL("(%s)", query.select(SQL("COUNT(*) AS n"))) for query in queries
                ),
            )
        return int(self.env.execute_query(query)[0][0] or 0)

    @api.model
    def _union_limited(self, queries, limit, column="id"):
        """SQL subquery: ``column`` of the findings of ``queries`` (disjoint parts, in
        this order), ``limit`` rows at most; each part is limited too, so that
        PostgreSQL plans each for its first rows and runs a part only if the ones
        before it did not reach the limit."""
        parts = []
        for query in queries:
            query.limit = limit
            parts.append(SQL("(%s)", query.select(SQL.identifier(query.table, column))))
        return SQL(
            "(SELECT %s FROM (%s) AS parts LIMIT %s)",
            SQL.identifier(column),
            SQL(" UNION ALL ").join(parts),
            limit,
        )

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or operation != "read" or not any(self._ids):
            return result
        ids = [record_id for record_id in self._ids if record_id]
        query = super()._search([("id", "in", ids)])
        query.add_where(self._get_record_access_sql(query.table, ids=ids))
        allowed = set(query)
        forbidden = self.browse(record_id for record_id in ids if record_id not in allowed)
        if forbidden:
            return forbidden, lambda: self.env["ir.rule"]._make_access_error(operation, forbidden)
        return None

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
