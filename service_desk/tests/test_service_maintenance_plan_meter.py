from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlanMeter(ServiceDeskCommon):
    """Plans by meter reading: due when the item's meter reaches the next value, or is
    expected to within the lead time; readings never go down."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Plan = cls.env["service.maintenance.plan"]
        cls.today = fields.Date.context_today(Plan)
        Plan.search([]).active = False  # demo plans are not these tests' business
        cls.meter_category = cls.env["service.category"].create(
            {"name": "Generators", "meter_unit": "hours"}
        )
        cls.team = cls.env["service.team"].create(
            {"name": "Field", "member_ids": [Command.set([cls.technician.id])]}
        )
        cls.item = cls._create_item(item_type="Generator", serial="GEN-1")
        # 200 hours in 50 days: 4 hours a day.
        cls._reading(1000, 100)
        cls._reading(1200, 50)
        cls.plan = cls._create_plan(
            item_id=cls.item.id,
            interval_unit="meter",
            interval_number=500,
            meter_next_value=1500,
            lead_days=7,
            category_id=cls.meter_category.id,
            user_id=cls.technician.id,
            team_id=cls.team.id,
        )

    @classmethod
    def _reading(cls, value, days_ago, item=None, user=None, **values):
        Reading = cls.env["service.item.meter.reading"]
        if user:
            Reading = Reading.with_user(user)
        return Reading.create(
            {
                "item_id": (item or cls.item).id,
                "value": value,
                "date": cls.today - timedelta(days=days_ago),
                **values,
            }
        )

    def _run(self):
        return self.env["service.maintenance.plan"]._cron_create_due_jobs()

    def test_forecast_not_due(self):
        self.assertEqual(self.item.meter_value, 1200)
        self.assertEqual(self.item.meter_date, self.today - timedelta(days=50))
        self.assertAlmostEqual(self.item.meter_daily_usage, 4.0)
        self.assertEqual(self.item.meter_unit, "Hours")
        # 300 hours to go at 4 a day: 75 days after the latest reading.
        self.assertEqual(self.plan.next_date, self.today + timedelta(days=25))
        self.assertEqual(self.plan.job_create_date, self.today + timedelta(days=18))
        self.assertEqual(self._run(), 0)
        self.assertFalse(self.plan.job_ids)

    def test_due_within_lead_time_then_idempotent(self):
        # 480 hours in 100 days (4.8 a day): 1500 is 5 days away, within the 7 days' lead.
        self._reading(1480, 0)
        self.assertEqual(self.plan.next_date, self.today + timedelta(days=5))
        self.assertEqual(self._run(), 1)
        job = self.plan.job_ids
        self.assertEqual(job.maintenance_meter_value, 1500)
        self.assertEqual(job.maintenance_date, self.today + timedelta(days=5))
        self.assertEqual(job.date_deadline, self.today + timedelta(days=5))
        self.assertEqual(
            (job.item_id, job.user_id, job.team_id), (self.item, self.technician, self.team)
        )
        self.assertEqual(self.plan.meter_next_value, 2000)
        # 520 hours to go at 4.8 a day.
        self.assertEqual(self.plan.next_date, self.today + timedelta(days=109))
        self.assertEqual(self._run(), 0, "a second run creates nothing")
        # A run retried from an old state (next value not moved on) does not double the visit.
        self.plan.meter_next_value = 1500
        self.assertEqual(self._run(), 0)
        self.assertEqual(len(self.plan.job_ids), 1)
        self.assertEqual(self.plan.meter_next_value, 2000)

    def test_meter_reached(self):
        self._reading(1600, 1)
        self.assertEqual(self.plan.next_date, self.today - timedelta(days=1), "the day reached")
        self.assertEqual(self._run(), 1)
        self.assertEqual(self.plan.job_ids.date_deadline, self.today, "not overdue at once")
        self.assertEqual(self.plan.meter_next_value, 2000)

    def test_missed_values_are_skipped(self):
        self._reading(2600, 0)
        self.assertEqual(self._run(), 1, "one visit, not three")
        self.assertEqual(self.plan.meter_next_value, 3000)

    def test_visit_reading_rebases_plan(self):
        self._reading(1600, 1)
        self._run()
        job = self.plan.job_ids.with_user(self.technician)
        job.write({"meter_reading_ids": [Command.create({"value": 1630, "date": self.today})]})
        reading = job.meter_reading_ids
        self.assertEqual(reading.item_id, self.item, "the job's item")
        self.assertEqual(reading.user_id, self.technician)
        self.assertEqual(self.plan.meter_next_value, 2130, "one interval after the visit")
        self.assertIn(reading, self.item.meter_reading_ids)
        # Technicians read the readings but record them on their own jobs only.
        with self.assertRaises(AccessError):
            reading.with_user(self.technician).value = 1640
        other = self._create_job(item_id=self.item.id, user_id=self.technician_2.id)
        with self.assertRaises(AccessError):
            self._reading(1700, 0, user=self.technician, job_id=other.id)
        self.assertEqual(self.item.with_user(self.technician).meter_value, 1630)
        # Officers record any reading.
        self._reading(1700, 0, user=self.officer)

    def test_no_forecast_without_use(self):
        item = self._create_item(serial="GEN-2")
        self._reading(100, 10, item=item)
        plan = self._create_plan(
            item_id=item.id,
            interval_unit="meter",
            interval_number=250,
            meter_next_value=250,
            category_id=self.meter_category.id,
        )
        self.assertFalse(plan.next_date)
        self.assertFalse(plan.job_create_date)
        self.assertEqual(self._run(), 0)
        # By hand, before any forecast: a visit today, for the next value.
        action = plan.with_user(self.officer).action_create_next_job()
        job = self.env["service.job"].browse(action["res_id"])
        self.assertEqual((job.maintenance_date, job.date_deadline), (self.today, self.today))
        self.assertEqual(job.maintenance_meter_value, 250)
        self.assertEqual(plan.meter_next_value, 500)
        self.assertFalse(plan.next_date)
        self.assertEqual(self._run(), 0, "still no forecast")
        # A second reading gives a daily use (20 a day): 500 expected in 10 days.
        self._reading(300, 0, item=item)
        self.assertEqual(plan.next_date, self.today + timedelta(days=10))
        plan.lead_days = 10
        self.assertEqual(self._run(), 1)
        self.assertEqual(plan.job_ids.mapped("maintenance_meter_value"), [250, 500])

    def test_reading_validation(self):
        with self.assertRaises(ValidationError):
            self._reading(-1, 0, item=self._create_item(serial="GEN-3"))
        with self.assertRaises(ValidationError):
            self._reading(1100, 0)  # less than 1200, 50 days ago
        with self.assertRaises(ValidationError):
            self._reading(1300, 70)  # back-dated above the later 1200
        self._reading(1200, 10)  # unchanged is fine
        with self.assertRaises(ValidationError):
            self.item.meter_reading_ids[0].value = 900

    def test_item_form_readings(self):
        """An officer types a reading on the item's form: the meter follows before saving."""
        with Form(self.item.with_user(self.officer)) as form:
            with form.meter_reading_ids.new() as line:
                line.date = self.today
                line.value = 1300
            self.assertEqual(form.meter_value, 1300)
            self.assertEqual(form.meter_date, self.today)
        self.assertEqual(self.item.meter_value, 1300)
        self.assertEqual(self.item.meter_reading_ids[:1].user_id, self.officer)
        self.assertEqual(self.plan.next_date, self.today + timedelta(days=67), "200 at 3 a day")

    def test_plan_validation(self):
        with self.assertRaises(ValidationError):
            self._create_plan(
                interval_unit="meter", meter_next_value=10, category_id=self.meter_category.id
            )
        with self.assertRaises(ValidationError):
            self._create_plan(
                item_id=self.item.id,
                interval_unit="meter",
                meter_next_value=10,
                category_id=self.category.id,
            )
        with self.assertRaises(ValidationError):
            self._create_plan(
                item_id=self.item.id, interval_unit="meter", category_id=self.meter_category.id
            )

    def test_portal_sees_plan_not_readings(self):
        portal = new_test_user(
            self.env,
            login="sd_meter_portal",
            groups="base.group_portal",
            partner_id=self.contact_a.id,
        )
        self.assertEqual(
            self.env["service.maintenance.plan"].with_user(portal).search([]).next_date,
            self.today + timedelta(days=25),
        )
        with self.assertRaises(AccessError):
            self.item.meter_reading_ids.with_user(portal).read(["value"])


@tagged("post_install", "-at_install")
class TestServiceTeam(ServiceDeskCommon):
    """Teams of technicians on plans and jobs."""

    def test_team_access_and_jobs(self):
        Team = self.env["service.team"]
        team = Team.with_user(self.officer).create(
            {
                "name": "Workshop",
                "user_id": self.officer.id,
                "member_ids": [Command.set([self.technician.id, self.officer.id])],
            }
        )
        team.name = "Workshop A"
        self.assertEqual(team.with_user(self.technician).name, "Workshop A")
        with self.assertRaises(AccessError):
            team.with_user(self.technician).name = "Mine"
        with self.assertRaises(AccessError):
            Team.with_user(self.technician).create({"name": "Rogue"})
        with self.assertRaises(AccessError):
            team.with_user(self.officer).unlink()
        # A plan's team goes onto its jobs; technicians find their teams' jobs.
        plan = self._create_plan(user=self.officer, team_id=team.id)
        job = plan._generate_jobs()
        self.assertEqual(job.team_id, team)
        self.assertEqual(team.job_open_count, 1)
        self.assertEqual(team.plan_count, 1)
        jobs = (
            self.env["service.job"]
            .with_user(self.officer)
            .search([("team_id.member_ids", "in", self.technician.id)])
        )
        self.assertEqual(jobs, job)
        self.assertEqual(
            self.env["service.job"]
            .with_user(self.officer)
            ._read_group([("id", "=", job.id)], ["team_id"], ["__count"]),
            [(team, 1)],
        )
        # Another company's team is not seen.
        other_company = self.env["res.company"].create({"name": "Other Desk Co"})
        other_team = Team.create({"name": "Elsewhere", "company_id": other_company.id})
        self.assertNotIn(other_team, Team.with_user(self.officer).search([]))
        team.with_user(self.manager).unlink()


@tagged("post_install", "-at_install")
class TestServiceItemWarranty(ServiceDeskCommon):
    """The item shows the warranty of its closed jobs and its warranty claims."""

    def test_item_warranty(self):
        self.category.warranty_months = 3
        item = self._create_item(serial="IMEI-IW-1")
        old_item = self._create_item(serial="IMEI-IW-2")
        delivered = self.env.ref("service_desk.service_stage_delivered")
        for it, closed_on in ((item, self.today_minus(30)), (old_item, self.today_minus(200))):
            job = self._create_job(item_id=it.id, category_id=self.category.id)
            job.stage_id = delivered
            job.date_closed = datetime.combine(closed_on, datetime.min.time())
        self.assertEqual(item.warranty_date_end, self.today_minus(30) + relativedelta(months=3))
        self.assertTrue(item.is_under_warranty)
        self.assertFalse(old_item.is_under_warranty)
        self.assertTrue(old_item.warranty_date_end)
        Item = self.env["service.item"].with_user(self.technician)
        self.assertEqual(
            Item.search([("is_under_warranty", "=", True), ("id", "in", (item | old_item).ids)]),
            item,
        )
        self.assertEqual(
            Item.search([("is_under_warranty", "=", False), ("id", "in", (item | old_item).ids)]),
            old_item,
        )
        claim = self._create_job(item_id=item.id, item_serial="IMEI-IW-1")
        self.assertEqual(claim.warranty_job_id, item.job_ids - claim)
        self.assertEqual(item.warranty_claim_ids, claim)
        action = item.action_view_warranty_claims()
        self.assertEqual(self.env["service.job"].search(action["domain"]), claim)

    def today_minus(self, days):
        return fields.Date.context_today(self.env.user) - timedelta(days=days)
