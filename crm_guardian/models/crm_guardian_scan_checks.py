from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from .crm_guardian_scan import RATIO_CAP


class CrmGuardianScan(models.AbstractModel):
    """The core checks: rescue list, incomplete data, possible duplicates, signatures.

    Each reads the matching records as rows, in one query (:meth:`_fetch_rows`), and
    returns finding values; the scan service (``crm_guardian_scan.py``) adds the
    rule, risk and severity, and merges them into the findings.
    """

    _inherit = "crm.guardian.scan"

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _base_vals(self, record, reference, now, **extra):
        """Finding values of a record (checks that work on records)."""
        reference_date = fields.Date.to_date(reference) if reference else False
        vals = {
            "res_id": record.id,
            "name": record.display_name,
            "reference_date": reference_date,
            "age_days": (now.date() - reference_date).days if reference_date else 0,
        }
        vals.update(extra)
        return vals

    @api.model
    def _day_cutoff(self, now, days):
        """The start of the day ``days - 1`` days before the day of ``now``: a date or
        time before it is at least ``days`` days old in whole days (UTC), the age a
        finding shows. The core checks count their thresholds in days this way, so a
        check finds the same for an unchanged record all day long: a same-day rescan
        looks at changed records only (see ``_incremental_domain``). (Service-level
        checks, such as the helpdesk addon's, measure time to the minute and are not
        incremental.)"""
        return datetime.combine(now.date() - timedelta(days=days - 1), time.min)

    @api.model
    def _fetch_rows(self, model, domain, columns):
        """Rows (dicts) of the records of ``model`` matching ``domain``, one query.

        ``columns`` maps a row key to a field name, a many2one path (``"partner_id.email"``,
        one LEFT JOIN per path) or a callable ``(query) -> SQL``. Rows are plain values,
        no records: reading a million leads as records costs minutes, as rows seconds.
        """
        return self.env.execute_query_dict(self._rows_sql(model, domain, columns))

    @api.model
    def _rows_sql(self, model, domain, columns):
        """The query of :meth:`_fetch_rows`, not run: checks evaluated in SQL select
        their finding rows from it (see ``_finding_rows_sql``)."""
        Model = self.env[model]
        query = Model._search(domain)
        selects = []
        for alias, column in columns.items():
            if callable(column):
                sql = column(query)
            else:
                sql = self._path_to_sql(Model, query.table, column, query)
            selects.append(SQL("%s AS %s", sql, SQL.identifier(alias)))
        return query.select(*selects)

    @api.model
    def _found_sql(self, rows, reference_date, reason_params, **extra):
        """A check's finding rows in SQL (the contract of ``_finding_rows_sql``) from
        ``rows`` (:meth:`_rows_sql`, aliased ``r``, with the ``_owned_columns`` and
        ``name``): ``reference_date`` and ``reason_params`` are SQL expressions on
        ``r``; ``extra`` gives ``amount``, ``ratio`` or ``severity_level``."""
        return SQL(
            """SELECT r.id AS res_id, r.name, (%(reference)s)::date AS reference_date,
                      r.partner_id, r.user_id, r.team_id, r.company_id,
                      (%(amount)s)::numeric AS amount, (%(params)s)::jsonb AS reason_params,
                      (%(ratio)s)::float8 AS ratio, (%(level)s)::int4 AS severity_level
                 FROM (%(rows)s) r""",
            reference=reference_date,
            amount=extra.get("amount", SQL("NULL")),
            params=reason_params,
            ratio=extra.get("ratio", SQL("NULL")),
            level=extra.get("severity_level", SQL("NULL")),
            rows=rows,
        )

    @api.model
    def _missing_labels_sql(self, labels_missing):
        """The reason fact listing the labels whose condition (SQL on ``r``) holds:
        :meth:`_missing_labels` in SQL, as jsonb."""
        return SQL(
            "jsonb_build_object('labels', to_jsonb(array_remove(ARRAY[%s]::varchar[], NULL)))",
            SQL(", ").join(
                SQL("CASE WHEN %s THEN %s END", missing, label) for label, missing in labels_missing
            ),
        )

    @api.model
    def _filled_sql(self, *columns):
        """SQL: one of the columns of ``r`` is set (not NULL, not empty), as Python's
        truth of the fetched values."""
        return SQL(" OR ").join(
            SQL("COALESCE(%s::varchar, '') != ''", SQL.identifier("r", column))
            for column in columns
        )

    @api.model
    def _path_to_sql(self, model, alias, path, query):
        fname, _dot, rest = path.partition(".")
        if not rest:
            return model._field_to_sql(alias, fname, query)
        comodel = self.env[model._fields[fname].comodel_name]
        co_alias = query.left_join(alias, fname, comodel._table, "id", fname)
        return self._path_to_sql(comodel, co_alias, rest, query)

    @api.model
    def _last_message_sql(self, model):
        """Date of the record's last chatter message, as a correlated subquery."""

        def build(query):
            return SQL(
                "(SELECT MAX(m.date) FROM mail_message m WHERE m.model = %s AND m.res_id = %s)",
                model,
                SQL.identifier(query.table, "id"),
            )

        return build

    @api.model
    def _row_vals(self, row, reference, today, **extra):
        """Finding values of a fetched row; its keys ``id``, ``name`` and, when present,
        ``partner_id``, ``user_id``, ``team_id``, ``company_id``, ``amount``."""
        reference_date = reference.date() if isinstance(reference, datetime) else reference
        vals = {
            "res_id": row["id"],
            "name": row["name"],
            "reference_date": reference_date or False,
            "age_days": (today - reference_date).days if reference_date else 0,
        }
        for fname in ("partner_id", "user_id", "team_id", "company_id", "amount"):
            if row.get(fname) is not None:
                vals[fname] = row[fname]
        vals.update(extra)
        return vals

    @api.model
    def _aged_vals_list(self, rows, reference, now, params=None):
        """Finding values of ``rows`` aged from ``reference(row)``; their reason's facts
        (``reason_params``, see crm.guardian.reason) are ``params(row)``: the date, age
        and threshold are added when the reason is read."""
        today = now.date()
        vals_list = []
        for row in rows:
            vals = self._row_vals(row, reference(row), today)
            vals["reason_params"] = params(row) if params else {}
            vals_list.append(vals)
        return vals_list

    @api.model
    def _missing_labels(self, labels, presence):
        """The reason fact listing the labels (crm.guardian.reason ``_labels`` keys)
        whose presence flag is false."""
        return {
            "labels": [
                label for label, present in zip(labels, presence, strict=True) if not present
            ]
        }

    # ------------------------------------------------------------
    # RESCUE CHECKS
    # ------------------------------------------------------------

    def _open_lead_domain(self):
        """Active leads not in a won stage; a lead without a stage is open (as in crm)."""
        return [
            ("active", "=", True),
            "|",
            ("stage_id", "=", False),
            ("stage_id.is_won", "=", False),
        ]

    _owned_columns = {
        "id": "id",
        "partner_id": "partner_id",
        "user_id": "user_id",
        "team_id": "team_id",
        "company_id": "company_id",
    }

    def _check_stale_lead(self, rule, domain, now):
        """Open leads with no stage change, chatter message or new activity for N days.

        Last touch = latest of ``date_last_stage_update`` (or ``create_date``), the last
        ``mail.message`` on the lead (emails, notes, logged/done activities) and the
        creation of an activity.
        """
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND(
            [
                domain,
                self._open_lead_domain(),
                [
                    "|",
                    ("date_last_stage_update", "<", cutoff),
                    "&",
                    ("date_last_stage_update", "=", False),
                    ("create_date", "<", cutoff),
                ],
                [("message_ids", "not any", [("date", ">=", cutoff)])],
                [("activity_ids", "not any", [("create_date", ">=", cutoff)])],
            ]
        )
        rows = self._rows_sql(
            "crm.lead",
            domain,
            {
                **self._owned_columns,
                "name": "name",
                "stage_changed": "date_last_stage_update",
                "created": "create_date",
                "stage_id": "stage_id",
                "last_message": self._last_message_sql("crm.lead"),
            },
        )
        return self._found_sql(
            rows,
            SQL("GREATEST(COALESCE(r.stage_changed, r.created), r.last_message)"),
            SQL(
                """CASE WHEN r.stage_id IS NULL
                        THEN '{"stage": {"labels": ["no stage"]}}'::jsonb
                        ELSE jsonb_build_object('stage', jsonb_build_object(
                            'record', jsonb_build_array('crm.stage', r.stage_id)))
                   END"""
            ),
        )

    _order_columns = {
        **_owned_columns,
        "name": "name",
        "date_order": "date_order",
        "validity_date": "validity_date",
        "amount": "amount_total",
    }

    def _check_quotation_followup(self, rule, domain, now):
        """Sent quotations with no chatter message since N days after the quotation date."""
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("state", "=", "sent"), ("date_order", "<", cutoff)],
                [("message_ids", "not any", [("date", ">=", cutoff)])],
            ]
        )
        rows = self._fetch_rows(
            "sale.order",
            domain,
            {**self._order_columns, "last_message": self._last_message_sql("sale.order")},
        )
        return self._aged_vals_list(
            rows, lambda row: max(filter(None, (row["date_order"], row["last_message"]))), now
        )

    def _check_quotation_draft(self, rule, domain, now):
        """Draft quotations whose quotation date is older than N days."""
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND([domain, [("state", "=", "draft"), ("date_order", "<", cutoff)]])
        rows = self._fetch_rows("sale.order", domain, self._order_columns)
        return self._aged_vals_list(rows, lambda row: row["date_order"], now)

    def _check_quotation_expiring(self, rule, domain, now):
        """Draft or sent quotations whose expiration date is within the next N days."""
        today = now.date()
        limit = today + timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                [
                    ("state", "in", ("draft", "sent")),
                    ("validity_date", ">=", today),
                    ("validity_date", "<=", limit),
                ],
            ]
        )
        rows = self._fetch_rows("sale.order", domain, self._order_columns)
        vals_list = []
        for row in rows:
            days_left = (row["validity_date"] - today).days
            vals = self._row_vals(
                row,
                row["validity_date"],
                today,
                # whole steps (the risk changes when it does): 2 on its last day
                ratio=1 if days_left else 2,
                severity_level=1,
                reason_params={},
            )
            vals_list.append(vals)
        return vals_list

    @api.model
    def _invoice_name_sql(self, query):
        """account.move's display name of a posted invoice: its number (and reference)."""
        return SQL(
            "%s || COALESCE(' (' || NULLIF(LEFT(%s, 50), '') || ')', '')",
            SQL.identifier(query.table, "name"),
            SQL.identifier(query.table, "ref"),
        )

    def _check_invoice_overdue(self, rule, domain, now):
        """Posted customer invoices not paid N days after their due date.

        The rule's minimum amount applies to the amount due in company currency.
        """
        cutoff = now.date() - timedelta(days=rule.threshold)
        conditions = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", cutoff),
        ]
        if rule.amount_threshold:
            conditions.append(("amount_residual_signed", ">=", rule.amount_threshold))

        rows = self._rows_sql(
            "account.move",
            expression.AND([domain, conditions]),
            {
                "id": "id",
                "name": self._invoice_name_sql,
                "partner_id": "commercial_partner_id",
                "user_id": "invoice_user_id",
                "team_id": "team_id",
                "company_id": "company_id",
                "amount": "amount_residual_signed",
                "currency_id": "company_id.currency_id",
                "due": "invoice_date_due",
            },
        )
        # a month overdue weighs like a timed check at its threshold; one level per step
        # of 30 days overdue (or of the threshold, when longer), in whole steps: a
        # dismissed invoice re-opens once it is a step further overdue
        steps = SQL("((%s::date - r.due) / %s)", now.date(), max(rule.threshold, 30))
        return self._found_sql(
            rows,
            SQL("r.due"),
            SQL(
                "jsonb_build_object('amount', jsonb_build_object("
                "'amount', r.amount::float8, 'currency_id', r.currency_id))"
            ),
            amount=SQL("r.amount"),
            ratio=steps,
            severity_level=SQL("GREATEST(1, %s)", steps),
        )

    _conversion_gap_columns = {
        **_owned_columns,
        "name": "name",
        "converted": "date_conversion",
        "created": "create_date",
        "email": "email_from",
        "phone": "phone",
        "street": "street",
        "partner_name": "partner_id.complete_name",
        "partner_email": "partner_id.email",
        "partner_phone": "partner_id.phone",
        "partner_mobile": "partner_id.mobile",
        "partner_street": "partner_id.street",
    }

    def _conversion_gap_domain(self, cutoff):
        """Open opportunities converted (or created) before ``cutoff`` whose customer
        lacks the email, phone or street the lead has."""
        return expression.AND(
            [
                self._open_lead_domain(),
                [("type", "=", "opportunity"), ("partner_id", "!=", False)],
                [
                    "|",
                    ("date_conversion", "<", cutoff),
                    "&",
                    ("date_conversion", "=", False),
                    ("create_date", "<", cutoff),
                ],
                [
                    "|",
                    "|",
                    "&",
                    ("email_from", "!=", False),
                    ("partner_id.email", "=", False),
                    "&",
                    ("phone", "!=", False),
                    "&",
                    ("partner_id.phone", "=", False),
                    ("partner_id.mobile", "=", False),
                    "&",
                    ("street", "!=", False),
                    ("partner_id.street", "=", False),
                ],
            ]
        )

    def _check_conversion_gap(self, rule, domain, now):
        """Opportunities whose customer lacks the email, phone or street the lead has."""
        cutoff = self._day_cutoff(now, rule.threshold)
        rows = self._rows_sql(
            "crm.lead",
            expression.AND([domain, self._conversion_gap_domain(cutoff)]),
            self._conversion_gap_columns,
        )
        gap = self._filled_sql
        missing = self._missing_labels_sql(
            [
                ("email", SQL("(%s) AND NOT (%s)", gap("email"), gap("partner_email"))),
                (
                    "phone",
                    SQL("(%s) AND NOT (%s)", gap("phone"), gap("partner_phone", "partner_mobile")),
                ),
                ("address", SQL("(%s) AND NOT (%s)", gap("street"), gap("partner_street"))),
            ]
        )
        return self._found_sql(
            rows,
            SQL("COALESCE(r.converted, r.created)"),
            SQL("jsonb_build_object('fields', %s, 'partner', r.partner_name)", missing),
        )

    # ------------------------------------------------------------
    # INCOMPLETE DATA CHECKS
    # ------------------------------------------------------------

    def _lead_incomplete_domain(self, cutoff):
        """Open leads created before ``cutoff`` missing email, phone, source,
        salesperson or company name."""
        return expression.AND(
            [
                self._open_lead_domain(),
                [("create_date", "<", cutoff)],
                [
                    "|",
                    "|",
                    "|",
                    "|",
                    ("email_from", "=", False),
                    "&",
                    ("phone", "=", False),
                    ("mobile", "=", False),
                    ("source_id", "=", False),
                    ("user_id", "=", False),
                    "&",
                    ("partner_name", "=", False),
                    ("partner_id", "=", False),
                ],
            ]
        )

    def _check_lead_incomplete(self, rule, domain, now):
        """Open leads older than N days missing email, phone, source, salesperson or
        company name."""
        cutoff = self._day_cutoff(now, rule.threshold)
        rows = self._rows_sql(
            "crm.lead",
            expression.AND([domain, self._lead_incomplete_domain(cutoff)]),
            {
                **self._owned_columns,
                "name": "name",
                "created": "create_date",
                "email": "email_from",
                "phone": "phone",
                "mobile": "mobile",
                "source_id": "source_id",
                "company_name": "partner_name",
            },
        )
        gap = self._filled_sql
        missing = [
            ("email", SQL("NOT (%s)", gap("email"))),
            ("phone", SQL("NOT (%s)", gap("phone", "mobile"))),
            ("source", SQL("NOT (%s)", gap("source_id"))),
            ("salesperson", SQL("NOT (%s)", gap("user_id"))),
            ("company name", SQL("NOT (%s)", gap("company_name", "partner_id"))),
        ]
        count = SQL(" + ").join(SQL("(%s)::int", condition) for _label, condition in missing)
        return self._found_sql(
            rows,
            SQL("r.created"),
            SQL("jsonb_build_object('fields', %s)", self._missing_labels_sql(missing)),
            ratio=SQL("(%s) / 2.0", count),
            severity_level=count,
        )

    _partner_columns = {
        "id": "id",
        "partner_id": "id",
        "name": "complete_name",
        "created": "create_date",
        "user_id": "user_id",
        "company_id": "company_id",
    }

    def _check_customer_incomplete(self, rule, domain, now):
        """Customers (customer rank > 0) older than N days without email or phone."""
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("active", "=", True), ("customer_rank", ">", 0), ("create_date", "<", cutoff)],
                ["|", ("email", "=", False), "&", ("phone", "=", False), ("mobile", "=", False)],
            ]
        )
        rows = self._fetch_rows(
            "res.partner",
            domain,
            {**self._partner_columns, "email": "email", "phone": "phone", "mobile": "mobile"},
        )
        labels = ("email", "phone")
        today = now.date()
        vals_list = []
        for row in rows:
            presence = (row["email"], row["phone"] or row["mobile"])
            count = sum(1 for present in presence if not present)
            vals = self._row_vals(row, row["created"], today, ratio=count / 2, severity_level=count)
            vals["reason_params"] = {"fields": self._missing_labels(labels, presence)}
            vals_list.append(vals)
        return vals_list

    def _check_company_no_email_contact(self, rule, domain, now):
        """Companies older than N days none of whose active contacts has an email."""
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("active", "=", True), ("is_company", "=", True), ("create_date", "<", cutoff)],
                [("child_ids", "not any", [("email", "!=", False)])],
            ]
        )
        rows = self._fetch_rows("res.partner", domain, self._partner_columns)
        today = now.date()
        return [
            self._row_vals(
                row, row["created"], today, ratio=1.0, severity_level=1, reason_params={}
            )
            for row in rows
        ]

    # ------------------------------------------------------------
    # DUPLICATE CHECKS
    # ------------------------------------------------------------

    def _duplicate_member_info(self, model, ids, extra):
        """``{id: row}``: what a duplicate group's finding takes from its members
        (responsible, company, customer, team, and the ``extra`` columns: ``{key:
        field}``), in one query. :meth:`_duplicate_members_sql` computes the same in SQL
        when a member is deleted: change them together."""
        columns = {
            "id": "id",
            "user_id": "user_id",
            "company_id": "company_id",
            "partner_id": "partner_id" if model == "crm.lead" else "id",
            **extra,
        }
        if "team_id" in self.env[model]._fields:
            columns["team_id"] = "team_id"
        rows = self.with_context(active_test=False)._fetch_rows(model, [("id", "in", ids)], columns)
        return {row["id"]: row for row in rows}

    def _duplicate_groups(self, model, key_field, rule, domain, now, label):
        """One finding per value of ``key_field`` shared by 2..N records; ``label``: the
        word of crm.guardian.reason ``_labels`` naming the compared value in the reason.

        N is the rule's threshold (noise guard, default 20): a value shared by more
        records (a switchboard number, a generic mailbox) is ignored. One GROUP BY.
        """
        limit = rule.threshold or 20
        Model = self.env[model]
        groups = Model._read_group(
            expression.AND([domain, [(key_field, "!=", False), ("active", "=", True)]]),
            [key_field],
            ["id:array_agg", "create_date:max"],
            having=[("__count", ">", 1), ("__count", "<=", limit)],
        )
        # one query over all members (a browse per group would query per group)
        info = self._duplicate_member_info(
            model,
            [record_id for _key, ids, _date in groups for record_id in ids],
            {"name": "name" if model == "crm.lead" else "complete_name"},
        )
        member_field = "lead_ids" if model == "crm.lead" else "partner_ids"
        code = self.env.context.get("guardian_check")
        # record access (issue #17): the stored texts name no member (a viewer may not
        # read them all) and the group's customer, team and company are those common to
        # every member, else empty (see crm.guardian.finding _compute_members). The name
        # is the shared value (the check says what is shared), in no language.
        vals_list = []
        for key, ids, last_created in groups:
            ids = sorted(ids)
            first = info[ids[0]]
            reference_date = fields.Date.to_date(last_created)
            vals = {
                "res_id": ids[0],
                "key": f"{code}:{key}",
                "name": key,
                "reference_date": reference_date,
                "age_days": (now.date() - reference_date).days if reference_date else 0,
                "user_id": first["user_id"] or False,
                # record access (issue #17): only values shared by every member
                **self._duplicate_common_values([info[i] for i in ids]),
                "threshold": limit,
                "ratio": min(len(ids) - 1, RATIO_CAP),
                "duplicate_key": key,
                "member_count": len(ids),
                "severity_level": len(ids),
            }
            vals[member_field] = ids
            vals["reason_params"] = {"count": len(ids), "field": {"labels": [label]}, "key": key}
            vals_list.append(vals)
        return vals_list

    @api.model
    def _duplicate_common_values(self, rows):
        """Record access (issue #17): the team, company and customer of a duplicate
        group when every member has the same one, else empty: a group is shown to
        whoever may read one of its members, and must not name another's customer."""
        return {
            fname: rows[0].get(fname) or False
            if all(row.get(fname) == rows[0].get(fname) for row in rows)
            else False
            for fname in ("team_id", "company_id", "partner_id")
        }

    @api.model
    def _exact_group_checks(self, model):
        """Codes of the exact duplicate checks of ``model``: one group per value of a
        field (``group_field``) shared by several records."""
        return sorted(
            code
            for code, definition in self._get_checks().items()
            if definition.get("group_field") and definition["model"] == model
        )

    @api.model
    def _duplicate_members_sql(self, model, members):
        """SQL of one row: what :meth:`_duplicate_groups` takes from a group's members,
        computed from the records of ``model`` among ``members`` (an SQL ``int[]``) that
        still exist: ``n`` (their number), ``ids`` (comma-separated in id order, as
        ``member_res_ids``; NULL for none), ``res_id`` (the first), ``user_id`` (the
        first's), ``team_id``, ``company_id`` and ``partner_id`` (those shared by every
        member, else NULL: :meth:`_duplicate_common_values`) and ``reference_date``
        (the day the newest was created). The columns of
        :meth:`_duplicate_member_info`: change them together."""
        Model = self.env[model]
        partner = "partner_id" if model == "crm.lead" else "id"

        def common(column):
            if not column:
                return SQL("NULL::int4")
            value = SQL.identifier("r", column)
            return SQL(
                "CASE WHEN count(%s) = count(*) AND min(%s) = max(%s) THEN min(%s) END",
                value,
                value,
                value,
                value,
            )

        return SQL(
            """SELECT count(*) AS n, string_agg(r.id::text, ',' ORDER BY r.id) AS ids,
                      min(r.id) AS res_id, (array_agg(r.user_id ORDER BY r.id))[1] AS user_id,
                      %(team)s AS team_id, %(company)s AS company_id,
                      %(partner)s AS partner_id, max(r.create_date)::date AS reference_date
                 FROM %(table)s r WHERE r.id = ANY(%(members)s)""",
            team=common("team_id" if "team_id" in Model._fields else None),
            company=common("company_id"),
            partner=common(partner),
            table=SQL.identifier(Model._table),
            members=members,
        )

    def _check_lead_duplicate_email(self, rule, domain, now):
        return self.with_context(guardian_check="lead_duplicate_email")._duplicate_groups(
            "crm.lead", "email_normalized", rule, domain, now, "email"
        )

    def _check_lead_duplicate_phone(self, rule, domain, now):
        return self.with_context(guardian_check="lead_duplicate_phone")._duplicate_groups(
            "crm.lead", "phone_sanitized", rule, domain, now, "phone"
        )

    def _check_partner_duplicate_email(self, rule, domain, now):
        return self.with_context(guardian_check="partner_duplicate_email")._duplicate_groups(
            "res.partner",
            "email_normalized",
            rule,
            domain,
            now,
            "email",
        )

    def _check_company_duplicate_name(self, rule, domain, now):
        domain = expression.AND([domain, [("is_company", "=", True)]])
        return self.with_context(guardian_check="company_duplicate_name")._duplicate_groups(
            "res.partner",
            "guardian_name_key",
            rule,
            domain,
            now,
            "name",
        )

    # ------------------------------------------------------------
    # CONTRACT CHECKS
    # ------------------------------------------------------------

    def _check_quotation_signature(self, rule, domain, now):
        """Sent quotations that require an online signature and have none after N days."""
        cutoff = self._day_cutoff(now, rule.threshold)
        domain = expression.AND(
            [
                domain,
                [
                    ("state", "=", "sent"),
                    ("require_signature", "=", True),
                    ("signed_on", "=", False),
                    ("date_order", "<", cutoff),
                ],
            ]
        )
        rows = self._fetch_rows("sale.order", domain, self._order_columns)
        return self._aged_vals_list(rows, lambda row: row["date_order"], now)
