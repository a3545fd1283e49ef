from datetime import timedelta
from email import message_from_string
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import MockSmtplibCase

from .common_action import CrmGuardianActionCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianDigest(CrmGuardianActionCommon, MockSmtplibCase):
    def setUp(self):
        super().setUp()
        self.Digest = self.env["crm.guardian.digest"]
        self.Log = self.env["crm.guardian.digest.log"]
        self.template = self.env.ref("crm_guardian.mail_template_crm_guardian_digest")

    def sent_to(self, logs, kind=None):
        logs = logs.filtered(lambda log: log.state == "sent" and (not kind or log.kind == kind))
        return logs.recipient_id

    def test_recipients(self):
        managers = self.Digest._get_manager_recipients()
        self.assertIn(self.manager, managers)
        self.assertNotIn(self.salesman, managers)
        self.assertNotIn(self.env.ref("base.user_root"), managers)
        self.assertFalse(managers.filtered("share"))
        with_items = self.Digest._get_item_recipients()
        self.assertIn(self.salesman, with_items)
        self.assertIn(self.salesman_other, with_items)
        self.assertNotIn(self.idle, with_items, "nothing assigned")
        self.assertNotIn(self.manager, with_items, "nothing assigned")
        # dismissed items do not count
        self.f_other._dismiss("Waiting for the customer")
        self.assertNotIn(self.salesman_other, self.Digest._get_item_recipients())

    def test_scheduled_once_per_period(self):
        with self.mock_smtplib_connection():
            self._test_scheduled_once_per_period()
        # one email per sent digest, each to its recipient only
        self.assertEqual(len(self.emails), self.Log.search_count([("state", "=", "sent")]))
        self.assertTrue(all(len(email["smtp_to_list"]) == 1 for email in self.emails))

    def _test_scheduled_once_per_period(self):
        weekday = str(self.today.weekday())
        other_day = str((self.today.weekday() + 1) % 7)
        # both off by default
        self.assertFalse(self.Digest._cron_send_digests(today=self.today))
        self.set_param("digest_daily", True)
        self.set_param("digest_weekly", True)
        self.set_param("digest_weekday", other_day)
        logs = self.Digest._cron_send_digests(today=self.today)
        self.assertFalse(self.sent_to(logs, "weekly"), "not the weekday")
        daily = self.sent_to(logs, "daily")
        self.assertIn(self.salesman, daily)
        self.assertNotIn(self.idle, daily)
        self.assertNotIn(self.manager, daily)
        mine = logs.filtered(lambda log: log.recipient_id == self.salesman)
        self.assertEqual(mine.item_count, 2)
        # the action runs again the same day: nothing twice
        self.assertFalse(self.Digest._cron_send_digests(today=self.today))
        # weekly on its weekday, once per ISO week
        self.set_param("digest_weekday", weekday)
        logs = self.Digest._cron_send_digests(today=self.today)
        self.assertIn(self.manager, self.sent_to(logs, "weekly"))
        self.assertFalse(self.sent_to(logs, "daily"))
        self.assertFalse(self.Digest._cron_send_digests(today=self.today))
        next_week = self.today + timedelta(days=7)
        logs = self.Digest._cron_send_digests(today=next_week)
        self.assertIn(self.manager, self.sent_to(logs, "weekly"))
        self.assertIn(self.salesman, self.sent_to(logs, "daily"))

    def test_access_filtering_per_recipient(self):
        content = self.Digest._digest_content("weekly", self.salesman)
        names = {item["name"] for item in content["items"]}
        self.assertEqual(names, {"CG Very Stale Lead", "CG Stale Lead", "CG Nobody Lead"})
        self.assertEqual(content["items"][0]["name"], "CG Very Stale Lead", "riskiest first")
        content = self.Digest._digest_content("weekly", self.manager)
        names = {item["name"] for item in content["items"]}
        self.assertIn("CG Other Lead", names)
        content = self.Digest._digest_content("daily", self.salesman)
        self.assertEqual(
            {item["name"] for item in content["items"]}, {"CG Very Stale Lead", "CG Stale Lead"}
        )
        # the mail body shows the recipient's items only
        body = self.template.with_context(crm_guardian_digest=content)._render_field(
            "body_html", self.salesman.ids
        )[self.salesman.id]
        self.assertIn("CG Very Stale Lead", body)
        self.assertNotIn("CG Other Lead", body)
        self.assertIn(f"/odoo/crm.lead/{self.lead_old.id}", body)
        # an all-clear digest
        body = self.template.with_context(
            crm_guardian_digest=self.Digest._digest_content("daily", self.idle)
        )._render_field("body_html", self.idle.ids)[self.idle.id]
        self.assertIn("All clear", body)

    def test_manual_send_wizard(self):
        with self.mock_smtplib_connection():
            self._test_manual_send_wizard()
        email = self.emails[0]
        self.assertEqual(email["smtp_to_list"], ["cg_salesman@guardian-test.example"])
        self.assertIn("CG Very Stale Lead", self.html_of(email))

    def html_of(self, email):
        """The HTML part of a sent email, decoded."""
        return next(
            part.get_payload(decode=True).decode()
            for part in message_from_string(email["message"]).walk()
            if part.get_content_type() == "text/html"
        )

    def test_email_in_company_layout(self):
        """The digest goes out in the company's mail layout: the subject and a button
        to the list on top, the company below; each item links to its record."""
        self.env.company.write({"name": "CG Layout Company", "phone": "+32 2 555 00 00"})
        with self.mock_smtplib_connection():
            self.Digest._send_digests("manual", self.salesman, scope="daily")
        [email] = self.emails
        html = self.html_of(email)
        self.assertIn("Your CRM rescue list: 2 open", html)
        self.assertIn("Open the list", html)
        self.assertIn("/odoo/action-crm_guardian.crm_guardian_finding_action_mine", html)
        self.assertIn("CG Layout Company", html)
        self.assertIn(f"/odoo/crm.lead/{self.lead_old.id}", html)
        self.assertNotIn("CG Other Lead", html)
        # the riskiest item's badge is in the high-risk colour
        self.assertGreaterEqual(self.f_old.risk_score, 50)
        self.assertIn("background-color: #dc3545", html)

    def _test_manual_send_wizard(self):
        wizard_form = Form(self.env["crm.guardian.digest.send"].with_user(self.manager))
        wizard_form.recipients = "user"
        wizard_form.user_ids.add(self.salesman)
        wizard_form.scope = "mine"
        action = wizard_form.save().action_send()
        # a notification says what happened, then the log of what was sent opens
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["message"], f"Digest sent to {self.salesman.name}.")
        logs = self.Log.search(action["params"]["next"]["domain"])
        self.assertEqual(logs.recipient_id, self.salesman)
        self.assertFalse(logs.error)
        self.assertEqual((logs.kind, logs.state, logs.item_count), ("manual", "sent", 2))
        # manual sends have no period: a second one goes out
        wizard_form = Form(self.env["crm.guardian.digest.send"].with_user(self.manager))
        wizard_form.recipients = "managers"
        action = wizard_form.save().action_send()
        self.assertIn(
            self.manager, self.Log.search(action["params"]["next"]["domain"]).recipient_id
        )
        # to several people: how many
        wizard_form = Form(self.env["crm.guardian.digest.send"].with_user(self.manager))
        wizard_form.recipients = "user"
        wizard_form.user_ids.add(self.salesman)
        wizard_form.user_ids.add(self.idle)
        action = wizard_form.save().action_send()
        self.assertEqual(action["params"]["message"], "Digest sent to 2 people.")
        # nothing sent (every recipient skipped): it says so and closes the dialog
        wizard = self.env["crm.guardian.digest.send"].with_user(self.manager).create({})
        action = wizard._sent_notification(self.Log.browse())
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("Nothing to send", action["params"]["message"])
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})

    def test_never_to_customers(self):
        portal = new_test_user(
            self.env,
            login="cg_portal",
            email="portal@guardian-test.example",
            groups="base.group_portal",
        )
        wizard = self.env["crm.guardian.digest.send"].create(
            {"recipients": "user", "user_ids": [(6, 0, portal.ids)]}
        )
        with self.assertRaises(UserError):
            wizard.action_send()
        self.assertFalse(self.Digest._send_digests("manual", portal))

    def test_log_on_failing_mail_server(self):
        server = self.env["ir.mail_server"].create(
            {"name": "CG closed port", "smtp_host": "127.0.0.1", "smtp_port": 1}
        )
        self.template.mail_server_id = server
        self.salesman_other.email = False
        # let Odoo really connect (tests never do): the closed port refuses
        with patch.object(odoo_module, "current_test", None):
            logs = self.Digest._send_digests("daily", self.salesman | self.salesman_other)
        self.assertEqual(len(logs), 2)
        failed = logs.filtered(lambda log: log.recipient_id == self.salesman)
        self.assertEqual(failed.state, "failed")
        self.assertTrue(failed.error)
        self.assertEqual(failed.item_count, 2)
        self.assertEqual(failed.mail_id.state, "exception")
        no_email = logs - failed
        self.assertEqual(no_email.state, "failed")
        self.assertIn("no email", no_email.error)
        # a failed digest does not count as sent: the next run retries
        self.template.mail_server_id = False
        with self.mock_smtplib_connection():
            logs = self.Digest._send_digests("daily", self.salesman)
        self.assertEqual(logs.state, "sent")

    @mute_logger("odoo.sql_db")
    def test_second_worker_same_period(self):
        """Another worker already logs this period's digest (not yet visible to the
        recipient filter): the unique index makes this run skip, with no email."""
        self.Log.create(
            {
                "kind": "daily",
                "period": self.Digest._period("daily", self.today),
                "recipient_id": self.salesman.id,
                "state": "sent",
            }
        )
        content = self.Digest._digest_content("daily", self.salesman)
        mails_before = self.env["mail.mail"].search_count([])
        period = self.Digest._period("daily", self.today)
        self.assertFalse(self.Digest._send_one("daily", period, self.salesman, content))
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)

    def test_scheduled_actions(self):
        """The scheduled actions run as Odoo runs them; digests off: nothing sent."""
        for xmlid in (
            "crm_guardian.ir_cron_crm_guardian_digests",
            "crm_guardian.ir_cron_crm_guardian_auto_activities",
        ):
            self.env.ref(xmlid).method_direct_trigger()
        self.assertFalse(self.Log.search([]))
        self.assertFalse(self.env["crm.guardian.activity.log"].search([]))
