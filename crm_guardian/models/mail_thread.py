from odoo import models


class MailThread(models.AbstractModel):
    """A deleted record's findings are resolved with it, as its messages and activities
    are deleted with it, and it leaves the exact duplicate groups that list it: no
    finding of a deleted record stays listed until the next scan, and a rescan of the
    changed records need not look for deleted ones (every model a check reads is a
    ``mail.thread``: ``test_deleted_record_resolves``; the groups:
    ``test_crm_guardian_deleted_members``)."""

    _inherit = "mail.thread"

    def unlink(self):
        ids = self.ids
        res = super().unlink()
        if ids:
            self.env["crm.guardian.finding"]._resolve_deleted_records(self._name, ids)
        return res
