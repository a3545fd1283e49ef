import hashlib
import logging
import math
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_date

_logger = logging.getLogger(__name__)

# Risk formula (documented in readme/DESCRIPTION.md):
#   risk = min(100, round(weight * (25 * min(ratio, 3) + min(25, 5 * log10(1 + amount)))))
# ratio = age / threshold for timed checks (1 when the threshold is 0); checks can
# return their own ratio (expiring quotations, incomplete data, duplicate groups).
RATIO_CAP = 3.0


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
        """Return ``{code: {name, section, model, sequence}}`` of every check."""
        return {
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
            },
            "lead_duplicate_email": {
                "name": self.env._("Leads sharing an email"),
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 210,
            },
            "lead_duplicate_phone": {
                "name": self.env._("Leads sharing a phone"),
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 220,
            },
            "partner_duplicate_email": {
                "name": self.env._("Contacts sharing an email"),
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 230,
            },
            "company_duplicate_name": {
                "name": self.env._("Companies with the same name"),
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 240,
            },
        }

    @api.model
    def _get_sections(self):
        return {
            "rescue": self.env._("Rescue list"),
            "incomplete": self.env._("Incomplete data"),
            "duplicates": self.env._("Possible duplicates"),
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
        """
        self = self.sudo()
        now = now or fields.Datetime.now()
        definitions = self._get_checks()
        codes = [code for code in (checks or definitions) if code in definitions]
        Cron = self.env["ir.cron"]
        result = {}
        for done, code in enumerate(codes):
            Cron._notify_progress(done=done, remaining=len(codes) - done)
            vals_list = []
            for rule, domain in self._get_rule_domains(code):
                vals_list += self._run_check(code, rule, domain, now)
            result[code] = self._sync_findings(code, vals_list, now)
            _logger.info("CRM Guardian check %s: %s", code, result[code])
        Cron._notify_progress(done=len(codes), remaining=0)
        return result

    @api.model
    def _get_rule_domains(self, code):
        """Yield ``(rule, domain)`` so that each record falls in its first rule only.

        The domain of a rule excludes the records matched by the rules before it.
        """
        rules = self.env["crm.guardian.rule"].search([("check", "=", code)], order="sequence, id")
        previous = []
        for rule in rules:
            own = rule._get_record_domain()
            negations = [["!", *expression.normalize_domain(dom)] for dom in previous]
            previous.append(own)
            yield rule, expression.AND([own, *negations])

    @api.model
    def _run_check(self, code, rule, domain, now):
        definition = self._get_checks()[code]
        vals_list = getattr(self, f"_check_{code}")(rule, domain, now)
        for vals in vals_list:
            vals.setdefault("key", f"{code}:{vals['res_id']}")
            vals.update(
                check=code,
                section=definition["section"],
                res_model=definition["model"],
                rule_id=rule.id,
            )
            vals.setdefault("threshold", rule.threshold)
            ratio = vals.pop("ratio", None)
            if "severity_level" not in vals:
                vals["severity_level"] = self._severity_level(
                    ratio, vals.get("age_days", 0), rule.threshold
                )
            vals["risk_score"] = self._compute_risk(
                rule, ratio, vals.get("age_days", 0), vals.get("amount", 0.0)
            )
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
    def _compute_risk(self, rule, ratio, age_days, amount):
        if ratio is None:
            ratio = age_days / rule.threshold if rule.threshold > 0 else 1.0
        ratio = max(0.0, min(ratio, RATIO_CAP))
        amount_factor = min(25.0, 5 * math.log10(1 + max(amount or 0.0, 0.0)))
        return max(0, min(100, round(rule.weight * (25 * ratio + amount_factor))))

    # ------------------------------------------------------------
    # SYNC of crm.guardian.finding (as superuser)
    # ------------------------------------------------------------

    @api.model
    def _sync_findings(self, check, vals_list, now):
        """Create, update, reopen and resolve the findings of ``check``.

        Existing findings are read with one query (key, state, fingerprint, dismissal);
        only new, changed or reopened findings are written, in batches of raw SQL
        (``_sql_insert_findings`` / ``_sql_update_findings``): an ORM create/write per
        finding costs milliseconds each, which is minutes at a million leads.

        A dismissed finding is re-opened when its dismissal period ended
        (``dismiss_until <= today``) or when its ``severity_level`` rose above the
        level at dismissal; a message on its chatter says why.
        """
        self = self.sudo()
        Finding = self.env["crm.guardian.finding"]
        Finding.flush_model()
        today = now.date()
        self.env.cr.execute(
            SQL(
                "SELECT key, id, state, sync_hash, dismissed_level, dismiss_until "
                "FROM crm_guardian_finding WHERE %s = %s",
                SQL.identifier("check"),
                check,
            )
        )
        existing = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        to_create = []
        to_update = []
        reopened = {}
        for vals in vals_list:
            vals = self._prepare_sync_vals(vals)
            current = existing.pop(vals["key"], None)
            if current is None:
                vals.setdefault("state", "open")
                to_create.append(vals)
                continue
            finding_id, state, sync_hash, dismissed_level, dismiss_until = current
            if state == "resolved":
                vals.update(state="open", resolved_date=False)
            elif state == "dismissed":
                why = self._reopen_reason(vals, dismissed_level, dismiss_until, today)
                if why:
                    vals.update(state="open", dismiss_until=False)
                    reopened[finding_id] = escape(why)
                elif sync_hash == vals["sync_hash"]:
                    continue
            elif sync_hash == vals["sync_hash"]:
                continue
            vals["id"] = finding_id
            to_update.append(vals)
        resolve_ids = [
            finding_id
            for finding_id, state, _hash, _level, _until in existing.values()
            if state != "resolved"
        ]
        self._sql_insert_findings(to_create, now)
        self._sql_update_findings(to_update, now)
        if resolve_ids:
            self._sql_update_findings(
                [{"id": i, "state": "resolved", "resolved_date": now} for i in resolve_ids], now
            )
        Finding.invalidate_model()
        if reopened:
            findings = Finding.browse(list(reopened))
            # chatter history of the reopening; one message per reopened finding,
            # posted in one batch (few findings reopen per scan)
            findings._message_log_batch(bodies=reopened)
        return {
            "created": len(to_create),
            "updated": len(to_update),
            "resolved": len(resolve_ids),
            "reopened": len(reopened),
        }

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
        Finding = self.env["crm.guardian.finding"]
        return [
            (fname, Finding._fields[fname].column_type[1])
            for fname in sorted(fnames)
            if Finding._fields[fname].store and Finding._fields[fname].column_type
        ]

    @api.model
    def _sql_value(self, value):
        # the ORM writes False as NULL for every column type but booleans
        return None if value is False else value

    @api.model
    def _sql_insert_findings(self, vals_list, now, batch=5000):
        """Insert findings with one INSERT per batch (fills the ORM's log columns)."""
        if not vals_list:
            return
        Finding = self.env["crm.guardian.finding"]
        fnames = set().union(*vals_list)
        # defaults of fields other modules add (e.g. activity cooldown dates)
        defaults = {
            fname: value
            for fname, value in Finding._add_missing_default_values({}).items()
            if fname not in fnames and not Finding._fields[fname].type.endswith("2many")
        }
        columns = self._sql_columns(fnames | set(defaults))
        names = [fname for fname, _type in columns]
        uid = self.env.uid
        for start in range(0, len(vals_list), batch):
            rows = [
                SQL(
                    "(%s)",
                    SQL(", ").join(
                        SQL("%s::%s", self._sql_value(vals.get(n, defaults.get(n))), SQL(t))
                        for n, t in columns
                    ),
                )
                for vals in vals_list[start : start + batch]
            ]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crm_guardian_finding (%s, create_uid, create_date, write_uid, "
                    "write_date) SELECT v.*, %s, %s, %s, %s FROM (VALUES %s) AS v",
                    SQL(", ").join(SQL.identifier(n) for n in names),
                    uid,
                    now,
                    uid,
                    now,
                    SQL(", ").join(rows),
                )
            )

    @api.model
    def _sql_update_findings(self, vals_list, now, batch=5000):
        """``UPDATE ... FROM (VALUES ...)``, one statement per batch and set of fields."""
        by_fields = {}
        for vals in vals_list:
            by_fields.setdefault(frozenset(vals) - {"id"}, []).append(vals)
        uid = self.env.uid
        for fnames, group in by_fields.items():
            columns = self._sql_columns(fnames)
            for start in range(0, len(group), batch):
                rows = [
                    SQL(
                        "(%s::int4, %s)",
                        vals["id"],
                        SQL(", ").join(
                            SQL("%s::%s", self._sql_value(vals[n]), SQL(t)) for n, t in columns
                        ),
                    )
                    for vals in group[start : start + batch]
                ]
                self.env.cr.execute(
                    SQL(
                        "UPDATE crm_guardian_finding f SET %s, write_uid = %s, write_date = %s "
                        "FROM (VALUES %s) AS v(id, %s) WHERE f.id = v.id",
                        SQL(", ").join(
                            SQL("%s = v.%s", SQL.identifier(n), SQL.identifier(n))
                            for n, _t in columns
                        ),
                        uid,
                        now,
                        SQL(", ").join(rows),
                        SQL(", ").join(SQL.identifier(n) for n, _t in columns),
                    )
                )

    @api.model
    def _prepare_sync_vals(self, vals):
        vals = dict(vals)
        for fname in ("lead_ids", "partner_ids"):
            if fname in vals:
                vals["member_res_ids"] = ",".join(str(i) for i in sorted(vals.pop(fname)))
        fingerprint = repr(sorted((k, v) for k, v in vals.items() if k != "key"))
        vals["sync_hash"] = hashlib.md5(fingerprint.encode(), usedforsecurity=False).hexdigest()
        return vals

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _last_message_dates(self, model, ids):
        """``{res_id: date of the last chatter message}``, one query."""
        if not ids:
            return {}
        groups = self.env["mail.message"]._read_group(
            [("model", "=", model), ("res_id", "in", ids)], ["res_id"], ["date:max"]
        )
        return dict(groups)

    @api.model
    def _base_vals(self, record, reference, now, **extra):
        reference_date = fields.Date.to_date(reference) if reference else False
        vals = {
            "res_id": record.id,
            "name": record.display_name,
            "reference_date": reference_date,
            "age_days": (now.date() - reference_date).days if reference_date else 0,
        }
        vals.update(extra)
        return vals

    # ------------------------------------------------------------
    # RESCUE CHECKS
    # ------------------------------------------------------------

    def _open_lead_domain(self):
        return [("active", "=", True), ("stage_id.is_won", "=", False)]

    def _check_stale_lead(self, rule, domain, now):
        """Open leads with no stage change, chatter message or new activity for N days.

        Last touch = latest of ``date_last_stage_update`` (or ``create_date``), the last
        ``mail.message`` on the lead (emails, notes, logged/done activities) and the
        creation of an activity.
        """
        cutoff = now - timedelta(days=rule.threshold)
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
        leads = self.env["crm.lead"].search_fetch(
            domain,
            [
                "display_name",
                "date_last_stage_update",
                "create_date",
                "partner_id",
                "user_id",
                "team_id",
                "company_id",
                "stage_id",
            ],
        )
        messages = self._last_message_dates("crm.lead", leads.ids)
        vals_list = []
        for lead in leads:
            touches = [lead.date_last_stage_update or lead.create_date]
            if messages.get(lead.id):
                touches.append(messages[lead.id])
            last = max(touches)
            vals = self._owned_vals(
                lead,
                last,
                now,
            )
            vals["reason"] = self.env._(
                "No stage change, message or new activity for %(age)s days in stage "
                "%(stage)s (last touch %(date)s; threshold %(threshold)s days).",
                age=vals["age_days"],
                stage=lead.stage_id.name,
                date=vals["reference_date"],
                threshold=rule.threshold,
            )
            vals_list.append(vals)
        return vals_list

    def _owned_vals(self, record, reference, now, **extra):
        """Finding values of a record with customer, salesperson, team and company
        (leads, quotations)."""
        return self._base_vals(
            record,
            reference,
            now,
            partner_id=record.partner_id.id,
            user_id=record.user_id.id,
            team_id=record.team_id.id,
            company_id=record.company_id.id,
            **extra,
        )

    def _order_vals(self, order, reference, now, **extra):
        return self._owned_vals(
            order,
            reference,
            now,
            amount=order.amount_total,
            **extra,
        )

    _order_fields = (
        "display_name",
        "date_order",
        "validity_date",
        "partner_id",
        "user_id",
        "team_id",
        "company_id",
        "amount_total",
        "currency_id",
    )

    def _check_quotation_followup(self, rule, domain, now):
        """Sent quotations with no chatter message since N days after the quotation date."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("state", "=", "sent"), ("date_order", "<", cutoff)],
                [("message_ids", "not any", [("date", ">=", cutoff)])],
            ]
        )
        orders = self.env["sale.order"].search_fetch(domain, self._order_fields)
        messages = self._last_message_dates("sale.order", orders.ids)
        vals_list = []
        for order in orders:
            last = max(filter(None, [order.date_order, messages.get(order.id)]))
            vals = self._order_vals(order, last, now)
            vals["reason"] = self.env._(
                "Quotation sent and not followed up for %(age)s days (last touch %(date)s; "
                "threshold %(threshold)s days).",
                age=vals["age_days"],
                date=vals["reference_date"],
                threshold=rule.threshold,
            )
            vals_list.append(vals)
        return vals_list

    def _check_quotation_draft(self, rule, domain, now):
        """Draft quotations whose quotation date is older than N days."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND([domain, [("state", "=", "draft"), ("date_order", "<", cutoff)]])
        orders = self.env["sale.order"].search_fetch(domain, self._order_fields)
        vals_list = []
        for order in orders:
            vals = self._order_vals(order, order.date_order, now)
            vals["reason"] = self.env._(
                "Draft quotation dated %(date)s never sent to the customer (%(age)s days; "
                "threshold %(threshold)s days).",
                date=vals["reference_date"],
                age=vals["age_days"],
                threshold=rule.threshold,
            )
            vals_list.append(vals)
        return vals_list

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
        orders = self.env["sale.order"].search_fetch(domain, self._order_fields)
        vals_list = []
        for order in orders:
            days_left = (order.validity_date - today).days
            vals = self._order_vals(order, order.validity_date, now)
            vals.update(
                age_days=days_left,
                ratio=1 + (rule.threshold - days_left) / max(rule.threshold, 1),
                severity_level=1,
                reason=self.env._(
                    "Quotation expires on %(date)s, in %(days)s days (threshold %(threshold)s "
                    "days).",
                    date=order.validity_date,
                    days=days_left,
                    threshold=rule.threshold,
                ),
            )
            vals_list.append(vals)
        return vals_list

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
        invoices = self.env["account.move"].search_fetch(
            expression.AND([domain, conditions]),
            [
                "display_name",
                "invoice_date_due",
                "partner_id",
                "invoice_user_id",
                "team_id",
                "company_id",
                "amount_residual_signed",
                "company_currency_id",
            ],
        )
        vals_list = []
        for invoice in invoices:
            vals = self._base_vals(
                invoice,
                invoice.invoice_date_due,
                now,
                partner_id=invoice.partner_id.commercial_partner_id.id,
                user_id=invoice.invoice_user_id.id,
                team_id=invoice.team_id.id,
                company_id=invoice.company_id.id,
                amount=invoice.amount_residual_signed,
            )
            # a month overdue weighs like a timed check at its threshold
            vals["ratio"] = vals["age_days"] / max(rule.threshold, 30)
            # one level per step of 30 days overdue (or of the threshold, when longer):
            # a dismissed invoice re-opens once it is a step further overdue
            vals["severity_level"] = self._severity_level(
                None, vals["age_days"], max(rule.threshold, 30)
            )
            amount_due = format_amount(
                self.env, invoice.amount_residual_signed, invoice.company_currency_id
            )
            vals["reason"] = self.env._(
                "%(amount)s due since %(date)s: %(age)s days overdue (threshold %(threshold)s "
                "days).",
                amount=amount_due,
                date=invoice.invoice_date_due,
                age=vals["age_days"],
                threshold=rule.threshold,
            )
            vals_list.append(vals)
        return vals_list

    def _check_conversion_gap(self, rule, domain, now):
        """Opportunities whose customer lacks the email, phone or street the lead has."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                self._open_lead_domain(),
                [("type", "=", "opportunity"), ("partner_id", "!=", False)],
                [
                    "|",
                    ("date_conversion", "<=", cutoff),
                    "&",
                    ("date_conversion", "=", False),
                    ("create_date", "<=", cutoff),
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
        leads = self.env["crm.lead"].search_fetch(
            domain,
            [
                "display_name",
                "date_conversion",
                "create_date",
                "partner_id",
                "user_id",
                "team_id",
                "company_id",
                "email_from",
                "phone",
                "street",
            ],
        )
        leads.partner_id.fetch(["email", "phone", "mobile", "street"])
        vals_list = []
        for lead in leads:
            partner = lead.partner_id
            missing = []
            if lead.email_from and not partner.email:
                missing.append(self.env._("email"))
            if lead.phone and not (partner.phone or partner.mobile):
                missing.append(self.env._("phone"))
            if lead.street and not partner.street:
                missing.append(self.env._("address"))
            vals = self._owned_vals(
                lead,
                lead.date_conversion or lead.create_date,
                now,
            )
            vals["reason"] = self.env._(
                "The opportunity has %(fields)s but its customer %(partner)s does not.",
                fields=", ".join(missing),
                partner=partner.display_name,
            )
            vals_list.append(vals)
        return vals_list

    # ------------------------------------------------------------
    # INCOMPLETE DATA CHECKS
    # ------------------------------------------------------------

    def _check_lead_incomplete(self, rule, domain, now):
        """Open leads older than N days missing email, phone, source, salesperson or
        company name."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                self._open_lead_domain(),
                [("create_date", "<=", cutoff)],
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
        leads = self.env["crm.lead"].search_fetch(
            domain,
            [
                "display_name",
                "create_date",
                "partner_id",
                "user_id",
                "team_id",
                "company_id",
                "email_from",
                "phone",
                "mobile",
                "source_id",
                "partner_name",
            ],
        )
        vals_list = []
        for lead in leads:
            missing = [
                label
                for label, present in (
                    (self.env._("email"), lead.email_from),
                    (self.env._("phone"), lead.phone or lead.mobile),
                    (self.env._("source"), lead.source_id),
                    (self.env._("salesperson"), lead.user_id),
                    (self.env._("company name"), lead.partner_name or lead.partner_id),
                )
                if not present
            ]
            vals = self._owned_vals(
                lead,
                lead.create_date,
                now,
                ratio=len(missing) / 2,
                severity_level=len(missing),
            )
            vals["reason"] = self.env._("The lead has no %(fields)s.", fields=", ".join(missing))
            vals_list.append(vals)
        return vals_list

    def _partner_vals(self, partner, now, **extra):
        return self._base_vals(
            partner,
            partner.create_date,
            now,
            partner_id=partner.id,
            user_id=partner.user_id.id,
            company_id=partner.company_id.id,
            **extra,
        )

    _partner_fields = (
        "display_name",
        "create_date",
        "user_id",
        "company_id",
        "email",
        "phone",
        "mobile",
    )

    def _check_customer_incomplete(self, rule, domain, now):
        """Customers (customer rank > 0) older than N days without email or phone."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("active", "=", True), ("customer_rank", ">", 0), ("create_date", "<=", cutoff)],
                ["|", ("email", "=", False), "&", ("phone", "=", False), ("mobile", "=", False)],
            ]
        )
        partners = self.env["res.partner"].search_fetch(domain, self._partner_fields)
        vals_list = []
        for partner in partners:
            missing = [
                label
                for label, present in (
                    (self.env._("email"), partner.email),
                    (self.env._("phone"), partner.phone or partner.mobile),
                )
                if not present
            ]
            vals = self._partner_vals(
                partner, now, ratio=len(missing) / 2, severity_level=len(missing)
            )
            vals["reason"] = self.env._(
                "The customer has no %(fields)s.", fields=", ".join(missing)
            )
            vals_list.append(vals)
        return vals_list

    def _check_company_no_email_contact(self, rule, domain, now):
        """Companies older than N days none of whose active contacts has an email."""
        cutoff = now - timedelta(days=rule.threshold)
        domain = expression.AND(
            [
                domain,
                [("active", "=", True), ("is_company", "=", True), ("create_date", "<=", cutoff)],
                [("child_ids", "not any", [("email", "!=", False)])],
            ]
        )
        partners = self.env["res.partner"].search_fetch(domain, self._partner_fields)
        vals_list = []
        for partner in partners:
            vals = self._partner_vals(partner, now, ratio=1.0, severity_level=1)
            vals["reason"] = self.env._("No contact of this company has an email address.")
            vals_list.append(vals)
        return vals_list

    # ------------------------------------------------------------
    # DUPLICATE CHECKS
    # ------------------------------------------------------------

    def _duplicate_groups(self, model, key_field, rule, domain, now, noun):
        """One finding per value of ``key_field`` shared by 2..N records.

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
        all_ids = [record_id for _key, ids, _date in groups for record_id in ids]
        records = Model.browse(all_ids)
        team_field = "team_id" in Model._fields
        partner_field = "partner_id" if model == "crm.lead" else "id"
        # one batch over all members (a browse per group would query per group)
        info = {
            record.id: {
                "name": record.display_name,
                "user_id": record.user_id.id,
                "team_id": record.team_id.id if team_field else False,
                "company_id": record.company_id.id,
                "partner_id": record[partner_field].id if partner_field != "id" else record.id,
            }
            for record in records
        }
        member_field = "lead_ids" if model == "crm.lead" else "partner_ids"
        code = self.env.context.get("guardian_check")
        field_label = Model._fields[key_field].string
        vals_list = []
        for key, ids, last_created in groups:
            first = info[ids[0]]
            reference_date = fields.Date.to_date(last_created)
            vals = {
                "res_id": ids[0],
                "key": f"{code}:{key}",
                "name": self.env._(
                    "%(count)s %(noun)s: %(key)s", count=len(ids), noun=noun, key=key
                ),
                "reference_date": reference_date,
                "age_days": (now.date() - reference_date).days if reference_date else 0,
                "user_id": first["user_id"],
                "team_id": first["team_id"],
                "company_id": first["company_id"],
                "partner_id": first["partner_id"],
                "threshold": limit,
                "ratio": min(len(ids) - 1, RATIO_CAP),
                "duplicate_key": key,
                "member_count": len(ids),
                "severity_level": len(ids),
            }
            vals[member_field] = ids
            vals["reason"] = self.env._(
                "%(count)s records share %(field)s '%(key)s': %(names)s. Review them and "
                "merge if they are the same (groups above %(limit)s records are ignored).",
                count=len(ids),
                field=field_label,
                key=key,
                names=", ".join(info[record_id]["name"] for record_id in ids),
                limit=limit,
            )
            vals_list.append(vals)
        return vals_list

    def _check_lead_duplicate_email(self, rule, domain, now):
        return self.with_context(guardian_check="lead_duplicate_email")._duplicate_groups(
            "crm.lead", "email_normalized", rule, domain, now, self.env._("leads share an email")
        )

    def _check_lead_duplicate_phone(self, rule, domain, now):
        return self.with_context(guardian_check="lead_duplicate_phone")._duplicate_groups(
            "crm.lead", "phone_sanitized", rule, domain, now, self.env._("leads share a phone")
        )

    def _check_partner_duplicate_email(self, rule, domain, now):
        return self.with_context(guardian_check="partner_duplicate_email")._duplicate_groups(
            "res.partner",
            "email_normalized",
            rule,
            domain,
            now,
            self.env._("contacts share an email"),
        )

    def _check_company_duplicate_name(self, rule, domain, now):
        domain = expression.AND([domain, [("is_company", "=", True)]])
        return self.with_context(guardian_check="company_duplicate_name")._duplicate_groups(
            "res.partner",
            "guardian_name_key",
            rule,
            domain,
            now,
            self.env._("companies share a name"),
        )
