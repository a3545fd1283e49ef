from odoo import api, fields, models
from odoo.tools import format_datetime


class CrmGuardianScanRun(models.Model):
    """One scan: its checks (lines), state and timing. Written by the scan service only
    (``crm.guardian.scan``, as superuser), one committed unit of work at a time; at most
    one run is ``running`` (a unique partial index)."""

    _name = "crm.guardian.scan.run"
    _description = "CRM Guardian Scan Run"
    _order = "id desc"
    _rec_name = "started"

    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("interrupted", "Interrupted"),
        ],
        default="running",
        required=True,
        readonly=True,
    )
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Scan Now"), ("direct", "In process")],
        default="cron",
        required=True,
        readonly=True,
    )
    requested_by_id = fields.Many2one("res.users", readonly=True)
    started = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    finished = fields.Datetime(readonly=True)
    scan_date = fields.Datetime(
        string="Reference Time",
        required=True,
        readonly=True,
        help="The time the findings' ages are computed at, the same for every unit of work.",
    )
    duration = fields.Float(
        string="Duration (s)",
        digits=(16, 0),
        readonly=True,
        help="From start to finish, in seconds.",
    )
    calls = fields.Integer(readonly=True, help="Calls of the scheduled action that worked on it.")
    units = fields.Integer(readonly=True, help="Units of work done (committed one by one).")
    error = fields.Text(readonly=True)
    line_ids = fields.One2many("crm.guardian.scan.run.line", "run_id", string="Checks")
    progress = fields.Float(compute="_compute_progress", help="Share of the checks done, in %.")
    created_count = fields.Integer(string="Created", compute="_compute_totals")
    updated_count = fields.Integer(string="Updated", compute="_compute_totals")
    resolved_count = fields.Integer(string="Resolved", compute="_compute_totals")

    def init(self):
        # one running scan at a time, also across workers and servers
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS crm_guardian_scan_run_one_running_idx "
            "ON crm_guardian_scan_run ((true)) WHERE state = 'running'"
        )

    @api.depends("started")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "Scan of %(date)s",
                date=format_datetime(self.env, run.started, dt_format="short"),
            )

    @api.depends("line_ids.state", "line_ids.cursor_id", "line_ids.max_id", "state")
    def _compute_progress(self):
        for run in self:
            lines = run.line_ids
            if run.state == "done" or not lines:
                run.progress = 100.0 if run.state == "done" else 0.0
                continue
            done = sum(line._done_share() for line in lines)
            run.progress = round(100.0 * done / len(lines), 1)

    @api.depends("line_ids.created_count", "line_ids.updated_count", "line_ids.resolved_count")
    def _compute_totals(self):
        for run in self:
            run.created_count = sum(run.line_ids.mapped("created_count"))
            run.updated_count = sum(run.line_ids.mapped("updated_count"))
            run.resolved_count = sum(run.line_ids.mapped("resolved_count"))

    def _remaining_lines(self):
        """Checks not done yet (at least 1: a run in progress has work left)."""
        self.ensure_one()
        return max(1, len(self.line_ids.filtered(lambda line: line.state != "done")))

    def _result(self):
        """``{check: {"created", "updated", "resolved", "reopened"}}`` of this run."""
        self.ensure_one()
        return {
            line.check: {
                "created": line.created_count,
                "updated": line.updated_count,
                "resolved": line.resolved_count,
                "reopened": line.reopened_count,
            }
            for line in self.line_ids
        }

    @api.model
    def _status_text(self):
        """One sentence for the dashboard: the running scan's progress, or when the last
        complete scan finished and how long it took."""
        # sudo: the dashboard's readers may not read scan runs; this shows only the
        # time and progress of the scan, nothing of any record
        run = self.sudo().search([("state", "=", "running")], limit=1)
        if run:
            return self.env._(
                "Scan running since %(start)s: %(progress)s%% done.",
                start=format_datetime(self.env, run.started, dt_format="short"),
                progress=run.progress,
            )
        run = self.sudo().search([("state", "=", "done")], limit=1)
        if not run:
            return self.env._("No complete scan yet.")
        return self.env._(
            "Last complete scan: %(end)s, in %(duration)s.",
            end=format_datetime(self.env, run.finished, dt_format="short"),
            duration=self._format_duration(run.duration),
        )

    @api.model
    def _format_duration(self, seconds):
        seconds = round(seconds or 0)
        if seconds < 60:
            return self.env._("%(s)s s", s=seconds)
        if seconds < 3600:
            return self.env._("%(m)s min %(s)s s", m=seconds // 60, s=seconds % 60)
        return self.env._("%(h)s h %(m)s min", h=seconds // 3600, m=seconds % 3600 // 60)
