"""Record access of rows about another model's records (Odoo's "a row is visible when
its document is", as ``mail.activity``'s ``_search`` / ``_check_access``)."""

import itertools

from odoo import api, models, tools
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.planner import planner_settings

# work_mem of a transaction that searches findings under the access check (see _search)
ACCESS_WORK_MEM = "64MB"
# a page (limited search) under the access check first looks for its findings among
# the first (offset + limit) * PAGE_WINDOW findings of the order (see _search_page),
# for pages up to PAGE_WINDOW_MAX findings deep
PAGE_WINDOW = 10
PAGE_WINDOW_MAX = 2000
# the columns of a finding its access check reads (see _readable_among)
ACCESS_COLUMNS = ("id", "res_model", "res_id", "member_res_ids")


# planner settings of the statements of pages and counts (see _execute_serial)
SERIAL_SETTINGS = {"max_parallel_workers_per_gather": "0", "jit": "off"}
BY_INDEX_SETTINGS = {"enable_seqscan": "off"}


def _and3(left, right):
    """Three-valued AND (True, False, None: unknown)."""
    if False in (left, right):
        return False
    return True if left is True and right is True else None


def _or3(left, right):
    """Three-valued OR (True, False, None: unknown)."""
    if True in (left, right):
        return True
    return False if left is False and right is False else None


def _company_leaf_value(leaf, null, all_companies):
    """A leaf's value when the company fields of ``null`` are empty (True) or not:
    True / False when proven, None when unknown (see _rule_holds_everywhere)."""
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


def _evaluate_domain(domain, pos, null, all_companies):
    """``(value, next position)`` of the normalized ``domain``'s term at ``pos``, in
    three-valued logic (:func:`_company_leaf_value` for its leaves)."""
    token = domain[pos]
    if token in ("&", "|"):
        left, pos = _evaluate_domain(domain, pos + 1, null, all_companies)
        right, pos = _evaluate_domain(domain, pos, null, all_companies)
        return (_and3 if token == "&" else _or3)(left, right), pos
    if token == "!":
        value, pos = _evaluate_domain(domain, pos + 1, null, all_companies)
        return (None if value is None else not value), pos
    return _company_leaf_value(token, null, all_companies), pos + 1


class CrmGuardianRecordAccess(models.AbstractModel):
    """A row is readable when the current user may read its record.

    Contract of the model that inherits it: ``res_model`` (Char) and ``res_id``
    (Many2oneReference) name the record; ``member_res_ids`` (Char, comma-separated
    ids, empty for a plain row) lists the records of a group (e.g. duplicates), which
    is readable when one of its members is; :meth:`_get_source_models` and
    :meth:`_get_group_models` say which models rows are about. It filters
    ``_search``, ``search_count`` and ``_check_access`` (read) as ``mail.activity``
    does; other models count and list through :meth:`_get_record_access_queries`,
    :meth:`_search_per_source`, :meth:`_union_limited` and :meth:`_readable_among`.
    """

    _name = "crm.guardian.record.access"
    _description = "CRM Guardian: Record Access"

    @api.model
    def _get_source_models(self):
        """The models the rows are about, sorted."""
        return []

    @api.model
    def _get_group_models(self):
        """The models whose rows may be groups (``member_res_ids``)."""
        return set()

    @api.model
    def _get_group_domain(self):
        """A domain that holds for every row that is a group (and for few others),
        on indexed columns: counts check the rows outside it by record only."""
        return [("member_res_ids", "!=", False)]

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
        company_fields = self._company_fields(Model, domain)
        if company_fields and "companies" not in facts:
            self.env.cr.execute(SQL("SELECT ARRAY(SELECT id FROM res_company)"))
            facts["companies"] = set(self.env.cr.fetchone()[0])
        all_companies = facts.get("companies", set())
        nullable = [name for name in company_fields if not self._is_not_null(Model._table, name)]
        failing = []  # the columns empty in each case where the domain may not hold
        for case in itertools.product((False, True), repeat=len(nullable)):
            null = dict.fromkeys(company_fields, False)
            null.update(zip(nullable, case, strict=True))
            value, end = _evaluate_domain(domain, 0, null, all_companies)
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

    @api.model
    def _company_fields(self, Model, domain):
        """The fields of ``domain``'s leaves that are stored, own many2ones to
        ``res.company`` (the leaves :func:`_company_leaf_value` may prove)."""
        return {
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
    def _get_record_access_sql(self, alias, models_=None, access=None, groups=None, domain=()):
        """SQL condition on the findings of table alias ``alias``: their record is
        readable by the current user (in one of ``models_`` if given).

        Per model: nothing to check when every record is readable (one
        ``res_model IN`` test for all of them), else ``res_id IN`` the records the
        user's rules allow. Alone (a search on one model: the dashboard counts per
        model) PostgreSQL runs it as a semi-join; inside the OR of several models as a
        hashed subplan, built only when a finding of the model is met. (A correlated
        EXISTS would let PostgreSQL probe per finding, but it costs the OR with the
        probe plan: estimates in the millions, and JIT compilation of a page query.)
        Findings already known (a read, a page's window) are checked by
        :meth:`_readable_among` instead. ``access``: the result of
        :meth:`_get_record_access_queries` when already computed.

        A group (a row in :meth:`_get_group_domain`) is visible when one of its
        members is readable. ``groups=False``: ``res_id`` only (a semi-join; the
        groups readable through a member only are counted apart, see
        :meth:`_search_per_source`).
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
            conditions.append(
                SQL(
                    "(%s = %s AND %s)",
                    res_model,
                    model,
                    self._access_condition(alias, model, query, groups, domain),
                )
            )
        if free:
            conditions.insert(0, SQL("%s IN %s", res_model, tuple(free)))
        if not conditions:
            return SQL("FALSE")
        return SQL("(%s)", SQL(" OR ").join(conditions))

    @api.model
    def _access_condition(self, alias, model, query, groups=None, domain=()):
        """SQL: a finding of ``model`` (table alias ``alias``) is readable, its record
        (or for a duplicate group one of its members) among those of ``query``; see
        :meth:`_get_record_access_sql` for ``groups``."""
        record = SQL("%s IN %s", SQL.identifier(alias, "res_id"), query.subselect())
        if model not in self._get_group_models() or groups is False:
            return record
        return SQL(
            "(%s OR %s IN %s)",
            record,
            SQL.identifier(alias, "id"),
            self._group_members_query(model, query, domain).subselect(),
        )

    @api.model
    def _group_members_query(self, model, records, domain=()):
        """Query of the rows of ``model`` in :meth:`_get_group_domain` (and in
        ``domain``: the caller's, so that the same indexes apply) with a member among
        ``records`` (a query of readable records): an uncorrelated join of the groups'
        members, hashed once, not a subplan per row."""
        groups = super()._search(
            expression.AND([list(domain), self._get_group_domain(), [("res_model", "=", model)]])
        )
        members = SQL(
            "unnest(string_to_array(%s, ',')::int[])",
            SQL.identifier(groups.table, "member_res_ids"),
        )
        groups.add_join("JOIN", "guardian_member", members, SQL("TRUE"))
        groups.add_where(SQL("%s IN %s", SQL.identifier("guardian_member"), records.subselect()))
        groups.order = None
        return groups

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
        query.add_where(
            self._get_record_access_sql(query.table, self._get_domain_models(domain), domain=domain)
        )
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
        findings only (:meth:`_readable_among`). The readable ones come in the same order as in
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
            query.select(*(SQL.identifier(query.table, f) for f in ACCESS_COLUMNS))
        )
        readable = self._readable_among(candidates, access)
        found = [row[0] for row in candidates if row[0] in readable]
        if len(candidates) == window and len(found) < offset + limit:
            return None
        return self.browse(found[offset : offset + limit])._as_query()

    @api.model
    def _readable_among(self, rows, access=None):
        """Ids of the findings of ``rows`` (``ACCESS_COLUMNS``) whose record the
        current user may read (a duplicate group: one of its members): per source
        model, one query for the readable records among theirs (probes by id), instead
        of subplans over every readable record. ``access``: the result of
        :meth:`_get_record_access_queries` when already computed."""
        if access is None:
            access = self._get_record_access_queries()
        res_ids = {}
        rows = [
            (finding_id, model, [int(i) for i in (members or "").split(",") if i] or [res_id])
            for finding_id, model, res_id, members in rows
        ]
        for _id, model, record_ids in rows:
            res_ids.setdefault(model, set()).update(record_ids)
        readable = {}  # model: its readable records among those of rows (None: all)
        for model, records in access:
            if records is None or model not in res_ids:
                readable[model] = None if records is None else set()
                continue
            records.add_where(
                SQL("%s IN %s", SQL.identifier(records.table, "id"), tuple(res_ids[model]))
            )
            readable[model] = set(records)
        return {
            finding_id
            for finding_id, model, record_ids in rows
            if model in readable
            and (readable[model] is None or not readable[model].isdisjoint(record_ids))
        }

    @api.model
    def _execute_serial(self, query, by_index=False):
        """Rows of ``query`` (an SQL or a Query), planned without parallel workers and
        without JIT compilation, for this statement only (the settings are restored
        after it; on an error, the rollback of the transaction or savepoint restores
        them). The statements of a page or of the dashboard's counts read a few
        thousand index entries at most, but their estimates (every record a
        salesperson may read, a million leads) lead PostgreSQL to start parallel
        workers, which take longer to start than the scan (25 ms instead of 7 for a
        page's window), and past ``jit_above_cost`` to compile the plan (0.5 s of
        LLVM for a 30 ms count).

        ``by_index``: sequential scans only where no index serves (the cards' capped
        counts). Their index is on the section and high-risk flag; on a compact table
        whose visibility map is not yet set (after the upgrade's rewrite, before
        autovacuum) PostgreSQL estimated a sequential scan cheaper, stopping at the
        10,001st finding, and read all 2.5 million findings of a million leads to
        count none (0.4 s) where the index says it at once."""
        settings = dict(SERIAL_SETTINGS, **(BY_INDEX_SETTINGS if by_index else {}))
        with planner_settings(self.env.cr, settings):
            return self.env.execute_query(query)

    @api.model
    def _search_per_source(self, domain, models_=None, access=None):
        """``_search(domain)`` split in parts that together return the same findings:
        one for all the source models whose records are all readable, one per other
        source model (of ``models_`` only, if given). Each part checks one model's
        access, which PostgreSQL runs as a semi-join (a count over all findings)
        instead of a subplan per model inside an OR. ``access``: the result of
        :meth:`_get_record_access_queries` when already computed. Then, per model
        with groups, the groups readable through a member only (not their record).
        Returns a list of disjoint queries (nothing to find: empty list)."""
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
            query.add_where(self._get_record_access_sql(query.table, access=part, groups=False))
            queries.append(query)
        # groups readable through a member only (their record is not): one more part
        # per model (for a domain without groups, e.g. another section, PostgreSQL's
        # plan stops at a one-time filter)
        group_models = self._get_group_models()
        for model, records in access:
            if records is None or model not in group_models:
                continue
            part_domain = [("res_model", "=", model), *self._get_group_domain()]
            query = super()._search(expression.AND([domain, part_domain]))
            if query.is_empty():
                continue
            res_id = SQL.identifier(query.table, "res_id")
            query.add_where(SQL("%s NOT IN %s", res_id, records.subselect()))
            query.add_where(
                SQL(
                    "%s IN %s",
                    SQL.identifier(query.table, "id"),
                    self._group_members_query(model, records, domain).subselect(),
                )
            )
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
        return int(self._execute_serial(query)[0][0] or 0)

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
        allowed = self._readable_among(
            self.env.execute_query(
                query.select(*(SQL.identifier(query.table, f) for f in ACCESS_COLUMNS))
            )
        )
        forbidden = self.browse(record_id for record_id in ids if record_id not in allowed)
        if forbidden:
            return forbidden, lambda: self.env["ir.rule"]._make_access_error(operation, forbidden)
        return None
