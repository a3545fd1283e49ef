from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_guardian_digest import WEEKDAYS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_guardian_open_alert_count = fields.Integer(
        string="Open setup alerts", compute="_compute_crm_guardian_open_alert_count"
    )
    # activities
    crm_guardian_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Guardian Activity Type",
        config_parameter="crm_guardian.activity_type_id",
        default=lambda self: self.env["ir.model.data"]._xmlid_to_res_id(
            "crm_guardian.mail_activity_type_guardian", raise_if_not_found=False
        ),
        help="Type of the activities scheduled from findings (default: Guardian Follow-up).",
    )
    crm_guardian_activity_delay_days = fields.Integer(
        string="Activity Due In (days)",
        config_parameter="crm_guardian.activity_delay_days",
        default=2,
    )
    crm_guardian_activity_fallback_user_id = fields.Many2one(
        "res.users",
        string="Fallback Assignee",
        config_parameter="crm_guardian.activity_fallback_user_id",
        domain=[("share", "=", False)],
        help="Assignee of the activity when the record has no responsible user.",
    )
    crm_guardian_auto_activity = fields.Boolean(
        string="Auto-activities",
        config_parameter="crm_guardian.auto_activity",
        help="Every night, schedule an activity for open findings whose record has none.",
    )
    crm_guardian_auto_activity_cooldown_days = fields.Integer(
        string="Cooldown (days)",
        config_parameter="crm_guardian.auto_activity_cooldown_days",
        default=14,
        help="No second auto-activity for the same finding within this many days, "
        "even after the first was done or cancelled.",
    )
    crm_guardian_auto_activity_daily_cap = fields.Integer(
        string="Daily Cap",
        config_parameter="crm_guardian.auto_activity_daily_cap",
        default=50,
        help="At most this many auto-activities a day, the riskiest findings first.",
    )
    # digests
    crm_guardian_digest_weekly = fields.Boolean(
        string="Weekly Manager Digest", config_parameter="crm_guardian.digest_weekly"
    )
    crm_guardian_digest_weekday = fields.Selection(
        WEEKDAYS,
        string="Digest Weekday",
        config_parameter="crm_guardian.digest_weekday",
        default="0",
    )
    crm_guardian_digest_daily = fields.Boolean(
        string="Daily Digest per User", config_parameter="crm_guardian.digest_daily"
    )

    @api.constrains(
        "crm_guardian_activity_delay_days",
        "crm_guardian_auto_activity_cooldown_days",
        "crm_guardian_auto_activity_daily_cap",
    )
    def _check_crm_guardian_numbers(self):
        for settings in self:
            if (
                settings.crm_guardian_activity_delay_days < 0
                or settings.crm_guardian_auto_activity_cooldown_days < 0
                or settings.crm_guardian_auto_activity_daily_cap < 0
            ):
                raise ValidationError(
                    self.env._("Guardian delays, cooldown and cap cannot be negative.")
                )

    # a dependency, as base_setup's counters: without one, the web client's first
    # onchange of the settings form keeps the default (0) instead of computing
    @api.depends("company_id")
    def _compute_crm_guardian_open_alert_count(self):
        count = self.env["crm.guardian.alert"].search_count([("state", "=", "open")])
        for settings in self:
            settings.crm_guardian_open_alert_count = count

    def action_crm_guardian_rules(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_rule_action"
        )

    def action_crm_guardian_alerts(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_alert_action"
        )

    def action_crm_guardian_send_digest(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_digest_send_action"
        )

    def action_crm_guardian_digest_log(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_digest_log_action"
        )

    def action_crm_guardian_activity_log(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_guardian.crm_guardian_activity_log_action"
        )
