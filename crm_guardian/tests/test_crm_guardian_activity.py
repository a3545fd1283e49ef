from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_action import CrmGuardianActionCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianActivity(CrmGuardianActionCommon):
    def test_schedule_activity_prefill(self):
        self.set_param("activity_delay_days", 3)
        finding = self.f_old.with_user(self.salesman)
        self.assertFalse(finding.has_open_activity)
        self.assertTrue(finding.can_schedule_activity)
        action = finding.action_schedule_activity()
        self.assertEqual(action["res_model"], "mail.activity.schedule")
        self.assertEqual(action["target"], "new")
        ctx = action["context"]
        self.assertEqual(ctx["active_model"], "crm.lead")
        self.assertEqual(ctx["active_ids"], self.lead_old.ids)
        # Odoo's own dialog, as the web client opens it
        wizard_form = Form(
            self.env["mail.activity.schedule"].with_user(self.salesman).with_context(**ctx)
        )
        self.assertEqual(wizard_form.res_model, "crm.lead")
        self.assertEqual(
            wizard_form.activity_type_id, self.env.ref("crm_guardian.mail_activity_type_guardian")
        )
        self.assertEqual(wizard_form.summary, "Guardian: Stale lead")
        self.assertEqual(wizard_form.date_deadline, self.today + timedelta(days=3))
        self.assertEqual(wizard_form.activity_user_id, self.salesman)
        self.assertIn("No stage change", str(wizard_form.note))
        wizard = wizard_form.save()
        wizard.action_schedule_activities()
        activity = self.lead_old.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=3))
        # the finding shows the open activity and stays open (not hidden)
        finding.invalidate_recordset()
        self.assertTrue(finding.has_open_activity)
        self.assertEqual(finding.activity_id, activity)
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        self.assertIn(finding, Finding.search([("state", "=", "open")]))
        view = finding.action_view_activity()
        self.assertEqual((view["res_model"], view["res_id"]), ("mail.activity", activity.id))

    def test_assignee_owner_fallback_current(self):
        manager_finding = self.f_nobody.with_user(self.manager)
        # no owner, no fallback: the current user
        ctx = manager_finding.action_schedule_activity()["context"]
        self.assertEqual(ctx["default_activity_user_id"], self.manager.id)
        # no owner: the fallback of the settings
        self.set_param("activity_fallback_user_id", self.salesman_other.id)
        ctx = manager_finding.action_schedule_activity()["context"]
        self.assertEqual(ctx["default_activity_user_id"], self.salesman_other.id)
        # owner first
        ctx = self.f_old.with_user(self.manager).action_schedule_activity()["context"]
        self.assertEqual(ctx["default_activity_user_id"], self.salesman.id)
        # archived owner: fallback
        self.salesman.sudo().active = False
        ctx = self.f_old.with_user(self.manager).action_schedule_activity()["context"]
        self.assertEqual(ctx["default_activity_user_id"], self.salesman_other.id)

    def test_open_activity_flag_and_view(self):
        finding = self.f_new.with_user(self.salesman)
        with self.assertRaises(UserError):
            finding.action_view_activity()
        activity = self.lead_new.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.salesman.id
        )
        finding.invalidate_recordset()
        self.assertTrue(finding.has_open_activity)
        self.assertEqual(finding.action_view_activity()["res_id"], activity.id)
        self.assertEqual(finding.state, "open")
        activity.action_feedback(feedback="Called")
        finding.invalidate_recordset()
        self.assertFalse(finding.has_open_activity)
        self.assertFalse(finding.activity_id)

    def test_can_schedule_only_with_write_access(self):
        # salespeople may read unassigned leads but, here, nobody may edit them
        self.env["ir.rule"].create(
            {
                "name": "CG no edit of unassigned leads",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "domain_force": "[('user_id', '!=', False)]",
                "perm_read": False,
                "perm_create": False,
                "perm_unlink": False,
            }
        )
        findings = (self.f_old | self.f_nobody).with_user(self.salesman)
        self.assertEqual(findings.mapped("can_schedule_activity"), [True, False])
        self.assertFalse(findings[1].has_open_activity)

    def test_record_gone(self):
        self.lead_new.unlink()
        with self.assertRaises(UserError):
            self.f_new.action_schedule_activity()
