from odoo import api, fields, models


class ServiceTeam(models.Model):
    """A team of technicians (e.g. 'Field service', 'Workshop'): maintenance plans and jobs
    may be given to a team rather than (or as well as) to one technician, like Odoo's
    ``maintenance.team``."""

    _name = "service.team"
    _description = "Service Team"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company)
    member_ids = fields.Many2many(
        "res.users",
        "service_team_res_users_rel",
        "team_id",
        "user_id",
        string="Members",
        domain=lambda self: self._technician_domain(),
    )
    user_id = fields.Many2one(
        "res.users",
        string="Leader",
        domain=lambda self: self._technician_domain(),
        help="Optional: the member who dispatches the team's jobs.",
    )
    job_ids = fields.One2many("service.job", "team_id", string="Jobs")
    job_open_count = fields.Integer(string="Open Jobs", compute="_compute_counts")
    plan_count = fields.Integer(string="Maintenance Plans", compute="_compute_counts")

    @api.model
    def _technician_domain(self):
        return [
            ("groups_id", "in", self.env.ref("service_desk.group_service_desk_own").id),
            ("share", "=", False),
        ]

    def _compute_counts(self):
        jobs = dict(
            self.env["service.job"]._read_group(
                [("team_id", "in", self.ids), ("is_closed", "=", False)],
                ["team_id"],
                ["__count"],
            )
        )
        plans = dict(
            self.env["service.maintenance.plan"]._read_group(
                [("team_id", "in", self.ids)], ["team_id"], ["__count"]
            )
        )
        for team in self:
            team.job_open_count = jobs.get(team, 0)
            team.plan_count = plans.get(team, 0)

    def action_view_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action.update(
            domain=[("team_id", "=", self.id)],
            context={"default_team_id": self.id, "search_default_open": 1},
        )
        return action

    def action_view_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "service_desk.service_maintenance_plan_action"
        )
        action.update(domain=[("team_id", "=", self.id)], context={"default_team_id": self.id})
        return action
