from odoo import fields, models


class CrmGuardianFindingDismiss(models.TransientModel):
    _name = "crm.guardian.finding.dismiss"
    _description = "Dismiss Guardian Findings"

    finding_ids = fields.Many2many("crm.guardian.finding", string="Findings", required=True)
    note = fields.Text(required=True, help="Why the finding can be ignored; shown on the finding.")
    until = fields.Date(
        help="The finding opens again on this date if it still applies. Empty: until its "
        "evidence gets worse."
    )

    def action_dismiss(self):
        self.ensure_one()
        self.finding_ids._dismiss(self.note, self.until)
        return {"type": "ir.actions.act_window_close"}
