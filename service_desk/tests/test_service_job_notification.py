from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobNotification(ServiceDeskCommon):
    """Customer emails, with mail enabled (no DISABLED_MAIL_CONTEXT)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context={})
        cls.customer.write({"email": "desk@fixit.example", "lang": "en_US"})

    def _mails_to(self, partner, job):
        return (
            self.env["mail.mail"]
            .search([("model", "=", "service.job"), ("res_id", "=", job.id)])
            .filtered(lambda mail: partner in mail.recipient_ids)
        )

    def test_received_mail_on_create(self):
        job = self.env["service.job"].create({"partner_id": self.customer.id, "title": "X"})
        mails = self._mails_to(self.customer, job)
        self.assertEqual(len(mails), 1)
        self.assertIn("we received your job", mails.subject)
        self.assertEqual(mails.recipient_ids, self.customer)

    def test_no_mail_without_email(self):
        job = self.env["service.job"].create({"partner_id": self.other_customer.id})
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("model", "=", "service.job"),
                    ("res_id", "=", job.id),
                    ("subject", "ilike", "received"),
                ]
            )
        )

    def test_ready_for_pickup_mail(self):
        job = self.env["service.job"].create(
            {"partner_id": self.customer.id, "stage_id": self.stage_in_progress.id}
        )
        job.stage_id = self.stage_ready
        self.env.cr.precommit.run()  # tracking (and its stage template) runs at commit
        mails = self._mails_to(self.customer, job).filtered(
            lambda mail: "ready for pickup" in (mail.subject or "")
        )
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.customer)

    def test_approval_mail(self):
        job = self.env["service.job"].create({"partner_id": self.customer.id})
        approval = job._request_approval(50.0, self.env.company.currency_id, "Please")
        mails = self._mails_to(self.customer, job).filtered(
            lambda mail: "your approval" in (mail.subject or "")
        )
        self.assertEqual(len(mails), 1)
        self.assertIn(approval.token, mails.body_html)
