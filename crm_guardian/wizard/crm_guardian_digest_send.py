from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmGuardianDigestSend(models.TransientModel):
    _name = "crm.guardian.digest.send"
    _description = "Send a Guardian Digest Now"

    recipients = fields.Selection(
        [
            ("managers", "Guardian managers (overview)"),
            ("users", "Users with open items (their own items)"),
            ("user", "Chosen users"),
        ],
        required=True,
        default="managers",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Users",
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref("crm_guardian.group_crm_guardian_user").ids),
        ],
        help="Internal Guardian users; each gets the findings they may read.",
    )
    scope = fields.Selection(
        [("all", "All open findings they may read"), ("mine", "Only items assigned to them")],
        default="all",
        required=True,
    )
    recipient_count = fields.Integer(compute="_compute_recipient_count")

    @api.depends("recipients", "user_ids")
    def _compute_recipient_count(self):
        for wizard in self:
            wizard.recipient_count = len(wizard._get_recipients())

    def _get_recipients(self):
        self.ensure_one()
        Digest = self.env["crm.guardian.digest"]
        if self.recipients == "managers":
            return Digest._get_manager_recipients()
        if self.recipients == "users":
            return Digest._get_item_recipients()
        return Digest._internal_users(self.user_ids)

    def action_send(self):
        self.ensure_one()
        # digests are for Guardian managers (Manage group)
        self.env["crm.guardian.digest.log"].check_access("read")
        self.env["crm.guardian.rule"].check_access("write")
        recipients = self._get_recipients()
        if not recipients:
            raise UserError(self.env._("No internal recipient to send the digest to."))
        kind = "manual"
        scope = "daily" if self.recipients == "users" or self.scope == "mine" else "weekly"
        logs = self.env["crm.guardian.digest"]._send_digests(kind, recipients, scope=scope)
        return self._sent_notification(logs)

    def _sent_notification(self, logs):
        """A notification saying what was sent (to how many people, how many failed, or
        that there was nothing to send), then the log of the digests sent."""
        sent = logs.filtered(lambda log: log.state == "sent")
        failed = logs - sent
        if not logs:
            message = self.env._("Nothing to send: none of the recipients has open items assigned.")
            kind = "warning"
        elif failed:
            message = self.env._(
                "Digest sent to %(sent)s people; %(failed)s could not be sent (see the "
                "Digest Log).",
                sent=len(sent),
                failed=len(failed),
            )
            kind = "warning"
        elif len(sent) == 1:
            message = self.env._("Digest sent to %(name)s.", name=sent.recipient_id.name)
            kind = "success"
        else:
            message = self.env._("Digest sent to %(sent)s people.", sent=len(sent))
            kind = "success"
        notification = self.env["crm.guardian.scan"]._notification(message, kind)
        notification["params"]["title"] = self.env._("CRM Guardian digest")
        if logs:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "crm_guardian.crm_guardian_digest_log_action"
            )
            action["domain"] = [("id", "in", logs.ids)]
            notification["params"]["next"] = action
        else:
            notification["params"]["next"] = {"type": "ir.actions.act_window_close"}
        return notification
