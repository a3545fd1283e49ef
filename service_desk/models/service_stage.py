from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.sql import column_exists


class ServiceStage(models.Model):
    _name = "service.stage"
    _description = "Service Job Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded stages are collapsed in the kanban board (typically closed stages).",
    )
    is_closed = fields.Boolean(
        string="Closed Stage",
        help="Jobs in this stage are finished: they are neither open nor overdue.",
    )
    is_cancelled = fields.Boolean(
        string="Cancelled Stage",
        help="Jobs in this stage were cancelled: no warranty, nothing consumed.",
    )
    is_approval_stage = fields.Boolean(
        string="Waiting Approval",
        help="Jobs in this stage wait for the customer's approval.",
    )
    requires_checklist_complete = fields.Boolean(
        string="Requires Complete Checklist",
        help="A job can only enter this stage once every line of its checklist is done.",
    )
    allowed_next_stage_ids = fields.Many2many(
        "service.stage",
        "service_stage_allowed_next_rel",
        "stage_id",
        "next_stage_id",
        string="Allowed Next Stages",
        help="Stages a job may move to from this one. Leave empty to allow every stage.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Customer Email Template",
        domain=[("model", "=", "service.job")],
        help="Email sent to the customer when a job reaches this stage.",
    )
    template_key = fields.Char(
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Technical key of the industry template that created this stage.",
    )
    rating_request = fields.Boolean(
        string="Request Rating",
        help="When a job reaches this stage, its customer is emailed a request to rate the "
        "service (Satisfied / Okay / Dissatisfied, and a comment).",
    )

    # Dashboard counters
    open_job_count = fields.Integer(compute="_compute_job_counts")
    overdue_job_count = fields.Integer(compute="_compute_job_counts")
    unassigned_job_count = fields.Integer(compute="_compute_job_counts")

    def _auto_init(self):
        """On the upgrade that adds "Request Rating", turn it on for the shipped Delivered
        stage, as a new install does (its data is noupdate). Once: only when the column is
        created, so a manager's later choice is kept."""
        had_column = column_exists(self.env.cr, self._table, "rating_request")
        res = super()._auto_init()
        if not had_column:
            delivered = self.env.ref("service_desk.service_stage_delivered", False)
            if delivered:
                self.env.cr.execute(
                    SQL(
                        "UPDATE %s SET rating_request = TRUE WHERE id = %s",
                        SQL.identifier(self._table),
                        delivered.id,
                    )
                )
        return res

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_job_counts(self):
        Job = self.env["service.job"]
        domain = [("stage_id", "in", self.ids)]
        today = fields.Date.context_today(self)
        counts = {}
        for key, extra in (
            ("open", []),
            ("overdue", [("is_closed", "=", False), ("date_deadline", "<", today)]),
            ("unassigned", [("user_id", "=", False)]),
        ):
            groups = Job._read_group(expression.AND([domain, extra]), ["stage_id"], ["__count"])
            counts[key] = {stage.id: count for stage, count in groups}
        for stage in self:
            stage.open_job_count = counts["open"].get(stage.id, 0)
            stage.overdue_job_count = counts["overdue"].get(stage.id, 0)
            stage.unassigned_job_count = counts["unassigned"].get(stage.id, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        # sudo: the check must see every job, whatever the manager's record rules.
        if (
            self.env["service.job"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("stage_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._("A stage that still has jobs cannot be deleted; archive it instead.")
            )

    def action_open_jobs(self):
        """Open the jobs of this stage, filtered by the dashboard tile clicked."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        context = {"search_default_stage_id": self.id, "default_stage_id": self.id}
        job_filter = self.env.context.get("service_job_filter")
        if job_filter in ("overdue", "unassigned"):
            context[f"search_default_{job_filter}"] = 1
        action["context"] = context
        action["view_mode"] = "list,kanban,form,calendar,pivot,graph,activity"
        action["views"] = [(False, mode) for mode in action["view_mode"].split(",")]
        return action

    def _is_move_allowed(self, next_stage):
        """Whether a job in this stage may move to ``next_stage``."""
        self.ensure_one()
        if not next_stage or next_stage == self:
            return True
        return not self.allowed_next_stage_ids or next_stage in self.allowed_next_stage_ids
