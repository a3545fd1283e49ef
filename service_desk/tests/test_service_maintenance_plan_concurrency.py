import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlanConcurrency(TransactionCase):
    """Two workers on committed data (their own cursors): one visit, one job."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            partner = env["res.partner"].create({"name": "Two Workers Customer"})
            Plan = env["service.maintenance.plan"]
            today = fields.Date.context_today(partner)
            # Other due plans (demo data) are set aside while these tests commit.
            self.others_ids = Plan.search(Plan._due_domain(today)).ids
            Plan.browse(self.others_ids).active = False
            plans = Plan.create(
                [
                    {
                        "name": f"Concurrent visit {index}",
                        "partner_id": partner.id,
                        "next_date": today,
                        "lead_days": 0,
                    }
                    for index in range(3)
                ]
            )
            self.partner_id, self.plan_id, self.plan_ids = partner.id, plans[0].id, plans.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["service.job"].search([("maintenance_plan_id", "in", self.plan_ids)]).unlink()
            env["service.maintenance.plan"].browse(self.plan_ids).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            env["service.maintenance.plan"].browse(self.others_ids).active = True

    def test_two_workers_create_one_job(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            plan_a = self._env(cr_a)["service.maintenance.plan"].browse(self.plan_id)
            plan_b = self._env(cr_b)["service.maintenance.plan"].browse(self.plan_id)
            visit = plan_b.next_date  # worker B's snapshot starts before A commits
            # Worker A creates the job (the cron's batch) and holds the generation lock.
            self.assertTrue(plan_a._try_generation_lock())
            self.assertEqual(len(plan_a._generate_jobs()), 1)
            # Meanwhile the scheduled action in worker B finds the lock taken: it does nothing.
            self.assertEqual(plan_b.browse()._cron_create_due_jobs(), 0)
            cr_a.commit()
            # Even a worker B that skipped the lock, on its old snapshot, cannot add a
            # second job for the visit: the job's unique key (plan, date) refuses it.
            self.assertEqual(plan_b.next_date, visit)
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"):
                plan_b._generate_jobs()
            cr_b.rollback()
            jobs = self._env(cr_b)["service.job"].search(
                [("maintenance_plan_id", "=", self.plan_id)]
            )
            self.assertEqual(jobs.mapped("maintenance_date"), [visit])
            self.assertGreater(plan_b.browse(self.plan_id).next_date, visit)

    def test_cron_commits_each_batch(self):
        """In a cron job each batch is committed: a worker killed after the first batch
        keeps its jobs, and the next call goes on with the plans left."""
        cron = self.env.ref("service_desk.ir_cron_service_maintenance_plan")
        with self.registry.cursor() as cr:
            Plan = self._env(cr)["service.maintenance.plan"].with_context(
                cron_id=cron.id, service_plan_max_batches=1
            )
            self.assertEqual(Plan._cron_create_due_jobs(batch_size=2), 2)
            cr.rollback()  # the worker dies: the batch was committed before
            Job = self._env(cr)["service.job"]
            self.assertEqual(Job.search_count([("maintenance_plan_id", "in", self.plan_ids)]), 2)
            self.assertEqual(Plan._cron_create_due_jobs(batch_size=2), 1)
            self.assertEqual(Plan._cron_create_due_jobs(batch_size=2), 0)
            self.assertEqual(Job.search_count([("maintenance_plan_id", "in", self.plan_ids)]), 3)

    def test_two_workers_meter_plan(self):
        """A plan by meter reading whose meter is past the next value: one job too."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            today = fields.Date.context_today(env.user)
            category = env["service.category"].create(
                {"name": "Concurrent meters", "meter_unit": "hours"}
            )
            item = env["service.item"].create({"partner_id": self.partner_id, "brand": "Gen"})
            env["service.item.meter.reading"].create(
                {"item_id": item.id, "value": 600, "date": today}
            )
            plan = env["service.maintenance.plan"].create(
                {
                    "name": "Concurrent meter visit",
                    "partner_id": self.partner_id,
                    "item_id": item.id,
                    "category_id": category.id,
                    "interval_unit": "meter",
                    "interval_number": 500,
                    "meter_next_value": 500,
                    "lead_days": 0,
                }
            )
            ids = (category.id, item.id, plan.id)
        self.addCleanup(self._cleanup_meter, *ids)
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            plan_a = self._env(cr_a)["service.maintenance.plan"].browse(ids[2])
            plan_b = self._env(cr_b)["service.maintenance.plan"].browse(ids[2])
            self.assertEqual(plan_b.next_date, today, "due: the meter is past 500")
            self.assertTrue(plan_a._try_generation_lock())
            self.assertEqual(len(plan_a._generate_jobs()), 1)
            self.assertEqual(plan_b.browse()._cron_create_due_jobs(), 0, "lock taken")
            cr_a.commit()
            # A worker B on its old snapshot (next value 500, due today) is refused by the
            # job's unique key.
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"):
                plan_b._generate_jobs()
            cr_b.rollback()
            jobs = self._env(cr_b)["service.job"].search([("maintenance_plan_id", "=", ids[2])])
            self.assertEqual(jobs.mapped("maintenance_meter_value"), [500])
            self.assertEqual(plan_b.browse(ids[2]).meter_next_value, 1000)

    def _cleanup_meter(self, category_id, item_id, plan_id):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["service.job"].search([("maintenance_plan_id", "=", plan_id)]).unlink()
            env["service.maintenance.plan"].browse(plan_id).unlink()
            env["service.item"].browse(item_id).unlink()
            env["service.category"].browse(category_id).unlink()
