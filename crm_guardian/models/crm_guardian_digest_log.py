from odoo import fields, models
from odoo.tools import SQL


class CrmGuardianDigestLog(models.Model):
    """Delivery log of the guardian digests: one line per recipient and send."""

    _name = "crm.guardian.digest.log"
    _description = "CRM Guardian Digest Log"
    _order = "id desc"
    _rec_name = "kind"

    kind = fields.Selection(
        [("weekly", "Weekly (managers)"), ("daily", "Daily (my items)"), ("manual", "Manual")],
        required=True,
        readonly=True,
        index=True,
    )
    period = fields.Char(
        readonly=True,
        help="ISO week (weekly) or day (daily) of the digest: one sent digest per period.",
    )
    recipient_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
    email = fields.Char(string="Email Address", readonly=True)
    item_count = fields.Integer(string="Items", readonly=True)
    state = fields.Selection(
        [("sent", "Sent"), ("failed", "Failed")], required=True, readonly=True, default="sent"
    )
    error = fields.Text(readonly=True)
    mail_id = fields.Many2one("mail.mail", string="Email", readonly=True, ondelete="set null")
    sent_by_id = fields.Many2one("res.users", readonly=True)

    def init(self):
        # one sent (or sending) scheduled digest per recipient and period, even
        # with two workers: the second insert waits for the first and fails
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_guardian_digest_log_period_uniq "
                "ON crm_guardian_digest_log (kind, recipient_id, period) "
                "WHERE state = 'sent' AND kind IN ('weekly', 'daily')"
            )
        )
