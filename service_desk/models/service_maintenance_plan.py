import logging
import math
import time
import weakref
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, config

_logger = logging.getLogger(__name__)

# Plans handled per committed batch of the scheduled action.
BATCH_SIZE = 200
# A cron worker's watchdog may be pinged up to this long before a job starts (see README).
CRON_SLEEP_MAX = 70
# Share of the remaining window a call may use; the rest is the margin for the batch in flight.
BUDGET_SHARE = 0.5
# Outside a worker with a time limit (threaded server, shell, tests): seconds per call.
UNLIMITED_CALL_S = 300
# One job creation at a time: a second worker (or a manual run) waits its turn.
GENERATION_LOCK = 0x5D_4D_A1_07
# The window of one cron job: Odoo calls it up to 10 times back to back on one cursor.
_WINDOWS = weakref.WeakKeyDictionary()

INTERVAL_DELTAS = {
    "days": lambda n: relativedelta(days=n),
    "weeks": lambda n: relativedelta(weeks=n),
    "months": lambda n: relativedelta(months=n),
}


class ServiceMaintenancePlan(models.Model):
    """Preventive maintenance of an item (or for a customer): every interval, a job is
    created ``lead_days`` before the visit's date by the scheduled action, once per plan and
    date (unique key on the job), and the customer is emailed.

    A plan by meter reading (unit "meter", for an item of a category with a meter) is due
    when the item's meter reaches ``meter_next_value``: its next date is the date of the
    reading that reached it, else the date the average daily use reaches it (none without
    a forecast), so the same scheduled action serves it ahead of time too. Its job moves
    the next value on by the interval; the reading taken during that job, the reading at
    the visit, re-bases it (next value = that reading + the interval)."""

    _name = "service.maintenance.plan"
    _description = "Maintenance Plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "next_date, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(
        string="Subject", required=True, tracking=True, help="Subject of the jobs it creates."
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    item_id = fields.Many2one(
        "service.item",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        ondelete="cascade",
        domain="[('commercial_partner_id', '=', commercial_partner_id)]"
        " if commercial_partner_id else []",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    interval_number = fields.Integer(string="Every", default=1, required=True, tracking=True)
    interval_unit = fields.Selection(
        [("days", "Days"), ("weeks", "Weeks"), ("months", "Months"), ("meter", "Meter Units")],
        string="Unit",
        default="months",
        required=True,
        tracking=True,
    )
    next_date = fields.Date(
        string="Next Visit",
        compute="_compute_next_date",
        store=True,
        readonly=False,
        tracking=True,
        help="Date of the next visit (default: today); moves on by the interval when its job "
        "is created. By meter reading: the date the meter reached (or is expected to reach) the "
        "next value.",
    )
    meter_unit = fields.Selection(related="category_id.meter_unit", string="Meter Unit")
    meter_next_value = fields.Float(
        string="Next Visit At",
        digits=(16, 1),
        tracking=True,
        help="By meter reading: the reading at which the next visit is due.",
    )
    meter_value = fields.Float(related="item_id.meter_value", string="Meter")
    meter_date = fields.Date(related="item_id.meter_date")
    meter_daily_usage = fields.Float(related="item_id.meter_daily_usage")
    lead_days = fields.Integer(
        string="Lead Time (days)",
        default=7,
        help="The job is created this many days before the visit.",
    )
    job_create_date = fields.Date(
        string="Create Job On",
        compute="_compute_job_create_date",
        store=True,
        index=True,
        help="Next visit less the lead time: the day the scheduled action creates its job.",
    )
    category_id = fields.Many2one("service.category", check_company=True)
    checklist_template_ids = fields.Many2many(
        "service.checklist.template",
        "service_maintenance_plan_checklist_template_rel",
        "plan_id",
        "template_id",
        string="Checklists",
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Technician",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("service_desk.group_service_desk_own").id),
            ("share", "=", False),
        ],
    )
    team_id = fields.Many2one(
        "service.team", index="btree_not_null", tracking=True, check_company=True
    )
    description = fields.Html(string="Work to Do", help="Copied to the jobs' issue description.")
    job_ids = fields.One2many("service.job", "maintenance_plan_id", string="Jobs")
    job_count = fields.Integer(compute="_compute_jobs")
    last_job_id = fields.Many2one("service.job", compute="_compute_jobs")

    _sql_constraints = [
        ("interval_positive", "CHECK (interval_number > 0)", "The interval must be positive."),
        (
            "lead_days_range",
            "CHECK (lead_days >= 0 AND lead_days <= 366)",
            "The lead time must be between 0 and 366 days.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("item_id")
    def _compute_partner_id(self):
        for plan in self:
            if plan.item_id:
                plan.partner_id = plan.item_id.partner_id

    @api.depends(
        "interval_unit",
        "meter_next_value",
        "item_id",
        "item_id.meter_reading_ids.value",
        "item_id.meter_reading_ids.date",
    )
    def _compute_next_date(self):
        """Plans by meter reading: when the meter reaches the next value (see
        ``service.item._meter_forecast``). Plans by date keep the date typed or moved on
        (today if none)."""
        today = fields.Date.context_today(self)
        for plan in self:
            if plan.interval_unit != "meter" and not plan.next_date:
                plan.next_date = today
        meter_plans = self.filtered(lambda plan: plan.interval_unit == "meter")
        forecast = meter_plans.item_id._meter_forecast(
            {plan.item_id.id: plan.meter_next_value for plan in meter_plans if plan.item_id}
        )
        for plan in meter_plans:
            plan.next_date = forecast.get(plan.item_id.id, False) if plan.item_id else False

    @api.depends("next_date", "lead_days")
    def _compute_job_create_date(self):
        for plan in self:
            plan.job_create_date = plan.next_date and plan.next_date - timedelta(
                days=plan.lead_days or 0
            )

    def _compute_jobs(self):
        groups = self.env["service.job"]._read_group(
            [("maintenance_plan_id", "in", self.ids)],
            ["maintenance_plan_id"],
            ["__count", "id:max"],
        )
        by_plan = {plan: (count, last_id) for plan, count, last_id in groups}
        for plan in self:
            count, last_id = by_plan.get(plan, (0, False))
            plan.job_count = count
            plan.last_job_id = last_id

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("interval_unit", "next_date", "item_id", "category_id", "meter_next_value")
    def _check_interval(self):
        for plan in self:
            if plan.interval_unit != "meter":
                if not plan.next_date:
                    raise ValidationError(self.env._("Give the plan the date of its next visit."))
                continue
            if not plan.item_id or not plan.category_id.meter_unit:
                raise ValidationError(
                    self.env._("A plan by meter reading needs an item and a category with a meter.")
                )
            if plan.meter_next_value <= 0:
                raise ValidationError(
                    self.env._("Give the plan the reading at which the next visit is due.")
                )

    @api.constrains("item_id", "partner_id")
    def _check_item_owner(self):
        for plan in self:
            item = plan.item_id
            if item and item.commercial_partner_id != plan.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The item %(item)s belongs to %(owner)s, not to %(customer)s.",
                        item=item.display_name,
                        owner=item.partner_id.display_name,
                        customer=plan.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action.update(domain=[("maintenance_plan_id", "=", self.id)], context={"create": False})
        return action

    def action_create_next_job(self):
        """Create the job of the next visit now, whatever the lead time, and open it."""
        self.ensure_one()
        self.check_access("write")
        if not self.active:
            raise UserError(self.env._("Archived plans create no jobs."))
        if not self._try_generation_lock():
            raise UserError(
                self.env._("Jobs of maintenance plans are being created; try again in a minute.")
            )
        jobs = self._generate_jobs()
        return {
            "type": "ir.actions.act_window",
            "res_model": "service.job",
            "res_id": jobs.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # SCHEDULED ACTION
    # ------------------------------------------------------------

    @api.model
    def _cron_create_due_jobs(self, batch_size=BATCH_SIZE):
        """The scheduled action: create the jobs of the plans due today (job create date
        reached), batch by batch, each committed in a cron job, until the call's time budget
        is spent; report the progress (plans served, plans left) so Odoo calls again while
        plans are left. Only one run at a time creates jobs (advisory lock); another returns
        at once. Returns the number of jobs created."""
        # sudo: plans of every company are served; each job is created in its plan's company.
        self = self.sudo()
        Cron = self.env["ir.cron"]
        if not self._try_generation_lock():
            _logger.info("Maintenance plans: another run is creating jobs, skipped.")
            Cron._notify_progress(done=0, remaining=0)
            return 0
        deadline = self._call_deadline()
        max_batches = self.env.context.get("service_plan_max_batches")
        today = fields.Date.context_today(self)
        done = created = batches = 0
        while True:
            plans = self.search(self._due_domain(today), limit=batch_size, order="id")
            if not plans:
                break
            created += len(plans._generate_jobs())
            done += len(plans)
            batches += 1
            self._commit_batch()
            if time.monotonic() >= deadline or batches == max_batches:
                break
            # The commit released the lock: take it again, or leave the rest to the run that
            # took it meanwhile.
            if not self._try_generation_lock():
                break
        remaining = self.search_count(self._due_domain(today))
        _logger.info(
            "Maintenance plans: %s served, %s jobs created, %s left.", done, created, remaining
        )
        Cron._notify_progress(done=done, remaining=remaining)
        return created

    @api.model
    def _due_domain(self, today):
        return [("active", "=", True), ("job_create_date", "<=", today)]

    @api.model
    def _try_generation_lock(self):
        """Take the transaction's lock on job creation; False if another run holds it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", GENERATION_LOCK))
        return self.env.cr.fetchone()[0]

    @api.model
    def _call_deadline(self):
        """When this call stops starting batches: half of the cron job's window (the
        worker's real-time limit less its sleep), counted from the job's first call."""
        now = time.monotonic()
        cron_limit = config["limit_time_real_cron"]
        limit = cron_limit if cron_limit and cron_limit > 0 else config["limit_time_real"]
        if not self.env.context.get("cron_id") or not limit or limit <= 0:
            return now + UNLIMITED_CALL_S
        start = _WINDOWS.setdefault(self.env.cr, now)
        return start + max(limit * 0.1, limit - CRON_SLEEP_MAX) * BUDGET_SHARE

    @api.model
    def _commit_batch(self):
        """Commit a batch in a cron job (it survives a worker killed later); elsewhere (a
        shell, tests, a button) the caller's transaction decides. The cache is emptied
        either way: memory stays flat over 100,000 plans."""
        if self.env.context.get("cron_id"):
            self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.invalidate_all()

    def _generate_jobs(self):
        """Create the job of each plan's next visit (none twice for one plan and date), move
        the plans' next date on and email the customers. Returns the jobs created."""
        existing = (
            self.env["service.job"]
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("maintenance_plan_id", "in", self.ids),
                    ("maintenance_date", "in", list(set(self.mapped("next_date")))),
                ],
                ["maintenance_plan_id", "maintenance_date"],
            )
        )
        done = {(job.maintenance_plan_id.id, job.maintenance_date) for job in existing}
        meter_plans = self.filtered(lambda plan: plan.interval_unit == "meter")
        if meter_plans:
            # By meter: one job per plan and next value, whatever date it is expected on.
            meter_jobs = (
                self.env["service.job"]
                .with_context(active_test=False)
                .search_fetch(
                    [
                        ("maintenance_plan_id", "in", meter_plans.ids),
                        ("maintenance_meter_value", "in", meter_plans.mapped("meter_next_value")),
                    ],
                    ["maintenance_plan_id", "maintenance_meter_value"],
                )
            )
            done |= {
                (job.maintenance_plan_id.id, job.maintenance_meter_value) for job in meter_jobs
            }
        todo = self.filtered(
            lambda plan: (
                (plan.id, plan.next_date) not in done
                and (plan.interval_unit != "meter" or (plan.id, plan.meter_next_value) not in done)
            )
        )
        jobs = self.env["service.job"]
        if todo:
            jobs = (
                self.env["service.job"]
                .with_context(mail_create_nosubscribe=True, mail_create_nolog=True)
                .create([plan._prepare_job_values() for plan in todo])
            )
        self._advance_next_date()
        jobs._send_planned_mail()
        return jobs

    def _prepare_job_values(self):
        self.ensure_one()
        values = {
            "title": self.name,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "item_id": self.item_id.id,
            "category_id": self.category_id.id,
            "user_id": self.user_id.id,
            "team_id": self.team_id.id,
            "date_deadline": self.next_date,
            "maintenance_plan_id": self.id,
            "maintenance_date": self.next_date,
            "description": self.description,
        }
        if self.interval_unit == "meter":
            # Due by meter: the visit is for the reading, on the expected date at the soonest
            # (today when created by hand before any forecast).
            today = fields.Date.context_today(self)
            values["maintenance_meter_value"] = self.meter_next_value
            values["maintenance_date"] = self.next_date or today
            values["date_deadline"] = max(self.next_date or today, today)
        if self.checklist_template_ids:
            values["checklist_template_ids"] = [Command.set(self.checklist_template_ids.ids)]
        return values

    def _advance_next_date(self):
        """Move each plan's next date on by its interval, past today (missed visits are
        skipped); plans sharing a new date are written together."""
        today = fields.Date.context_today(self)
        self.filtered(lambda plan: plan.interval_unit == "meter")._advance_meter_value()
        by_date = {}
        for plan in self.filtered(lambda plan: plan.interval_unit != "meter"):
            delta = INTERVAL_DELTAS[plan.interval_unit](plan.interval_number)
            next_date = plan.next_date + delta
            while next_date < today:
                next_date += delta
            by_date.setdefault(next_date, []).append(plan.id)
        for next_date, plan_ids in by_date.items():
            self.browse(plan_ids).with_context(mail_notrack=True).write({"next_date": next_date})

    def _advance_meter_value(self):
        """Move each plan by meter reading's next value on by its interval, past the item's
        latest reading (visits missed are skipped); its next date follows (compute)."""
        for plan in self:
            step = plan.interval_number
            next_value = plan.meter_next_value + step
            if next_value <= plan.item_id.meter_value:
                next_value += (
                    math.floor((plan.item_id.meter_value - next_value) / step) + 1
                ) * step
            plan.with_context(mail_notrack=True).meter_next_value = next_value
