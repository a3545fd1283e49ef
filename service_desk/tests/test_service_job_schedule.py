from datetime import date, datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import ServiceDeskCommon

MONDAY = datetime(2030, 1, 7, 8, 0)  # UTC; the test users are in UTC too


@tagged("post_install", "-at_install")
class TestServiceJobSchedule(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.technician | cls.technician_2 | cls.officer).tz = "UTC"

    def _plan(self, user, start_hour, hours, **values):
        start = MONDAY + timedelta(hours=start_hour)
        return self._create_job(
            user=user,
            user_id=user.id,
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
            **values,
        )

    def test_duration_and_default_end(self):
        job = self._create_job(user=self.technician, planned_start=MONDAY)
        self.assertEqual(job.planned_end, MONDAY + timedelta(hours=1), "one hour by default")
        self.assertEqual(job.planned_duration, 1.0)
        job.planned_duration = 2.5
        self.assertEqual(job.planned_end, MONDAY + timedelta(hours=2, minutes=30))
        # Drag in the calendar: both ends move, the duration follows.
        job.write(
            {
                "planned_start": MONDAY + timedelta(days=1),
                "planned_end": MONDAY + timedelta(days=1, hours=4),
            }
        )
        self.assertEqual(job.planned_duration, 4.0)
        # In the form, moving the start keeps the duration.
        with Form(job.with_user(self.technician)) as form:
            form.planned_start = MONDAY + timedelta(days=2)
        self.assertEqual(job.planned_end, MONDAY + timedelta(days=2, hours=4))
        job.planned_start = False
        self.assertFalse(job.planned_end)

    def test_end_before_start_is_refused(self):
        job = self._plan(self.technician, 0, 1)
        with self.assertRaisesRegex(ValidationError, "must not be before the planned start"):
            job.with_user(self.technician).planned_end = MONDAY - timedelta(hours=1)
        with self.assertRaises(ValidationError):
            self._create_job(planned_start=MONDAY, planned_end=MONDAY - timedelta(minutes=1))

    def test_overlaps_of_one_technician(self):
        job_a = self._plan(self.technician, 0, 2)  # 08:00-10:00
        job_b = self._plan(self.technician, 1, 2)  # 09:00-11:00: overlaps A
        job_c = self._plan(self.technician, 2, 1)  # 10:00-11:00: touches A, overlaps B
        job_other = self._plan(self.technician_2, 0, 3)  # another technician
        job_closed = self._plan(self.technician, 0, 3, stage_id=self.stage_delivered.id)
        jobs = (job_a | job_b | job_c | job_other | job_closed).with_user(self.officer)
        overlaps = {
            job.id: {o.id for o in others} for job, others in jobs._get_schedule_overlaps().items()
        }
        self.assertEqual(
            overlaps,
            {job_a.id: {job_b.id}, job_b.id: {job_a.id, job_c.id}, job_c.id: {job_b.id}},
        )
        job_a = job_a.with_user(self.technician)
        self.assertIn("Tina Technician is also planned on", job_a.schedule_warning)
        self.assertIn(job_b.name, job_a.schedule_warning)
        self.assertNotIn(job_c.name, job_a.schedule_warning, "10:00 end meets 10:00 start")
        self.assertFalse(job_other.schedule_warning)
        self.assertFalse(job_closed.schedule_warning)
        # The schedule (calendar) marks the title of conflicting jobs.
        titles = jobs.mapped("schedule_title")
        self.assertEqual([t.startswith("\u26a0") for t in titles], [True, True, True, False, False])
        self.assertEqual(job_other.schedule_title, job_other.display_name)
        # Rescheduling B away removes the warnings.
        job_b.write(
            {
                "planned_start": MONDAY + timedelta(days=1),
                "planned_end": MONDAY + timedelta(days=1, hours=1),
            }
        )
        self.env.invalidate_all()  # a new request: the warning reads the other jobs afresh
        self.assertFalse(job_a.schedule_warning)

    def test_planned_after_the_due_date(self):
        job = self._plan(self.technician, 0, 1, date_deadline=date(2030, 1, 7))
        self.assertFalse(job.schedule_warning)
        job.date_deadline = date(2030, 1, 6)
        self.assertIn("Planned to end after its due date", job.schedule_warning)
        job.stage_id = self.stage_delivered
        self.assertFalse(job.schedule_warning, "no warning once closed")

    def test_overlap_compute_is_one_query_for_a_page_of_jobs(self):
        """50 jobs of 5 technicians, each overlapping its neighbour: one search for the set."""
        users = [self.technician, self.technician_2] + [
            self.env["res.users"].create(
                {
                    "name": f"Tech {n}",
                    "login": f"sd_sched_tech_{n}",
                    "groups_id": [(6, 0, self.technician.groups_id.ids)],
                    "tz": "UTC",
                }
            )
            for n in range(3)
        ]
        jobs = self.env["service.job"]
        for n in range(50):
            jobs |= self._plan(users[n % 5], (n // 5) * 2, 3, date_deadline=date(2030, 1, 7))
        jobs = jobs.with_user(self.officer)
        jobs.mapped("schedule_warning")  # warm the caches of access rules, language...

        def count_queries(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            warnings = records.mapped("schedule_warning")
            return self.env.cr.sql_log_count - before, warnings

        queries_5, __ = count_queries(jobs[:5])
        queries_50, warnings = count_queries(jobs)
        self.assertEqual(queries_50, queries_5, "as many queries for 50 jobs as for 5")
        # The jobs, the one search of the candidates; technicians, their partners, the user's
        # time zone and language for the dates: read once for the set.
        self.assertLessEqual(queries_50, 8)
        self.assertEqual(sum(1 for w in warnings if w and "also planned" in w), 50)
        # Each technician's last three jobs end the next day, after their due date.
        self.assertEqual(sum(1 for w in warnings if w and "due date" in w), 15)
