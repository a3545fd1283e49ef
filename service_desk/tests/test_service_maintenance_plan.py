from datetime import timedelta

from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlan(ServiceDeskCommon):
    """Plans create the due jobs ahead of time, once per plan and visit date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["service.maintenance.plan"])
        cls.item = cls._create_item(item_type="Boiler", serial="BOIL-1")
        cls.plan = cls._create_plan(
            item_id=cls.item.id,
            interval_number=3,
            interval_unit="months",
            next_date=cls.today + timedelta(days=5),
            lead_days=7,
            category_id=cls.category.id,
            checklist_template_ids=[(6, 0, cls.checklist_quality.ids)],
            user_id=cls.technician.id,
            description="<p>Clean the burner</p>",
        )
        cls.later_plan = cls._create_plan(
            partner_id=cls.other_customer.id, next_date=cls.today + timedelta(days=30)
        )
        # Other plans of the database (demo data) are not these tests' business.
        cls.env["service.maintenance.plan"].search(
            [("id", "not in", (cls.plan | cls.later_plan).ids)]
        ).active = False

    def _run(self, **context):
        return self.env["service.maintenance.plan"].with_context(**context)._cron_create_due_jobs()

    def test_cron_creates_due_job_and_advances(self):
        self.assertEqual(self.plan.job_create_date, self.today - timedelta(days=2))
        self.assertEqual(self.plan.partner_id, self.customer, "the item's owner")
        self.assertEqual(self._run(), 1)
        job = self.plan.job_ids
        self.assertEqual(len(job), 1)
        self.assertEqual(job.maintenance_date, self.today + timedelta(days=5))
        self.assertEqual(job.date_deadline, job.maintenance_date)
        self.assertEqual(job.item_id, self.item)
        self.assertEqual(job.item_serial, "BOIL-1")
        self.assertEqual(
            (job.partner_id, job.user_id, job.category_id),
            (self.customer, self.technician, self.category),
        )
        self.assertEqual(job.title, "Yearly service")
        self.assertIn("Clean the burner", job.description)
        self.assertEqual(
            set(job.checklist_line_ids.template_id.ids),
            set((self.checklist_quality | self.checklist_intake).ids),
        )
        self.assertEqual(
            self.plan.next_date, self.today + timedelta(days=5) + relativedelta(months=3)
        )
        self.assertEqual(self.plan.last_job_id, job)
        self.assertEqual(self.plan.job_count, 1)
        self.assertFalse(self.later_plan.job_ids, "not due yet")

    def test_second_run_creates_nothing(self):
        self._run()
        self.assertEqual(self._run(), 0)
        self.assertEqual(len(self.plan.job_ids), 1)

    def test_retried_run_does_not_double_a_visit(self):
        self._run()
        visit = self.plan.job_ids.maintenance_date
        # As if the date had not moved on (a run retried from an old state).
        self.plan.next_date = visit
        self.assertEqual(self._run(), 0)
        self.assertEqual(len(self.plan.job_ids), 1)
        self.assertGreater(self.plan.next_date, visit)
        # The unique key of the job is the last guard.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._create_job(maintenance_plan_id=self.plan.id, maintenance_date=visit)

    def test_missed_visits_are_skipped(self):
        missed = self.today - relativedelta(months=7)
        self.plan.write({"next_date": missed, "lead_days": 0})
        self.assertEqual(self._run(), 1, "one job for the overdue visit")
        self.assertEqual(self.plan.job_ids.maintenance_date, missed)
        # the visits of 4 and 1 months ago are not made up: the next one is in 2 months
        self.assertEqual(self.plan.next_date, missed + relativedelta(months=9))

    def test_batches_and_progress(self):
        plans = self.env["service.maintenance.plan"].create(
            [{"name": f"P{i}", "partner_id": self.customer.id} for i in range(4)]
        )
        cron = self.env.ref("service_desk.ir_cron_service_maintenance_plan")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Plan = self.env["service.maintenance.plan"].with_context(
            ir_cron_progress_id=progress.id, service_plan_max_batches=1
        )
        self.assertEqual(Plan._cron_create_due_jobs(batch_size=2), 2)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        Plan.with_context(service_plan_max_batches=None)._cron_create_due_jobs(batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertEqual(len((plans | self.plan).job_ids), 5)

    def test_archived_plan_creates_nothing(self):
        self.plan.active = False
        self.assertEqual(self._run(), 0)

    def test_validation(self):
        with self.assertRaises(ValidationError):
            self._create_plan(item_id=self.item.id, partner_id=self.other_customer.id)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._create_plan(interval_number=0)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._create_plan(lead_days=-1)

    def test_access_per_group(self):
        plan = self.plan.with_user(self.technician)
        self.assertEqual(plan.name, "Yearly service")
        with self.assertRaises(AccessError):
            plan.write({"lead_days": 1})
        with self.assertRaises(AccessError):
            self._create_plan(user=self.technician)
        created = self._create_plan(user=self.officer, next_date=self.today + timedelta(days=60))
        action = created.with_user(self.officer).action_create_next_job()
        job = self.env["service.job"].browse(action["res_id"])
        self.assertEqual(job.maintenance_plan_id, created)
        self.assertEqual(
            created.next_date, self.today + timedelta(days=60) + relativedelta(months=1)
        )
        with self.assertRaises(AccessError):
            created.with_user(self.officer).unlink()
        self.later_plan.with_user(self.manager).unlink()
        portal = new_test_user(
            self.env,
            login="sd_plan_portal",
            groups="base.group_portal",
            partner_id=self.contact_a.id,
        )
        Plan = self.env["service.maintenance.plan"].with_user(portal)
        self.assertEqual(Plan.search([]), self.plan | created)
        with self.assertRaises(AccessError):
            self.plan.with_user(portal).write({"name": "Mine"})


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlanMail(ServiceDeskCommon):
    """The customer is emailed the planned visit (mail enabled)."""

    def test_planned_mail(self):
        env = self.env(context={})
        self.customer.write({"email": "desk@fixit.example", "lang": "en_US"})
        plan = self._create_plan(next_date=fields.Date.context_today(self.customer))
        jobs = env["service.maintenance.plan"].browse(plan.id)._generate_jobs()
        mails = env["mail.mail"].search([("model", "=", "service.job"), ("res_id", "=", jobs.id)])
        self.assertEqual(len(mails), 1, "the planned-visit email only, not the received one")
        self.assertIn("maintenance visit planned", mails.subject)
        self.assertEqual(mails.recipient_ids, self.customer)


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlanDemo(ServiceDeskCommon):
    """Demo data: every demo job has its item; four plans (one by meter reading), one due."""

    def test_demo_items_and_plans(self):
        due = self.env.ref(
            "service_desk.service_maintenance_plan_descale_demo", raise_if_not_found=False
        )
        if not due:
            self.skipTest("database without demo data")
        screen = self.env.ref("service_desk.service_job_phone_screen_demo")
        self.assertEqual(screen.item_id.serial, screen.item_serial)
        self.assertEqual(screen.item_id.partner_id, screen.commercial_partner_id)
        plans = self.env["service.maintenance.plan"].search([])
        today = fields.Date.context_today(due)
        self.assertEqual(len(plans), 4)
        self.assertEqual(plans.filtered(lambda plan: plan.job_create_date <= today), due)
        # The plan by meter reading: the next value expected within about two months.
        brew = self.env.ref("service_desk.service_maintenance_plan_brew_group_demo")
        self.assertEqual(brew.interval_unit, "meter")
        self.assertEqual(brew.meter_value, 19000)
        self.assertTrue(today + timedelta(days=30) < brew.next_date < today + timedelta(days=120))
        self.assertEqual(brew.team_id, self.env.ref("service_desk.service_team_field_demo"))
        self.assertEqual(len(brew.item_id.meter_reading_ids), 3)
        self.assertEqual(due.item_id.job_count, 1)
