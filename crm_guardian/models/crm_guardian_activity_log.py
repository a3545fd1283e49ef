from odoo import fields, models
from odoo.tools import SQL


class CrmGuardianActivityLog(models.Model):
    """What the nightly auto-activities created and skipped."""

    _name = "crm.guardian.activity.log"
    _description = "CRM Guardian Auto-Activity Log"
    _order = "id desc"
    _rec_name = "log_date"

    log_date = fields.Date(
        string="Day", required=True, readonly=True, index=True, default=fields.Date.context_today
    )
    result = fields.Selection(
        [("created", "Created"), ("skipped", "Skipped")], required=True, readonly=True
    )
    reason = fields.Char(readonly=True)
    finding_id = fields.Many2one(
        "crm.guardian.finding", readonly=True, index="btree_not_null", ondelete="cascade"
    )
    res_model = fields.Char(string="Record Model", readonly=True)
    res_id = fields.Many2oneReference(string="Record ID", model_field="res_model", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned To", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    def init(self):
        # one created activity per finding and day, whatever the number of workers
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_guardian_activity_log_created_uniq "
                "ON crm_guardian_activity_log (finding_id, log_date) WHERE result = 'created'"
            )
        )

    def action_view_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
