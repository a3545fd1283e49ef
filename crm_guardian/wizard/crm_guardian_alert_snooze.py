from odoo import fields, models


class CrmGuardianAlertSnooze(models.TransientModel):
    _name = "crm.guardian.alert.snooze"
    _description = "Snooze Guardian Setup Alerts"

    alert_ids = fields.Many2many("crm.guardian.alert", string="Alerts", required=True)
    note = fields.Text(required=True, help="Why the alert can wait; shown on the alert.")
    until = fields.Date(help="The alert opens again on this date if it still applies.")

    def action_snooze(self):
        self.alert_ids._snooze(self.until, self.note)
        return {"type": "ir.actions.act_window_close"}
