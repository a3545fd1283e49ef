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
            plan = env["service.maintenance.plan"].create(
                {
                    "name": "Concurrent visit",
                    "partner_id": partner.id,
                    "next_date": fields.Date.context_today(partner),
                    "lead_days": 0,
                }
            )
            self.partner_id, self.plan_id = partner.id, plan.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["service.job"].search([("maintenance_plan_id", "=", self.plan_id)]).unlink()
            env["service.maintenance.plan"].browse(self.plan_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

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
