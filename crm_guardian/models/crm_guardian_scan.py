import csv
import hashlib
import io
import logging
import math
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

# Risk formula (documented in readme/DESCRIPTION.md):
#   risk = min(100, round(weight * (25 * min(ratio, 3) + min(25, 5 * log10(1 + amount)))))
# ratio = age / threshold for timed checks (1 when the threshold is 0); checks can
# return their own ratio (expiring quotations, incomplete data, duplicate groups).
RATIO_CAP = 3.0

INCREMENTAL_CHECKS = (
    "stale_lead",
    "quotation_followup",
    "quotation_draft",
    "quotation_expiring",
    "invoice_overdue",
    "conversion_gap",
    "lead_incomplete",
    "customer_incomplete",
    "company_no_email_contact",
    "lead_duplicate_email",
    "lead_duplicate_phone",
    "partner_duplicate_email",
    "company_duplicate_name",
    "quotation_signature",
)

# work_mem of the scan's transaction (see CrmGuardianScan._scan)
SCAN_WORK_MEM = "128MB"

# Findings written by a scan above which it refreshes the table's statistics
ANALYZE_AFTER_WRITES = 10000

# Safety margin of an incremental rescan (see CrmGuardianScan._scan_since)
INCREMENTAL_MARGIN = timedelta(hours=1)

# Finding columns every check fills (the rest: check-specific, or defaults)
SCANNED_FIELDS = (
    "name",
    "check",
    "section",
    "res_model",
    "res_id",
    "rule_id",
    "partner_id",
    "user_id",
    "team_id",
    "company_id",
    "reference_date",
    "age_days",
    "threshold",
    "amount",
    "risk_score",
    "high_risk",
    "reason",
    "severity_level",
)
# risk score from which a finding counts as high risk (dashboard cards, filter)
HIGH_RISK = 50


class CrmGuardianScan(models.AbstractModel):
    """The check registry and the scan service.

    A check is a key of :meth:`_get_checks` plus a method ``_check_<code>(rule, domain,
    now)`` returning a list of finding values. Another addon adds a check by inheriting
    this model, extending ``_get_checks`` and shipping a baseline ``crm.guardian.rule``.
    """

    _name = "crm.guardian.scan"
    _description = "CRM Guardian Scan Service"

    # ------------------------------------------------------------
    # REGISTRY
    # ------------------------------------------------------------

    @api.model
    def _get_checks(self):
        """Return ``{code: {name, section, model, sequence, incremental}}`` of every check.

        ``incremental``: the check finds one finding per record and only from the
        record, its chatter and activities (see :meth:`_changed_domain`) and thresholds
        in whole days (``_day_cutoff``): a same-day rescan may look at changed records
        only.
        ``watch``: relational fields whose records the check also reads; an incremental
        rescan counts a record as changed when one of them was written.
        ``group_field``: the check finds one finding per value of this field shared by
        several records (duplicates); incrementally, only the values of changed records
        are regrouped.
        """
        checks = {
            "stale_lead": {
                "name": self.env._("Stale lead"),
                "section": "rescue",
                "model": "crm.lead",
                "sequence": 10,
            },
            "quotation_followup": {
                "name": self.env._("Quotation sent, not followed up"),
                "section": "rescue",
                "model": "sale.order",
                "sequence": 20,
            },
            "quotation_draft": {
                "name": self.env._("Draft quotation never sent"),
                "section": "rescue",
                "model": "sale.order",
                "sequence": 30,
            },
            "quotation_expiring": {
                "name": self.env._("Quotation expiring soon"),
                "section": "rescue",
                "model": "sale.order",
                "sequence": 40,
            },
            "invoice_overdue": {
                "name": self.env._("Overdue customer invoice"),
                "section": "rescue",
                "model": "account.move",
                "sequence": 50,
            },
            "conversion_gap": {
                "name": self.env._("Conversion gap"),
                "section": "rescue",
                "model": "crm.lead",
                "sequence": 60,
                "watch": ("partner_id",),
            },
            "lead_incomplete": {
                "name": self.env._("Incomplete lead"),
                "section": "incomplete",
                "model": "crm.lead",
                "sequence": 110,
            },
            "customer_incomplete": {
                "name": self.env._("Customer missing email or phone"),
                "section": "incomplete",
                "model": "res.partner",
                "sequence": 120,
            },
            "company_no_email_contact": {
                "name": self.env._("Company without a contact with an email"),
                "section": "incomplete",
                "model": "res.partner",
                "sequence": 130,
                "watch": ("child_ids",),
            },
            "lead_duplicate_email": {
                "name": self.env._("Leads sharing an email"),
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 210,
                "group_field": "email_normalized",
            },
            "lead_duplicate_phone": {
                "name": self.env._("Leads sharing a phone"),
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 220,
                "group_field": "phone_sanitized",
            },
            "partner_duplicate_email": {
                "name": self.env._("Contacts sharing an email"),
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 230,
                "group_field": "email_normalized",
            },
            "company_duplicate_name": {
                "name": self.env._("Companies with the same name"),
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 240,
                "group_field": "guardian_name_key",
            },
            "quotation_signature": {
                "name": self.env._("Awaiting the customer's signature"),
                "section": "contracts",
                "model": "sale.order",
                "sequence": 410,
            },
        }
        for code in INCREMENTAL_CHECKS:
            checks[code]["incremental"] = True
        return checks

    @api.model
    def _get_sections(self):
        return {
            "rescue": self.env._("Rescue list"),
            "incomplete": self.env._("Incomplete data"),
            "duplicates": self.env._("Possible duplicates"),
            # sales documents awaiting a signature; the OCA contract checks come with
            # crm_guardian_contract
            "contracts": self.env._("Contracts"),
        }

    @api.model
    def _selection_check(self):
        checks = self._get_checks()
        return [
            (code, checks[code]["name"])
            for code in sorted(checks, key=lambda c: checks[c]["sequence"])
        ]

    @api.model
    def _selection_section(self):
        return list(self._get_sections().items())

    # ------------------------------------------------------------
    # SCAN
    # ------------------------------------------------------------

    @api.model
    def _cron_scan(self):
        self._scan()

    @api.model
    def _scan(self, checks=None, now=None):
        """Run ``checks`` (all by default) and sync the findings.

        Creates new findings, updates changed ones, reopens resolved ones that match
        again and resolves the ones that no longer match. Running it twice changes
        nothing. Returns ``{check: {"created": n, "updated": n, "resolved": n}}``.

        Checks marked ``incremental`` are rescanned incrementally on the day of their
        last scan, when their rules did not change since (see :meth:`_scan_since`).
        """
        # superuser: the scan sees every record; the cache holds the changed records
        # of an incremental rescan, shared by the checks of a model
        self = self.sudo().with_context(guardian_changed_ids={})
        now = now or fields.Datetime.now()
        # "id NOT IN (subquery)" (Odoo's "not any" on a one2many) is fast only while
        # PostgreSQL can hash the subquery in work_mem (4 MB by default: about 100,000
        # ids); beyond, it re-reads the subquery for every row, quadratic (hours at a
        # million leads). For this transaction only.
        self.env.cr.execute(SQL("SET LOCAL work_mem = %s", SCAN_WORK_MEM))
        definitions = self._get_checks()
        codes = [code for code in (checks or definitions) if code in definitions]
        Cron = self.env["ir.cron"]
        Rule = self.env["crm.guardian.rule"]
        result = {}
        for done, code in enumerate(codes):
            Cron._notify_progress(done=done, remaining=len(codes) - done)
            rules = Rule.search([("check", "=", code)], order="sequence, id")
            signature = self._rules_signature(code, rules)
            since = self._scan_since(code, rules, signature, now)
            scope = None
            vals_list = []
            for rule, domain in self._get_rule_domains(code, rules):
                if since:
                    domain, scope = self._incremental_domain(code, domain, since)
                vals_list += self._run_check(code, rule, domain, now)
            result[code] = self._sync_findings(code, vals_list, now, scope=scope)
            self._store_scan_state(rules, signature, now)
            _logger.info(
                "CRM Guardian check %s (%s): %s",
                code,
                f"incremental since {since}" if since else "full",
                result[code],
            )
        Cron._notify_progress(done=len(codes), remaining=0)
        written = sum(sum(counts.values()) for counts in result.values())
        if written > ANALYZE_AFTER_WRITES:
            # fresh statistics for the next (incremental) scan's plans; autovacuum
            # would get there, minutes later
            self.env.cr.execute("ANALYZE crm_guardian_finding")
        return result

    @api.model
    def _get_rule_domains(self, code, rules=None):
        """Yield ``(rule, domain)`` so that each record falls in its first rule only.

        The domain of a rule excludes the records matched by the rules before it.
        """
        if rules is None:
            rules = self.env["crm.guardian.rule"].search(
                [("check", "=", code)], order="sequence, id"
            )
        previous = []
        for rule in rules:
            own = rule._get_record_domain()
            negations = [["!", *expression.normalize_domain(dom)] for dom in previous]
            previous.append(own)
            yield rule, expression.AND([own, *negations])

    # ------------------------------------------------------------
    # INCREMENTAL RESCAN
    # ------------------------------------------------------------

    @api.model
    def _rules_signature(self, code, rules):
        """Fingerprint of a check's rules: changes when one is added, edited, archived
        or deleted."""
        text = repr([code, [(rule.id, str(rule.write_date)) for rule in rules]])
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    @api.model
    def _scan_since(self, code, rules, signature, now):
        """Since when records count as changed if this scan may be incremental, else None.

        Incremental when the check is marked ``incremental`` and every rule of it was
        scanned with the same rules (signature) on the day of ``now`` (ages and
        day-based thresholds change with the day: the first scan of a day is full).
        Records count as changed from the start of the last scan's transaction, less
        ``INCREMENTAL_MARGIN``: ``write_date`` is the start of the writer's transaction,
        which may have begun before the last scan and committed after it.
        """
        if not rules or not self._get_checks()[code].get("incremental"):
            return None
        dates = set(rules.mapped("last_scan_date"))
        if set(rules.mapped("last_scan_signature")) != {signature} or len(dates) != 1:
            return None
        last = dates.pop()
        if not last or last.date() != now.date():
            return None
        return last - INCREMENTAL_MARGIN

    @api.model
    def _incremental_domain(self, code, domain, since):
        """Restrict a rule's domain to the records that may have changed since ``since``
        (:meth:`_changed_domain`). An unchanged record cannot newly match on the same
        day: thresholds count whole days (see ``_day_cutoff``), and the first scan of a
        day is full. Unchanged records keep their standing findings as they are: same
        day, same data, same values. Returns the domain and the scope of findings the
        sync may resolve (those of changed records, or of deleted ones).
        """
        definition = self._get_checks()[code]
        Model = self.env[definition["model"]]
        changed_ids = self._changed_ids(Model._name, self._changed_domain(code, since))
        if definition.get("group_field"):
            return self._incremental_group_domain(code, domain, changed_ids)
        domain = expression.AND([domain, [("id", "in", changed_ids)]])
        # findings the sync may resolve: of changed records, or of deleted ones
        scope = SQL(
            """f.res_id IN (
                   SELECT unnest(%(changed)s::int[])
                    UNION ALL
                   SELECT d.res_id FROM crm_guardian_finding d
                    WHERE d.%(check_column)s = %(check)s AND d.state IN ('open', 'dismissed')
                      AND NOT EXISTS (SELECT 1 FROM %(table)s r WHERE r.id = d.res_id))""",
            changed=changed_ids,
            check_column=SQL.identifier("check"),
            check=code,
            table=SQL.identifier(Model._table),
        )
        return domain, scope

    @api.model
    def _changed_ids(self, model, domain):
        """Ids of ``model`` matching ``domain``, cached for the scan (several checks
        read the same changed leads)."""
        cache = self.env.context.get("guardian_changed_ids")
        key = (model, repr(domain))
        if cache is not None and key in cache:
            return cache[key]
        ids = list(self.env[model].with_context(active_test=False)._search(domain))
        if cache is not None:
            cache[key] = ids
        return ids

    @api.model
    def _incremental_group_domain(self, code, domain, changed_ids):
        """Regroup only the values (keys) of changed records, and the keys of the standing
        groups a changed record belongs to (it may have left the group). Returns the
        domain and the findings the sync may resolve: those of these keys."""
        definition = self._get_checks()[code]
        Model = self.env[definition["model"]]
        key_field = definition["group_field"]
        Model.flush_model([key_field])
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT DISTINCT %s FROM %s WHERE id = ANY(%s) AND %s IS NOT NULL",
                SQL.identifier(key_field),
                SQL.identifier(Model._table),
                changed_ids,
                SQL.identifier(key_field),
            )
        )
        keys = {key for (key,) in cr.fetchall()}
        # groups with a changed member: a semi-join on the members (an array overlap
        # "&&" compares every member with every changed id: seconds at 10,000 of each)
        cr.execute(
            SQL(
                """SELECT DISTINCT f.duplicate_key
                     FROM crm_guardian_finding f,
                          unnest(string_to_array(f.member_res_ids, ',')::int[]) AS m(id)
                    WHERE f.%s = %s AND f.state IN ('open', 'dismissed')
                      AND m.id IN (SELECT unnest(%s::int[]))""",
                SQL.identifier("check"),
                code,
                changed_ids,
            )
        )
        keys.update(key for (key,) in cr.fetchall() if key)
        keys = sorted(keys)
        # the keys go to a temporary table with statistics: with "key IN (list)" the
        # planner probes the host's trigram index of email_normalized once per key
        # (each probe reads most of the index: seconds for a thousand keys); knowing
        # the number of keys, it hashes them and reads the table once instead
        cr.execute("DROP TABLE IF EXISTS crm_guardian_scan_keys")
        cr.execute("CREATE TEMPORARY TABLE crm_guardian_scan_keys (key varchar) ON COMMIT DROP")
        cr.execute(SQL("INSERT INTO crm_guardian_scan_keys SELECT unnest(%s::varchar[])", keys))
        cr.execute("ANALYZE crm_guardian_scan_keys")
        members = Model.with_context(active_test=False)._search([])
        members.add_where(
            SQL(
                "%s IN (SELECT key FROM crm_guardian_scan_keys)",
                SQL.identifier(members.table, key_field),
            )
        )
        domain = expression.AND([domain, [("id", "in", members)]])
        return domain, SQL("f.duplicate_key = ANY(%s)", keys)

    @api.model
    def _changed_domain(self, code, since):
        """Records of the check's model touched since ``since``: written, or with a chatter
        message or an activity created or changed, or whose related records named in the
        check's ``watch`` (relational fields: the customer, the contacts) were written."""
        watched = self._get_checks()[code].get("watch", ())
        return expression.OR(
            [
                [("write_date", ">=", since)],
                [("message_ids", "any", [("date", ">=", since)])],
                [("activity_ids", "any", [("write_date", ">=", since)])],
                *([(fname, "any", [("write_date", ">=", since)])] for fname in watched),
            ]
        )

    @api.model
    def _store_scan_state(self, rules, signature, now):
        """Remember the scan of these rules: the start of this transaction, the time
        ``write_date`` of later changes is compared to. A scan computed for another
        day than today (``now`` given, in tests) leaves none: the next one is full."""
        if not rules:
            return
        started = self.env.cr.now()
        if started.date() != now.date():
            started = None
        self.env.cr.execute(
            SQL(
                "UPDATE crm_guardian_rule SET last_scan_date = %s, last_scan_signature = %s "
                "WHERE id IN %s",
                started,
                signature,
                tuple(rules.ids),
            )
        )
        rules.invalidate_recordset(["last_scan_date", "last_scan_signature"])

    @api.model
    def _run_check(self, code, rule, domain, now):
        definition = self._get_checks()[code]
        vals_list = getattr(self, f"_check_{code}")(rule, domain, now)
        common = {
            "check": code,
            "section": definition["section"],
            "res_model": definition["model"],
            "rule_id": rule.id,
        }
        threshold, weight = rule.threshold, rule.weight
        for vals in vals_list:
            vals.setdefault("key", f"{code}:{vals['res_id']}")
            vals.update(common)
            vals.setdefault("threshold", threshold)
            ratio = vals.pop("ratio", None)
            age_days = vals.get("age_days", 0)
            if "severity_level" not in vals:
                vals["severity_level"] = self._severity_level(ratio, age_days, threshold)
            vals["risk_score"] = self._risk(weight, threshold, ratio, age_days, vals.get("amount"))
            vals["high_risk"] = vals["risk_score"] >= HIGH_RISK
        return vals_list

    @api.model
    def _severity_level(self, ratio, age_days, threshold):
        """Thresholds crossed (``floor(age / threshold)``, or of the check's own ratio),
        at least 1: a dismissed finding re-opens when this rises (see ``_sync_findings``).
        Checks set ``severity_level`` themselves when steps mean something else."""
        if ratio is None:
            ratio = age_days / threshold if threshold > 0 else 1
        return max(1, math.floor(ratio))

    @api.model
    def _risk(self, weight, threshold, ratio, age_days, amount):
        if ratio is None:
            ratio = age_days / threshold if threshold > 0 else 1.0
        ratio = max(0.0, min(ratio, RATIO_CAP))
        amount_factor = min(25.0, 5 * math.log10(1 + max(amount or 0.0, 0.0)))
        return max(0, min(100, round(weight * (25 * ratio + amount_factor))))

    # ------------------------------------------------------------
    # SYNC of crm.guardian.finding (as superuser)
    # ------------------------------------------------------------

    @api.model
    def _sync_findings(self, check, vals_list, now, scope=None):
        """Create, update, reopen and resolve the findings of ``check``, in SQL.

        The scanned values are copied (``COPY``) into a temporary table, then merged
        into ``crm_guardian_finding`` with four set-based statements: re-open candidates,
        ``UPDATE`` of the changed ones (a fingerprint of the scanned columns,
        ``sync_hash``, tells), ``INSERT`` of the new ones, resolution of the missing ones.
        An ORM create/write per finding costs milliseconds each: minutes at a million.

        Created/updated by: NULL, i.e. the scan (the user who ran it means nothing here, and
        a user id would cost a foreign-key check per finding written).

        A dismissed finding is re-opened when its dismissal period ended
        (``dismiss_until <= today``) or when its ``severity_level`` rose above the
        level at dismissal; a message on its chatter says why.

        ``scope``: an SQL condition on the finding ``f``; when given (incremental
        rescan), only the findings meeting it may be resolved.
        """
        self = self.sudo()
        Finding = self.env["crm.guardian.finding"]
        Finding.flush_model()
        cr = self.env.cr
        rows = {}
        for vals in vals_list:
            vals = self._prepare_sync_vals(vals)
            rows[vals["key"]] = vals
        columns = self._sql_columns(set(SCANNED_FIELDS).union(*rows.values()) - {"key"})
        self._copy_scan_rows(columns, rows.values())
        table = SQL.identifier("crm_guardian_scan_rows")
        names = [SQL.identifier(fname) for fname, _type in columns]
        fingerprint = SQL("md5(ROW(%s)::text)", SQL(", ").join(SQL("t.%s", name) for name in names))
        scanned = SQL("(SELECT t.*, %s AS sync_hash FROM %s t)", fingerprint, table)

        # dismissed findings whose dismissal ended or whose evidence got worse
        cr.execute(
            SQL(
                """SELECT f.id, f.dismiss_until, f.dismissed_level, t.severity_level, t.reason
                     FROM crm_guardian_finding f JOIN %s t ON t.key = f.key
                    WHERE f.state = 'dismissed'
                      AND (f.dismiss_until <= %s
                           OR COALESCE(t.severity_level, 0) > COALESCE(f.dismissed_level, 0))""",
                table,
                now.date(),
            )
        )
        reopened = {}
        for finding_id, until, dismissed_level, level, reason in cr.fetchall():
            why = self._reopen_reason(
                {"severity_level": level, "reason": reason}, dismissed_level, until, now.date()
            )
            if why:
                reopened[finding_id] = escape(why)
        reopen_ids = list(reopened)

        cr.execute(
            SQL(
                """UPDATE crm_guardian_finding f
                      SET %(assign)s, sync_hash = t.sync_hash,
                          state = CASE WHEN f.state = 'resolved' OR f.id = ANY(%(reopen)s)
                                       THEN 'open' ELSE f.state END,
                          resolved_date = CASE WHEN f.state = 'resolved' THEN NULL
                                               ELSE f.resolved_date END,
                          dismiss_until = CASE WHEN f.id = ANY(%(reopen)s) THEN NULL
                                               ELSE f.dismiss_until END,
                          write_uid = NULL, write_date = %(now)s
                     FROM %(scanned)s t
                    WHERE f.key = t.key
                      AND (f.state = 'resolved' OR f.id = ANY(%(reopen)s)
                           OR f.sync_hash IS DISTINCT FROM t.sync_hash)""",
                assign=SQL(", ").join(SQL("%s = t.%s", name, name) for name in names),
                reopen=reopen_ids,
                now=now,
                scanned=scanned,
            )
        )
        updated = cr.rowcount

        defaults = {
            fname: value
            for fname, value in Finding._add_missing_default_values({}).items()
            if fname not in dict(columns) and not Finding._fields[fname].type.endswith("2many")
        }
        default_columns = self._sql_columns(defaults)
        # the keys that exist were updated above; the unique key skips them. (Not an
        # anti-join on the findings: on a first scan PostgreSQL plans it on an empty
        # table, a nested loop rereading the rows this INSERT adds, quadratic: hours
        # at a million findings.)
        cr.execute(
            SQL(
                """INSERT INTO crm_guardian_finding
                          (key, %(names)s, sync_hash, %(default_names)s
                           create_uid, create_date, write_uid, write_date)
                   SELECT t.key, %(values)s, t.sync_hash, %(default_values)s
                          NULL, %(now)s, NULL, %(now)s
                     FROM %(scanned)s t
                       ON CONFLICT (key) DO NOTHING""",
                names=SQL(", ").join(names),
                values=SQL(", ").join(SQL("t.%s", name) for name in names),
                default_names=SQL("").join(
                    SQL("%s, ", SQL.identifier(fname)) for fname, _type in default_columns
                ),
                default_values=SQL("").join(
                    SQL("%s::%s, ", self._sql_value(defaults[fname]), SQL(column_type))
                    for fname, column_type in default_columns
                ),
                now=now,
                scanned=scanned,
            )
        )
        created = cr.rowcount

        cr.execute(
            SQL(
                """UPDATE crm_guardian_finding f
                      SET state = 'resolved', resolved_date = %(now)s,
                          write_uid = NULL, write_date = %(now)s
                    WHERE f.%(check_column)s = %(check)s AND f.state IN ('open', 'dismissed')
                      AND NOT EXISTS (SELECT 1 FROM %(table)s t WHERE t.key = f.key)
                      %(scope)s""",
                scope=SQL("AND %s", scope) if scope is not None else SQL(),
                now=now,
                check_column=SQL.identifier("check"),
                check=check,
                table=table,
            )
        )
        resolved = cr.rowcount
        cr.execute(SQL("DROP TABLE %s", table))
        Finding.invalidate_model()
        if reopened:
            # chatter history of the reopening; one message per reopened finding,
            # posted in one batch (few findings reopen per scan)
            Finding.browse(reopen_ids)._message_log_batch(bodies=reopened)
        return {
            "created": created,
            "updated": updated,
            "resolved": resolved,
            "reopened": len(reopened),
        }

    @api.model
    def _copy_scan_rows(self, columns, vals_list):
        """``COPY`` the scanned values into the temporary table ``crm_guardian_scan_rows``
        (the fastest way into PostgreSQL: one round trip for any number of rows)."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS crm_guardian_scan_rows")
        cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE crm_guardian_scan_rows (key varchar PRIMARY KEY, %s) "
                "ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(fname), SQL(column_type))
                    for fname, column_type in columns
                ),
            )
        )
        names = ["key", *(fname for fname, _type in columns)]
        booleans = [
            (index, fname)
            for index, (fname, column_type) in enumerate(columns, start=1)  # 0: the key
            if column_type == "bool"
        ]

        def row(vals):
            # the ORM writes False as NULL, but in boolean columns
            values = [None if value is False else value for value in map(vals.get, names)]
            for index, name in booleans:
                values[index] = vals.get(name)
            return values

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(map(row, vals_list))
        buffer.seek(0)
        cr.copy_expert(
            SQL(
                "COPY crm_guardian_scan_rows (%s) FROM STDIN WITH (FORMAT csv)",
                SQL(", ").join(SQL.identifier(name) for name in names),
            ).code,
            buffer,
        )
        # a temporary table has no statistics: without them the merge plans badly
        cr.execute("ANALYZE crm_guardian_scan_rows")

    @api.model
    def _reopen_reason(self, vals, dismissed_level, dismiss_until, today):
        """Why a dismissed finding re-opens (a sentence), or ``None`` if it stays."""
        if dismiss_until and dismiss_until <= today:
            return self.env._(
                "Re-opened: the dismissal ended on %(date)s.",
                date=format_date(self.env, dismiss_until),
            )
        level = vals.get("severity_level") or 0
        if level > (dismissed_level or 0):
            return self.env._(
                "Re-opened: the evidence got worse (level %(new)s > %(old)s): %(reason)s",
                new=level,
                old=dismissed_level or 0,
                reason=vals.get("reason") or "",
            )
        return None

    @api.model
    def _sql_columns(self, fnames):
        """``[(fname, column type)]`` of the stored finding fields among ``fnames``."""
        Finding = self.env["crm.guardian.finding"]
        return [
            (fname, Finding._fields[fname].column_type[1])
            for fname in sorted(fnames)
            if fname in Finding._fields
            and Finding._fields[fname].store
            and Finding._fields[fname].column_type
        ]

    @api.model
    def _sql_value(self, value):
        # the ORM writes False as NULL for every column type but booleans
        return None if value is False else value

    @api.model
    def _prepare_sync_vals(self, vals):
        if "lead_ids" not in vals and "partner_ids" not in vals:
            return vals
        vals = dict(vals)
        for fname in ("lead_ids", "partner_ids"):
            if fname in vals:
                vals["member_res_ids"] = ",".join(str(i) for i in sorted(vals.pop(fname)))
        return vals
