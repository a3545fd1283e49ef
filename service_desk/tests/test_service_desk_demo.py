from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestServiceDeskDemo(TransactionCase):
    """The demo data shows the product: jobs in every stage, real technicians, approvals,
    portal customers. Skipped on a database without demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("service_desk.service_job_laptop_noboot_demo", raise_if_not_found=False):
            cls.skipTest(cls, "no demo data")
        demo_ids = (
            cls.env["ir.model.data"]
            .search([("module", "=", "service_desk"), ("model", "=", "service.job")])
            .mapped("res_id")
        )
        cls.jobs = cls.env["service.job"].browse(demo_ids)

    def test_jobs_over_every_stage(self):
        jobs = self.jobs
        self.assertGreaterEqual(len(jobs), 25)
        self.assertLessEqual(len(jobs), 40)
        self.assertEqual(jobs.stage_id, self.env["service.stage"].search([]))
        today = fields.Date.context_today(jobs)
        overdue = jobs.filtered(
            lambda j: not j.is_closed and j.date_deadline and j.date_deadline < today
        )
        self.assertGreaterEqual(len(overdue), 3)
        self.assertTrue(jobs.filtered(lambda j: not j.user_id), "some jobs are unassigned")
        # Every delivered job passed the checklist gate.
        delivered = jobs.filtered(lambda j: j.stage_id.requires_checklist_complete)
        self.assertTrue(delivered)
        self.assertEqual(set(delivered.mapped("checklist_progress")), {100.0})
        waiting = jobs.filtered("stage_id.is_approval_stage")
        self.assertTrue(waiting)
        self.assertTrue(all(job.approval_pending_id for job in waiting))

    def test_technicians_are_demo_users(self):
        technicians = self.jobs.user_id
        self.assertEqual(len(technicians), 2)
        self.assertNotIn(self.env.ref("base.user_root"), technicians)
        self.assertNotIn(self.env.ref("base.user_admin"), technicians)
        self.assertTrue(
            all(t.has_group("service_desk.group_service_desk_own") for t in technicians)
        )
        self.assertFalse(
            self.jobs.checklist_line_ids.done_by_id - technicians - self.env.ref("base.user_admin")
        )

    def test_portal_customers_have_jobs(self):
        for xmlid in ("base.demo_user0", "service_desk.user_portal_nadia_demo"):
            user = self.env.ref(xmlid)
            self.assertTrue(user.has_group("base.group_portal"))
            jobs = self.env["service.job"].with_user(user).search([])
            self.assertGreaterEqual(len(jobs), 3)
            self.assertEqual(jobs.commercial_partner_id, user.partner_id.commercial_partner_id)

    def test_categories_do_not_repeat_the_serial(self):
        categories = self.jobs.category_id
        self.assertEqual(len(categories), 3)
        for category in categories:
            labels = [p["string"] for p in category.job_properties_definition]
            self.assertTrue(labels)
            self.assertFalse([label for label in labels if "IMEI" in label or "Serial" in label])

    def test_ratings_and_planned_week(self):
        ratings = self.jobs.rating_ids.filtered("consumed")
        self.assertEqual(sorted(ratings.mapped("rating")), [1.0, 5.0])
        unhappy = self.env.ref("service_desk.service_job_laptop_nadia_delivered_demo")
        low_type = self.env.ref("service_desk.mail_activity_type_service_job_low_rating")
        activity = unhappy.activity_ids.filtered(lambda act: act.activity_type_id == low_type)
        self.assertEqual(activity.user_id, self.env.ref("base.user_admin"))
        pending = self.env.ref("service_desk.service_job_phone_portal_delivered_demo")
        self.assertTrue(pending._get_portal_rating()[0], "a request to answer in the portal")
        planned = self.jobs.filtered("planned_start")
        self.assertGreaterEqual(len(planned), 10)
        self.assertEqual(planned.user_id, self.jobs.user_id, "both technicians have a week")
        self.assertTrue(planned.filtered("schedule_warning"), "an overlap to show")

    def test_parts_labour_and_warranty_claim(self):
        claim = self.env.ref("service_desk.service_job_phone_warranty_demo")
        original = self.env.ref("service_desk.service_job_phone_delivered_demo")
        self.assertEqual(claim.warranty_job_id, original)
        self.assertGreater(original.warranty_date_end, fields.Date.context_today(original))
        self.assertEqual(claim.amount_total, 0.0)
        self.assertGreater(claim.amount_warranty_cost, 0.0)
        screen = self.env.ref("service_desk.service_job_phone_screen_demo")
        self.assertEqual(screen.amount_untaxed, 89.0 + 60.0)
