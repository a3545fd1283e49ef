from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

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

    def _decide(self, token, decision, name="Ann Contact", comment="", files=None):
        data = {
            "decision": decision,
            "name": name,
            "comment": comment,
            "csrf_token": http.Request.csrf_token(self),
        }
        for key in files or {}:
            data.pop(key)
        return self.url_open(f"/service/approval/{token}/decide", data=data, files=files)

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
        self.assertIn("Your approval was recorded", res.text)
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

    # ------------------------------------------------------------
    # Malformed input (issue #19, item 4) and the customer's look (item 1)
    # ------------------------------------------------------------

    def _assert_malformed_refused(self, approval):
        """Text that is not text (NUL, files, over-long): the form again, 400, nothing saved."""
        file_ = ("x.txt", b"go", "text/plain")
        for kwargs in (
            {"decision": "approved", "name": "Ann\x00"},
            {"decision": "approved", "comment": "ok\x00\x00"},
            {"decision": "approved", "name": "A" * 200},
            {"decision": "approved", "files": {"comment": file_}},
            {"decision": "approved", "files": {"name": file_}},
            {"decision": "", "files": {"decision": file_}},
            {"decision": "maybe"},
            {"decision": "approved\x00"},
        ):
            res = self._decide(approval.token, **kwargs)
            self.assertEqual(res.status_code, 400, kwargs)
            self.assertIn("o_service_approval_form", res.text)
            self.assertIn("o_service_approval_error", res.text)
        self.assertEqual(approval.state, "pending")
        self.assertFalse(approval.customer_name)

    def test_malformed_values_anonymous(self):
        approval = self._request()
        self._assert_malformed_refused(approval)

    def test_malformed_values_portal_user(self):
        new_test_user(self.env, login="sd_portal_appr", groups="base.group_portal")
        self.authenticate("sd_portal_appr", "sd_portal_appr")
        approval = self._request()
        self._assert_malformed_refused(approval)

    def test_malformed_tokens_are_not_found(self):
        approval = self._request()
        for token in ("é" * 43, approval.token[:-1] + "%00", "a" * 5000, "%00" * 30, "..~" * 10):
            res = self.url_open(f"/service/approval/{token}")
            self.assertEqual(res.status_code, 404, token[:40])
            self.assertIn("This link is not valid", res.text)
            self.assertIn("o_footer", res.text, "inside the shop's layout")
            self.assertEqual(self._decide(token, "approved").status_code, 404, token[:40])
        self.assertEqual(approval.state, "pending")

    def test_decided_request_gets_410_whatever_is_posted(self):
        approval = self._request()
        self.assertEqual(self._decide(approval.token, "approved").status_code, 200)
        file_ = ("x.txt", b"go", "text/plain")
        for kwargs in (
            {"decision": "maybe"},
            {"decision": "rejected", "name": "\x00"},
            {"decision": "", "files": {"decision": file_}},
        ):
            res = self._decide(approval.token, **kwargs)
            self.assertEqual(res.status_code, 410, kwargs)
            self.assertIn("Already answered", res.text)
            self.assertNotIn("o_service_approval_form", res.text)
        self.assertEqual(approval.state, "approved")

    def test_contact_prefilled_addressed_and_author(self):
        """The request is for the job's contact: prefilled name, "Dear <contact>", and the
        decision (message and stage change) authored by the contact, not the public user."""
        self.contact_a.email = "ann@fixit.example"
        self.job.contact_id = self.contact_a
        approval = self._request()
        mail = self.job.message_ids.filtered(lambda m: approval.token in (m.body or ""))
        self.assertIn("Dear Ann Contact", mail.body)
        self.assertNotIn("Dear Fix-It", mail.body)
        self.assertIn(self.contact_a, mail.partner_ids)
        page = self.url_open(f"/service/approval/{approval.token}")
        self.assertIn('value="Ann Contact"', page.text)
        self.assertNotIn('value="Fix-It Customer Ltd"', page.text)
        self.assertIn(f"/logo.png?company={self.job.company_id.id}", page.text)
        self.assertIn(f"Your approval is needed | {self.job.company_id.name}", page.text)
        self.assertEqual(self._decide(approval.token, "approved", name="Ann C.").status_code, 200)
        self.env.flush_all()
        decision = self.job.message_ids.filtered(lambda m: "approved the work" in (m.body or ""))
        self.assertEqual(decision.author_id, self.contact_a)
        stage_change = self.job.message_ids.filtered(
            lambda m: m.tracking_value_ids.filtered(lambda t: t.field_id.name == "stage_id")
        )[:1]
        self.assertEqual(stage_change.author_id, self.contact_a)
        self.assertIn(
            self.stage_in_progress.name, stage_change.tracking_value_ids.mapped("new_value_char")
        )


@tagged("post_install", "-at_install")
class TestServiceJobQuotationApproval(HttpCase, ServiceDeskCommon):
    """Approval of a quotation: accepted and signed (or declined) on sale's portal page."""

    SIGNATURE = (  # a 1x1 PNG
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
        "hwGA60e6kgAAAABJRU5ErkJggg=="
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "desk@fixit.example"
        cls.job = cls._create_job(
            user_id=cls.technician.id,
            contact_id=cls.contact_a.id,
            stage_id=cls.stage_diagnosing.id,
        )
        product = cls.env["product.product"].create(
            {"name": "Screen replacement", "list_price": 150.0, "type": "service"}
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": cls.officer.id,
                "require_signature": True,
                "require_payment": False,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
                "service_job_ids": [Command.link(cls.job.id)],
            }
        )

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def _request(self, order=None):
        wizard = Form(
            self.env["service.job.approval.wizard"]
            .with_user(self.officer)
            .with_context(active_model="service.job", active_id=self.job.id)
        )
        wizard.sale_order_id = order or self.order
        self.assertEqual(wizard.amount, self.order.amount_total)
        wizard.message = "Screen replacement as quoted"
        wizard.save().action_send()
        return self.job.approval_pending_id

    def test_request_sends_the_quotation(self):
        approval = self._request()
        self.assertEqual(approval.sale_order_id, self.order)
        self.assertEqual(approval.amount, self.order.amount_total)
        self.assertEqual(approval.currency_id, self.order.currency_id)
        self.assertEqual(self.order.state, "sent")
        self.assertEqual(self.job.stage_id, self.stage_approval)
        mail = self.job.message_ids.filtered(lambda m: approval.token in (m.body or ""))
        self.assertIn(self.order.name, mail.body)
        # the request's link opens the quotation on sale's portal page, no login needed
        res = self.url_open(f"/service/approval/{approval.token}", allow_redirects=False)
        self.assertEqual(res.status_code, 303)
        self.assertIn(f"/my/orders/{self.order.id}?access_token=", res.headers["Location"])
        page = self.url_open(res.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.order.name, page.text)
        # the plain form cannot decide a quotation's request
        res = self.url_open(
            f"/service/approval/{approval.token}/decide",
            data={"decision": "approved", "csrf_token": http.Request.csrf_token(self)},
            allow_redirects=False,
        )
        self.assertEqual(res.status_code, 303)
        self.assertEqual(approval.state, "pending")

    def test_accept_and_sign_online_moves_the_job(self):
        approval = self._request()
        result = self.make_jsonrpc_request(
            f"/my/orders/{self.order.id}/accept?access_token={self.order.access_token}",
            {"name": "Ann Contact", "signature": self.SIGNATURE},
        )
        self.assertNotIn("error", result)
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.customer_name, "Ann Contact")
        self.assertEqual(self.job.stage_id, self.stage_in_progress)
        decision = self.job.message_ids.filtered(lambda m: "approved the work" in (m.body or ""))
        self.assertEqual(decision.author_id, self.contact_a)
        self.assertIn(self.order.name, decision.body)
        self.assertIn(self.technician.partner_id, decision.partner_ids, "the technician is told")

    def test_decline_online_rejects(self):
        approval = self._request()
        res = self.url_open(
            f"/my/orders/{self.order.id}/decline",
            data={
                "access_token": self.order.access_token,
                "decline_message": "Too expensive",
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(res.status_code, 200)
        self.assertEqual(self.order.state, "cancel")
        self.assertEqual(approval.state, "rejected")
        self.assertEqual(self.job.stage_id, self.stage_approval, "rejected: job stays")
        self.assertTrue(self.job.activity_ids.filtered(lambda a: a.user_id == self.technician))

    def test_confirmed_or_cancelled_by_the_shop(self):
        approval = self._request()
        self.order.with_user(self.officer)._action_cancel()
        self.assertEqual(approval.state, "cancelled", "the shop cancelled: not the customer")
        self.order.with_user(self.officer).action_draft()
        approval = self._request()
        self.order.with_user(self.officer).action_confirm()  # agreed by phone
        self.assertEqual(approval.state, "approved")
        self.assertEqual(self.job.stage_id, self.stage_in_progress)

    def test_quotation_checks(self):
        other = self.order.copy({"service_job_ids": False})
        with self.assertRaises(UserError):
            self.env["service.job.approval.wizard"].with_user(self.officer).create(
                {"job_id": self.job.id, "sale_order_id": other.id}
            ).action_send()
        self.assertFalse(self.job.approval_ids)
