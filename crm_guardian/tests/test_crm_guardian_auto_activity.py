from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_action import CrmGuardianActionCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianAutoActivity(CrmGuardianActionCommon):
    def setUp(self):
        super().setUp()
        self.Finding = self.env["crm.guardian.finding"]
        self.Log = self.env["crm.guardian.activity.log"]
        # the unassigned lead gets its activity through the fallback user
        self.set_param("activity_fallback_user_id", self.manager.id)

    def run_auto(self, today=None):
        return self.Finding._run_auto_activities(today=today or self.today)

    def guardian_activities(self):
        activity_type = self.env.ref("crm_guardian.mail_activity_type_guardian")
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", self.leads.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )

    def test_off_by_default(self):
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.crm_guardian_auto_activity)
        self.assertEqual(
            settings.crm_guardian_activity_type_id,
            self.env.ref("crm_guardian.mail_activity_type_guardian"),
        )
        self.assertEqual(self.run_auto(), {"created": 0, "skipped": 0})
        self.Finding._cron_auto_activities()
        self.assertFalse(self.guardian_activities())
        self.assertFalse(self.Log.search([]))

    def test_create_and_double_run(self):
        self.set_param("auto_activity", True)
        self.lead_other.activity_schedule("mail.mail_activity_data_call", user_id=self.manager.id)
        result = self.run_auto()
        self.assertEqual(result["created"], 3)
        activities = self.guardian_activities()
        self.assertEqual(len(activities), 3)
        by_lead = {activity.res_id: activity for activity in activities}
        self.assertEqual(by_lead[self.lead_old.id].user_id, self.salesman)
        self.assertEqual(by_lead[self.lead_nobody.id].user_id, self.manager)
        self.assertNotIn(self.lead_other.id, by_lead, "the lead had an open activity")
        self.assertIn("No stage change", str(by_lead[self.lead_old.id].note))
        created = self.Log.search([("result", "=", "created")])
        self.assertEqual(created.finding_id, self.f_old | self.f_new | self.f_nobody)
        self.assertEqual(self.f_old.last_auto_activity_date, self.today)
        self.assertIn("Auto-activity scheduled", self.f_old.message_ids[0].body)
        # a second run (retry, or the action run twice) creates nothing
        self.assertEqual(self.run_auto()["created"], 0)
        self.Finding._cron_auto_activities()
        self.assertEqual(len(self.guardian_activities()), 3)
        self.assertEqual(self.Log.search_count([("result", "=", "created")]), 3)

    def test_cooldown(self):
        self.set_param("auto_activity", True)
        self.set_param("auto_activity_cooldown_days", 5)
        self.run_auto()
        # the activities are done: still no second one within the cooldown
        self.guardian_activities().action_feedback(feedback="Done")
        self.assertFalse(self.guardian_activities())
        self.assertEqual(self.run_auto(self.today + timedelta(days=4))["created"], 0)
        skipped = self.Log.search([("result", "=", "skipped")], limit=1)
        self.assertIn("cooldown", skipped.reason)
        self.assertEqual(self.run_auto(self.today + timedelta(days=5))["created"], 4)
        # cancelled (deleted) activities too
        self.guardian_activities().unlink()
        self.assertEqual(self.run_auto(self.today + timedelta(days=6))["created"], 0)

    def test_daily_cap(self):
        self.set_param("auto_activity", True)
        self.set_param("auto_activity_daily_cap", 2)
        result = self.run_auto()
        self.assertEqual(result["created"], 2)
        # the riskiest first
        created = self.Log.search([("result", "=", "created")])
        self.assertIn(self.f_old, created.finding_id)
        cap_log = self.Log.search([("reason", "like", "Daily cap")])
        self.assertEqual(len(cap_log), 1)
        self.assertIn("up to 2 findings wait", cap_log.reason)
        # the cap is per day: nothing more today, the rest tomorrow
        self.assertEqual(self.run_auto()["created"], 0)
        self.assertEqual(self.run_auto(self.today + timedelta(days=1))["created"], 2)

    def test_skips_without_assignee(self):
        self.set_param("auto_activity", True)
        self.set_param("activity_fallback_user_id", 0)
        self.run_auto()
        skipped = self.Log.search([("finding_id", "=", self.f_nobody.id)])
        self.assertEqual(skipped.result, "skipped")
        self.assertIn("No responsible user", skipped.reason)
        self.assertFalse(self.lead_nobody.activity_ids)

    @mute_logger("odoo.sql_db")
    def test_second_worker(self):
        """Another worker already created today's activity of a finding (its log
        line is there, its write of the finding is not visible): the unique index
        (finding, day) keeps this run from creating a second one."""
        self.set_param("auto_activity", True)
        self.Log.create(
            {
                "log_date": self.today,
                "result": "created",
                "finding_id": self.f_old.id,
                "res_model": "crm.lead",
                "res_id": self.lead_old.id,
            }
        )
        result = self.run_auto()
        self.assertEqual(result["created"], 3)
        self.assertFalse(self.lead_old.activity_ids)
        self.assertEqual(len(self.guardian_activities()), 3)
        self.assertEqual(self.Log.search_count([("finding_id", "=", self.f_old.id)]), 1)

    def test_locked_findings_are_skipped(self):
        """Rows locked by another worker are skipped (``FOR UPDATE SKIP LOCKED``):
        the lock query returns only what this transaction may handle."""
        findings = self.f_old | self.f_new
        self.assertEqual(findings._auto_activity_lock(), set(findings.ids))

    def test_settings(self):
        settings = self.env["res.config.settings"].create(
            {
                "crm_guardian_auto_activity": True,
                "crm_guardian_auto_activity_cooldown_days": 3,
                "crm_guardian_auto_activity_daily_cap": 7,
                "crm_guardian_activity_delay_days": 5,
                "crm_guardian_activity_fallback_user_id": self.manager.id,
                "crm_guardian_digest_weekly": True,
                "crm_guardian_digest_weekday": "4",
            }
        )
        settings.execute()
        self.assertTrue(self.Finding._guardian_param("auto_activity"))
        self.assertEqual(self.Finding._guardian_param("auto_activity_cooldown_days"), 3)
        self.assertEqual(self.Finding._guardian_param("auto_activity_daily_cap"), 7)
        self.assertEqual(self.Finding._guardian_param("activity_fallback_user_id"), self.manager.id)
        self.assertEqual(self.env["crm.guardian.digest"]._param("digest_weekday"), "4")
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"crm_guardian_auto_activity_daily_cap": -1})
