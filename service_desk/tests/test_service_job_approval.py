from datetime import timedelta

from odoo import fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobApproval(HttpCase, ServiceDeskCommon):
    """Customer approval: request by an officer, decision on the public page, exactly once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "desk@fixit.example"
        cls.job = cls._create_job(
            user_id=cls.technician.id,
            item_brand="Acme",
            item_serial="SER-APPROVE-1",
            description="<p>Screen does not turn on</p>",
            stage_id=cls.stage_diagnosing.id,
        )

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def _request(self, amount=120.0, message="Replace the screen"):
        wizard = Form(
            self.env["service.job.approval.wizard"]
            .with_user(self.officer)
            .with_context(active_model="service.job", active_id=self.job.id)
        )
        wizard.amount = amount
        wizard.message = message
        wizard.save().action_send()
        return self.job.approval_ids.filtered(lambda a: a.state == "pending")

    def _decide(self, token, decision, name="Ann Contact", comment=""):
        return self.url_open(
            f"/service/approval/{token}/decide",
            data={
                "decision": decision,
                "name": name,
                "comment": comment,
                "csrf_token": http.Request.csrf_token(self),
            },
        )

    def test_request_moves_job_and_secures_token(self):
        approval = self._request()
        self.assertEqual(len(approval), 1)
        self.assertEqual(self.job.stage_id, self.stage_approval)
        self.assertGreaterEqual(len(approval.token), 40)
        self.assertIn(f"/service/approval/{approval.token}", approval.approval_url)
        self.assertIn(
            (approval.date_expiry - fields.Datetime.now()).days, (13, 14), "valid 14 days"
        )
        message = self.job.message_ids[:1]
        self.assertIn(approval.token, message.body)
        self.assertIn(self.customer, message.partner_ids)
        with self.assertRaises(AccessError):
            approval.with_user(self.technician).read(["token"])
        # a second request cancels the first one
        second = self._request(amount=90)
        self.assertEqual(approval.state, "cancelled")
        self.assertEqual(self.job.approval_pending_id, second)
        # technicians cannot request approvals
        with self.assertRaises(UserError):  # AccessError is a UserError
            self.env["service.job.approval.wizard"].with_user(self.technician).create(
                {"job_id": self.job.id, "amount": 1}
            ).action_send()

    def test_approve_once(self):
        approval = self._request()
        page = self.url_open(f"/service/approval/{approval.token}")
        self.assertEqual(page.status_code, 200)
        for text in (
            self.job.name,
            "Acme",
            "SER-APPROVE-1",
            "Screen does not turn on",
            "Replace the screen",
            "120.00",
        ):
            self.assertIn(text, page.text)
        res = self._decide(approval.token, "approved", comment="Go ahead please")
        self.assertEqual(res.status_code, 200)
        self.assertIn("your approval was recorded", res.text)
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.customer_comment, "Go ahead please")
        self.assertTrue(approval.date_decision)
        self.assertEqual(self.job.stage_id, self.stage_in_progress)
        decision = self.job.message_ids.filtered(lambda m: "approved the work" in (m.body or ""))
        self.assertEqual(len(decision), 1)
        self.assertIn("Go ahead please", decision.body)
        self.assertIn(self.technician.partner_id, decision.partner_ids)
        # second decision, reuse of the used token: "already decided", nothing changes
        res = self._decide(approval.token, "rejected")
        self.assertEqual(res.status_code, 410)
        self.assertIn("already decided", res.text)
        self.assertEqual(approval.state, "approved")
        res = self.url_open(f"/service/approval/{approval.token}")
        self.assertEqual(res.status_code, 410)
        self.assertIn("already decided", res.text)

    def test_reject_with_comment(self):
        approval = self._request()
        res = self._decide(approval.token, "rejected", name="Ann", comment="Too expensive")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(approval.state, "rejected")
        self.assertEqual(approval.customer_name, "Ann")
        self.assertEqual(self.job.stage_id, self.stage_approval, "rejected: job stays")
        self.assertTrue(
            self.job.activity_ids.filtered(lambda a: a.user_id == self.technician),
            "the technician gets a to-do",
        )
        self.assertTrue(self.job.message_ids.filtered(lambda m: "Too expensive" in (m.body or "")))

    def test_decide_exactly_once_model(self):
        approval = self._request()
        self.assertTrue(approval.sudo()._decide("approved"))
        self.assertFalse(approval.sudo()._decide("rejected"))
        self.assertEqual(approval.state, "approved")

    def test_expired_and_unknown_tokens(self):
        approval = self._request()
        approval.date_expiry = fields.Datetime.now() - timedelta(minutes=1)
        res = self.url_open(f"/service/approval/{approval.token}")
        self.assertEqual(res.status_code, 410)
        self.assertIn("expired", res.text)
        self.assertEqual(approval.state, "expired")
        res = self._decide(approval.token, "approved")
        self.assertEqual(res.status_code, 410)
        self.assertEqual(approval.state, "expired")
        # the real token with its last character changed (to another one: a token that
        # happens to end with "A" must not stay itself)
        altered = approval.token[:-1] + ("B" if approval.token.endswith("A") else "A")
        for token in ("x" * 43, "short", altered):
            res = self.url_open(f"/service/approval/{token}")
            self.assertEqual(res.status_code, 404, token)
            self.assertIn("not valid", res.text)
            self.assertEqual(self._decide(token, "approved").status_code, 404)

    def test_bad_decision_value(self):
        approval = self._request()
        res = self._decide(approval.token, "maybe")
        self.assertEqual(res.status_code, 400)
        self.assertEqual(approval.state, "pending")

    def test_cron_expire(self):
        approval = self._request()
        approval.date_expiry = fields.Datetime.now() - timedelta(days=1)
        self.env["service.job.approval"]._cron_expire()
        self.assertEqual(approval.state, "expired")

    def test_approval_tour(self):
        approval = self._request()
        self.start_tour(f"/service/approval/{approval.token}", "service_desk_approval_tour")
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.customer_comment, "Please go ahead")
