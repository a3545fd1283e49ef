import logging
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PARAM_PREFIX = "crm_guardian."
# Settings (ir.config_parameter) read by the finding actions, with their defaults
DEFAULTS = {
    "auto_activity": False,
    "auto_activity_cooldown_days": 14,
    "auto_activity_daily_cap": 50,
    "activity_delay_days": 2,
    "activity_type_id": 0,
    "activity_fallback_user_id": 0,
}
RESCUE_LIST_LIMIT = 10
AUTO_ACTIVITY_CHUNK = 500


class CrmGuardianFinding(models.Model):
    """Acting on findings: activities, dismissals, auto-activities, my rescue list."""

    _inherit = "crm.guardian.finding"

    activity_id = fields.Many2one(
        "mail.activity",
        string="Open Activity on Record",
        compute="_compute_activity_id",
        help="The next open activity of the underlying record, if any.",
    )
    can_schedule_activity = fields.Boolean(
        compute="_compute_can_schedule_activity",
        help="The current user may edit the record, so schedule an activity on it.",
    )
    can_dismiss = fields.Boolean(
        compute="_compute_can_dismiss",
        help="The current user may dismiss or restore this finding: a Guardian manager, "
        "or a user who may edit its record (every readable member of a duplicate group).",
    )
    dismissed_by_id = fields.Many2one("res.users", readonly=True)
    last_auto_activity_date = fields.Date(
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="Last time the nightly auto-activities scheduled an activity for this finding "
        "(the cooldown counts from this date).",
    )

    @api.depends("res_model", "res_id", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_activity_id(self):
        by_model = {}
        for finding in self:
            if finding.res_model and finding._viewer_res_id():
                by_model.setdefault(finding.res_model, set()).add(finding._viewer_res_id())
        first = {}
        for model, ids in by_model.items():
            # sudo: only ids of activities of records the finding already shows
            # (its record, or the first member the user may read); one query per model
            groups = (
                self.env["mail.activity"]
                .sudo()
                ._read_group(
                    [("res_model", "=", model), ("res_id", "in", list(ids))],
                    ["res_id"],
                    ["id:min"],
                )
            )
            first.update({(model, res_id): activity_id for res_id, activity_id in groups})
        for finding in self:
            activity_id = first.get((finding.res_model, finding._viewer_res_id()))
            finding.activity_id = self.env["mail.activity"].browse(activity_id)

    @api.depends("res_model", "res_id", "member_res_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_can_schedule_activity(self):
        by_model = {}
        for finding in self:
            if finding.res_model in self.env and finding._viewer_res_id():
                by_model.setdefault(finding.res_model, set()).add(finding._viewer_res_id())
        writable = set()
        for model, ids in by_model.items():
            # one access query per model: the records the current user may edit
            records = self.env[model].browse(ids).exists()._filtered_access("write")
            writable.update((model, record_id) for record_id in records.ids)
        for finding in self:
            finding.can_schedule_activity = (
                finding.res_model,
                finding._viewer_res_id(),
            ) in writable

    @api.depends("res_model", "res_id", "member_res_ids")
    @api.depends_context("uid")
    def _compute_can_dismiss(self):
        allowed = self._filtered_dismissable()
        for finding in self:
            finding.can_dismiss = finding in allowed

    def _filtered_dismissable(self):
        """The findings of ``self`` the current user may dismiss or restore: all of
        them for a Guardian manager (write access to findings); else those whose
        record the user may edit (for a duplicate group: every member that still
        exists, since the dismissal hides the group from everyone; a fuzzy group lists
        a deleted member until its rescan). One access query per model."""
        if self.env.su or self.has_access("write"):
            return self
        by_model = {}
        for finding in self:
            if finding.res_model in self.env:
                by_model.setdefault(finding.res_model, set()).update(finding._record_ids())
        existing, writable = set(), set()
        for model, ids in by_model.items():
            records = self.env[model].browse(ids).exists()
            existing.update((model, record_id) for record_id in records.ids)
            writable.update(
                (model, record_id) for record_id in records._filtered_access("write").ids
            )
        return self.filtered(
            lambda f: (
                f.res_model in self.env
                and all(
                    key in writable
                    for key in ((f.res_model, record_id) for record_id in f._record_ids())
                    if key in existing
                )
            )
        )

    def _record_ids(self):
        """Ids of the records a finding is about: its members for a duplicate group,
        else its record."""
        self.ensure_one()
        members = [int(i) for i in (self.member_res_ids or "").split(",") if i]
        return members or [self.res_id]

    def _check_dismissable(self):
        """Raise an AccessError unless the current user may dismiss/restore all of
        ``self``; returns the findings to write with (sudo for a salesperson whose
        records allow it: the finding access only lacks the write right)."""
        forbidden = self - self._filtered_dismissable()
        if forbidden:
            raise AccessError(
                self.env._(
                    "You may only dismiss or restore findings on records you may edit: %(names)s",
                    names=", ".join(forbidden.mapped("name")),
                )
            )
        if self.has_access("write"):
            return self
        # sudo: the user may edit every record of these findings (checked above), and
        # only the dismissal fields are written
        return self.sudo()

    # ------------------------------------------------------------
    # SETTINGS
    # ------------------------------------------------------------

    @api.model
    def _guardian_param(self, name):
        """Value of the guardian setting ``name``, typed like its default."""
        default = DEFAULTS[name]
        # sudo: reading the guardian's own configuration parameters
        value = self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + name)
        if value in (None, False, ""):
            return default
        if isinstance(default, bool):
            return value not in ("False", "0", "false")
        try:
            return int(value)
        except ValueError:
            return default

    @api.model
    def _guardian_activity_type(self):
        activity_type = self.env["mail.activity.type"].browse(
            self._guardian_param("activity_type_id")
        )
        # sudo: existence check of a configured activity type
        if not activity_type.sudo().exists():
            activity_type = self.env.ref(
                "crm_guardian.mail_activity_type_guardian", raise_if_not_found=False
            )
        return activity_type or self.env["mail.activity.type"]

    def _activity_assignee(self):
        """Record owner, else the fallback user of the settings (internal, active)."""
        self.ensure_one()
        # sudo: reading the share/active flags of users, no data of theirs
        owner = self.user_id.sudo()
        if owner.active and not owner.share:
            return self.user_id
        fallback = (
            self.env["res.users"].sudo().browse(self._guardian_param("activity_fallback_user_id"))
        )
        if fallback.exists() and fallback.active and not fallback.share:
            return self.env["res.users"].browse(fallback.id)
        return self.env["res.users"]

    def _activity_values(self, today=None):
        """Prefill of the activity of this finding: type, summary, due date, user, note."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        check_name = dict(self._fields["check"]._description_selection(self.env)).get(
            self.check, self.check
        )
        activity_type = self._guardian_activity_type()
        return {
            "activity_type_id": activity_type.id,
            "summary": self.env._("Guardian: %(check)s", check=check_name),
            "date_deadline": today + timedelta(days=self._guardian_param("activity_delay_days")),
            "user_id": self._activity_assignee().id,
            "note": Markup("<p>%s</p><p><em>%s</em></p>")
            % (
                self.reason or self.name or "",
                self.env._("Risk %(risk)s/100, flagged by CRM Guardian.", risk=self.risk_score),
            ),
        }

    # ------------------------------------------------------------
    # ACTIONS: activities
    # ------------------------------------------------------------

    def _get_record(self):
        self.ensure_one()
        if self.res_model not in self.env:
            raise UserError(self.env._("The record of this finding is no longer available."))
        record = self.env[self.res_model].browse(self._viewer_res_id()).exists()
        if not record:
            raise UserError(self.env._("The record of this finding no longer exists."))
        return record

    def action_schedule_activity(self):
        """Odoo's own "Schedule Activity" dialog on the record, prefilled."""
        self.ensure_one()
        record = self._get_record()
        # scheduling an activity needs write access to the record, as in the chatter
        record.check_access("write")
        values = self._activity_values()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Schedule Activity"),
            "res_model": "mail.activity.schedule",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "active_model": record._name,
                "active_ids": record.ids,
                "active_id": record.id,
                "default_res_model": record._name,
                "default_activity_type_id": values["activity_type_id"],
                "default_summary": values["summary"],
                "default_date_deadline": fields.Date.to_string(values["date_deadline"]),
                "default_activity_user_id": values["user_id"] or self.env.uid,
                "default_note": values["note"],
            },
        }

    def action_view_activity(self):
        """Open the record's open activity (the first one, by id)."""
        self.ensure_one()
        if not self.activity_id:
            raise UserError(self.env._("The record has no open activity."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Activity"),
            "res_model": "mail.activity",
            "res_id": self.activity_id.id,
            "view_mode": "form",
            "views": [(self.env.ref("mail.mail_activity_view_form_popup").id, "form")],
            "target": "new",
        }

    # ------------------------------------------------------------
    # ACTIONS: dismiss / restore
    # ------------------------------------------------------------

    def action_dismiss(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dismiss Findings"),
            "res_model": "crm.guardian.finding.dismiss",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_finding_ids": self.ids},
        }

    def _dismiss(self, note, until=False):
        """Dismiss open findings; the scan re-opens them when ``until`` passes or
        when the evidence gets worse than ``severity_level`` at dismissal."""
        if not (note or "").strip():
            raise UserError(self.env._("Say why you dismiss the finding."))
        until = fields.Date.to_date(until) if until else False
        if until and until <= fields.Date.context_today(self):
            raise UserError(self.env._("The 'until' date must be in the future."))
        if any(finding.state != "open" for finding in self):
            raise UserError(self.env._("Only open findings can be dismissed."))
        if not self:
            return True
        writer = self._check_dismissable()
        for severity, findings in writer.grouped("severity_level").items():
            findings.write(
                {
                    "state": "dismissed",
                    "dismissed_level": severity,
                    "dismiss_note": note,
                    "dismiss_until": until,
                    "dismissed_by_id": self.env.uid,
                }
            )
        body = (
            self.env._("Dismissed until %(date)s: %(note)s", date=until, note=note)
            if until
            else self.env._("Dismissed: %(note)s", note=note)
        )
        # access granted by the write above; one batch of chatter notes (authored by
        # the current user, also when written with sudo)
        writer._message_log_batch(bodies=dict.fromkeys(self.ids, Markup("<p>%s</p>") % body))
        return True

    def action_restore(self):
        dismissed = self.filtered(lambda finding: finding.state == "dismissed")
        if not dismissed:
            raise UserError(self.env._("Only dismissed findings can be restored."))
        dismissed = dismissed._check_dismissable()
        dismissed.write({"state": "open", "dismiss_until": False, "dismissed_by_id": False})
        body = Markup("<p>%s</p>") % self.env._("Restored: the finding is open again.")
        dismissed._message_log_batch(bodies=dict.fromkeys(dismissed.ids, body))
        return True

    # ------------------------------------------------------------
    # MY RESCUE LIST (systray)
    # ------------------------------------------------------------

    @api.model
    def get_my_rescue_list(self, limit=RESCUE_LIST_LIMIT):
        """The current user's open findings, top ``limit`` by risk, and their count."""
        if not self.env.user.has_group("crm_guardian.group_crm_guardian_user"):
            return {"allowed": False, "count": 0, "items": []}
        domain = [("state", "=", "open"), ("user_id", "=", self.env.uid)]
        findings = self.search(
            domain, order="risk_score desc, reference_date desc, id desc", limit=limit
        )
        action = self.env.ref("crm_guardian.crm_guardian_finding_action_mine")
        return {
            "allowed": True,
            "count": self.search_count(domain),
            "action_id": action.id,
            "items": [
                {
                    "id": finding.id,
                    "name": finding.name,
                    "check": dict(self._fields["check"]._description_selection(self.env)).get(
                        finding.check, finding.check
                    ),
                    "reason": finding._viewer_reason(),
                    "risk": finding.risk_score,
                    "res_model": finding.res_model,
                    "res_id": getattr(finding._viewer_record(), "id", finding.res_id),
                }
                for finding in findings
            ],
        }

    # ------------------------------------------------------------
    # AUTO-ACTIVITIES (nightly)
    # ------------------------------------------------------------

    @api.model
    def _cron_auto_activities(self):
        self._run_auto_activities()

    @api.model
    def _run_auto_activities(self, today=None):
        """Schedule an activity for open findings whose record has none.

        Off unless enabled in the settings. Per finding a cooldown (no second
        auto-activity within N days, even after the first was done or cancelled),
        and a daily cap. Safe to run twice or from two workers at once: the
        findings are locked ``FOR UPDATE SKIP LOCKED`` and the log has a unique
        index on (finding, day) for created activities. Returns the counts.
        """
        if not self._guardian_param("auto_activity"):
            return {"created": 0, "skipped": 0}
        # sudo: a nightly job acting for every user; it only adds activities, and
        # only on records that a finding flags (what it did is logged)
        self = self.sudo()
        today = today or fields.Date.context_today(self)
        Log = self.env["crm.guardian.activity.log"]
        cap = max(0, self._guardian_param("auto_activity_daily_cap"))
        cooldown = max(0, self._guardian_param("auto_activity_cooldown_days"))
        budget = cap - Log.search_count([("log_date", "=", today), ("result", "=", "created")])
        cooldown_start = today - timedelta(days=cooldown)
        self._auto_activity_log_cooldown(today, cooldown_start, cooldown)
        domain = [
            ("state", "=", "open"),
            "|",
            ("last_auto_activity_date", "=", False),
            ("last_auto_activity_date", "<=", cooldown_start),
        ]
        # ids first (one query): creating activities changes the candidates' domain
        ids = self.search(domain, order="risk_score desc, id").ids
        result, left_over = self._auto_activity_within(ids, budget, today)
        if left_over:
            Log.create(
                {
                    "log_date": today,
                    "result": "skipped",
                    "reason": self.env._(
                        "Daily cap of %(cap)s activities reached: up to %(count)s findings "
                        "wait for the next run.",
                        cap=cap,
                        count=left_over,
                    ),
                }
            )
            result["skipped"] += left_over
        _logger.info("CRM Guardian auto-activities: %s", result)
        return result

    @api.model
    def _auto_activity_log_cooldown(self, today, cooldown_start, cooldown):
        """Log how many open findings wait in their cooldown (none: no log)."""
        in_cooldown = self.search_count(
            [("state", "=", "open"), ("last_auto_activity_date", ">", cooldown_start)]
        )
        if in_cooldown:
            self.env["crm.guardian.activity.log"].create(
                {
                    "log_date": today,
                    "result": "skipped",
                    "reason": self.env._(
                        "%(count)s findings in their %(days)s-day cooldown.",
                        count=in_cooldown,
                        days=cooldown,
                    ),
                }
            )

    @api.model
    def _auto_activity_within(self, ids, budget, today):
        """Activities for the findings ``ids`` (riskiest first) whose record has none,
        up to ``budget``, in chunks. Returns ``(counts, left over)``: the findings not
        looked at once the budget is spent (an upper bound: not checked for an open
        activity)."""
        result = {"created": 0, "skipped": 0}
        for start in range(0, len(ids), AUTO_ACTIVITY_CHUNK):
            chunk = self.browse(ids[start : start + AUTO_ACTIVITY_CHUNK])
            candidates = chunk.filtered(lambda finding: not finding.has_open_activity)
            while candidates and budget > 0:
                todo, candidates = candidates[:budget], candidates[budget:]
                counts = todo._auto_activity_create(today)
                result["created"] += counts["created"]
                result["skipped"] += counts["skipped"]
                budget -= counts["created"]
            if budget <= 0:
                return result, len(candidates) + len(ids) - start - len(chunk)
        return result, 0

    def _auto_activity_skip_reason(self, record, values):
        """Why no activity can be scheduled for this finding (False: it can)."""
        if not record:
            return self.env._("The record no longer exists.")
        if not values["user_id"]:
            return self.env._("No responsible user and no fallback user in the settings.")
        if not values["activity_type_id"]:
            return self.env._("No activity type configured.")
        return False

    def _auto_activity_schedule(self, record, values, base):
        """Schedule this finding's activity on ``record`` and log it (``base``: the
        log's values). Returns the activity, or an empty recordset when another worker
        created this finding's activity today (the log's unique index)."""
        self.ensure_one()
        Log = self.env["crm.guardian.activity.log"]
        try:
            with self.env.cr.savepoint():
                log = Log.create(dict(base, result="created", user_id=values["user_id"]))
                # the unique index (finding, day) fails here if another worker
                # created this finding's activity today
                log.flush_recordset()
                activity = record.activity_schedule(
                    activity_type_id=values["activity_type_id"],
                    summary=values["summary"],
                    note=values["note"],
                    user_id=values["user_id"],
                    date_deadline=values["date_deadline"],
                )
                log.activity_id = activity[:1]
                self.last_auto_activity_date = base["log_date"]
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation:
            self.env.invalidate_all()
            return self.env["mail.activity"]
        return activity

    def _auto_activity_lock(self):
        """Ids of ``self`` locked for this transaction; rows locked by another worker
        are skipped (that worker handles them)."""
        if not self:
            return set()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crm_guardian_finding WHERE id IN %s FOR UPDATE SKIP LOCKED",
                tuple(self.ids),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _auto_activity_create(self, today):
        """Create one activity per finding of ``self`` (already sudo, within the cap).

        Bounded by the daily cap: the per-record ``activity_schedule`` calls below
        stay few per run.
        """
        Log = self.env["crm.guardian.activity.log"]
        counts = {"created": 0, "skipped": 0}
        bodies = {}
        locked = self._auto_activity_lock()
        for finding in self:
            if finding.id not in locked:
                continue
            base = {
                "log_date": today,
                "finding_id": finding.id,
                "res_model": finding.res_model,
                "res_id": finding.res_id,
                "company_id": finding.company_id.id,
            }
            values = finding._activity_values(today=today)
            record = (
                self.env[finding.res_model].browse(finding.res_id).exists()
                if finding.res_model in self.env
                else None
            )
            reason = finding._auto_activity_skip_reason(record, values)
            if reason:
                Log.create(dict(base, result="skipped", reason=reason))
                counts["skipped"] += 1
                continue
            activity = finding._auto_activity_schedule(record, values, base)
            if not activity:
                counts["skipped"] += 1
                continue
            counts["created"] += 1
            bodies[finding.id] = Markup("<p>%s</p>") % self.env._(
                "Auto-activity scheduled for %(user)s, due %(date)s.",
                user=activity.user_id.name,
                date=values["date_deadline"],
            )
        if bodies:
            # the nightly job runs as superuser; one batch of chatter notes
            self.browse(bodies)._message_log_batch(bodies=bodies)
        return counts
