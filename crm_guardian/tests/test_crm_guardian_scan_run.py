from psycopg2 import IntegrityError

from odoo import sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.crm_guardian.models.crm_guardian_scan import SCAN_LOCK

from .common import CrmGuardianCommon


class Interrupted(Exception):
    """A worker killed in the middle of a unit of work."""


@tagged("post_install", "-at_install")
class TestCrmGuardianScanRun(CrmGuardianCommon):
    """The scan in units of work: many small calls find what one scan finds; a unit
    lost finds its place again; one scan at a time; runs tell what happened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Run = cls.env["crm.guardian.scan.run"].sudo()

    def setUp(self):
        super().setUp()
        self.stale = [self.create_stale_lead(20 + i, name=f"CG Run stale {i}") for i in range(4)]
        for i in range(2):
            self.create_lead(name=f"CG Run dup {i}", email_from="cg.run.dup@example.com")
        self.forget_scans()

    def one_shot(self):
        """Findings of a scan in one go, then none again."""
        self.env["crm.guardian.scan"]._scan()
        snapshot = self.findings_snapshot()
        self.forget_scans()
        return snapshot

    def test_many_small_calls_equal_one_scan(self):
        expected = self.one_shot()
        self.assertTrue(expected)
        calls = self.cron_scan_calls(chunk=5, max_units=2)
        self.assertEqual(self.findings_snapshot(), expected)
        run = self.Run.search([], limit=1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.calls, calls)
        self.assertGreater(calls, len(run.line_ids), "several calls per check")
        stale_line = run.line_ids.filtered(lambda line: line.check == "stale_lead")
        self.assertGreater(stale_line.units, 1, "the leads are scanned range by range")
        self.assertEqual(run.progress, 100.0)

    def test_interrupted_unit_loses_nothing(self):
        expected = self.one_shot()
        Scan = self.env["crm.guardian.scan"].with_context(guardian_scan_chunk=5)
        Scan.with_context(guardian_scan_max_units=3)._cron_scan()
        run = self.Run.search([("state", "=", "running")])
        self.assertTrue(run)
        before = [(line.check, line.state, line.cursor_id) for line in run.line_ids]
        # the worker dies in the middle of the next unit: its work rolls back
        with self.assertRaises(Interrupted), self.env.cr.savepoint():
            Scan._scan_unit(run)
            raise Interrupted
        self.env.invalidate_all()
        self.assertEqual(
            [(line.check, line.state, line.cursor_id) for line in run.line_ids], before
        )
        # the next calls continue where the committed units stopped
        self.cron_scan_calls(chunk=5, max_units=2)
        self.assertEqual(run.state, "done")
        self.assertEqual(self.findings_snapshot(), expected)

    def test_retried_run_creates_nothing_twice(self):
        self.cron_scan_calls(chunk=5, max_units=3)
        first = self.findings_snapshot()
        # the same pass again (a retry): every unit finds what is there
        self.env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        self.env.invalidate_all()
        self.cron_scan_calls(chunk=3, max_units=4)
        second = self.Run.search([], limit=1)
        self.assertEqual(second.created_count, 0)
        self.assertEqual(second.updated_count, 0)
        self.assertEqual(second.resolved_count, 0)
        self.assertEqual(self.findings_snapshot(), first)

    def test_resolved_only_after_its_range_is_scanned(self):
        self.cron_scan_calls(chunk=50, max_units=100)
        lead = self.stale[0]
        self.assertTrue(self.open_finding("stale_lead", lead))
        lead.write({"stage_id": self.stage_won.id})
        self.env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        self.env.invalidate_all()
        # the run is started; the lead's range (one lead per unit) is not scanned yet
        self.env["crm.guardian.scan"].with_context(
            guardian_scan_chunk=1, guardian_scan_max_units=1
        )._cron_scan()
        self.assertTrue(self.open_finding("stale_lead", lead))
        self.cron_scan_calls(chunk=50, max_units=100)
        self.assertEqual(self.finding("stale_lead", lead).state, "resolved")

    def test_two_scans_never_at_once(self):
        Scan = self.env["crm.guardian.scan"]
        # another worker holds the scan lock (its own connection)
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s)", [SCAN_LOCK])
            Scan._cron_scan()
            run = self.Run.search([("state", "=", "running")])
            self.assertTrue(run, "the run is started...")
            self.assertEqual(run.units, 0, "... but nothing scanned while another scans")
            with self.assertRaises(UserError):
                Scan._scan()
            other.execute("SELECT pg_advisory_unlock(%s)", [SCAN_LOCK])
            # and the other way round: this transaction now holds the lock
            Scan.with_context(guardian_scan_max_units=1)._cron_scan()
            self.assertEqual(run.units, 1)
            other.execute("SELECT pg_try_advisory_xact_lock(%s)", [SCAN_LOCK])
            self.assertFalse(other.fetchone()[0])
        finally:
            other.rollback()
            other.close()
        # a second running run cannot exist
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.Run.create({"scan_date": self.now})
            self.env.flush_all()

    def test_run_record(self):
        self.cron_scan_calls(chunk=50, max_units=100)
        run = self.Run.search([], limit=1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.trigger, "cron")
        self.assertGreaterEqual(run.finished, run.started)
        checks = self.env["crm.guardian.scan"]._get_checks()
        self.assertEqual(set(run.line_ids.mapped("check")), set(checks))
        self.assertTrue(all(line.state == "done" for line in run.line_ids))
        stale_line = run.line_ids.filtered(lambda line: line.check == "stale_lead")
        Finding = self.env["crm.guardian.finding"].sudo()
        self.assertEqual(
            stale_line.created_count, Finding.search_count([("check", "=", "stale_lead")])
        )
        self.assertGreaterEqual(
            stale_line.records_read,
            self.env["crm.lead"].with_context(active_test=False).search_count([]),
        )
        self.assertEqual(stale_line.mode, "full")
        self.assertEqual(run.created_count, Finding.search_count([]))
        status = self.env["crm.guardian.section"].with_user(self.salesman).search([])[:1]
        self.assertIn("Last complete scan", status.scan_status)
        # the same day, unchanged rules: the next run reads changed records only
        self.cron_scan_calls(chunk=50, max_units=100)
        again = self.Run.search([], limit=1)
        self.assertNotEqual(again, run)
        line = again.line_ids.filtered(lambda line: line.check == "stale_lead")
        self.assertEqual(line.mode, "incremental")
        self.assertEqual(again.created_count + again.updated_count + again.resolved_count, 0)

    def test_scan_now_enqueues_and_notifies(self):
        lead = self.stale[1]
        Finding = self.env["crm.guardian.finding"].with_user(self.manager)
        cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_scan")
        triggers = self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])
        action = Finding.action_scan_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(
            self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
        )
        run = self.Run.search([("state", "=", "running")])
        self.assertEqual((run.trigger, run.requested_by_id), ("manual", self.manager))
        self.assertFalse(self.finding("stale_lead", lead), "nothing scanned in the request")
        # a second Scan Now while it runs says so
        again = self.env["crm.guardian.section"].with_user(self.manager).search([])[:1]
        again = again.action_scan_now()
        self.assertEqual(again["params"]["type"], "warning")
        self.assertIn("Scan running", again["params"]["message"])
        self.assertEqual(self.Run.search_count([]), 1)
        cards = self.env["crm.guardian.section"].with_user(self.salesman).search([])
        self.assertIn("Scan running", cards[:1].scan_status)
        # the scheduled action does the work
        self.cron_scan_calls(chunk=50, max_units=100)
        self.assertEqual(run.state, "done")
        self.assertTrue(self.open_finding("stale_lead", lead))
        # the manager reads the history; a viewer does not
        self.assertTrue(self.env["crm.guardian.scan.run"].with_user(self.manager).search([]))
        with self.assertRaises(AccessError):
            self.env["crm.guardian.scan.run"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            run.with_user(self.manager).write({"state": "failed"})

    def test_rule_scan_button_enqueues_its_check(self):
        rule = self.env.ref("crm_guardian.crm_guardian_rule_stale_lead").with_user(self.manager)
        action = rule.action_scan()
        self.assertEqual(action["tag"], "display_notification")
        run = self.Run.search([("state", "=", "running")])
        self.assertEqual(run.line_ids.mapped("check"), ["stale_lead"])

    def test_scan_now_with_the_cron_archived(self):
        self.env.ref("crm_guardian.ir_cron_crm_guardian_scan").active = False
        action = self.env["crm.guardian.finding"].with_user(self.manager).action_scan_now()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertFalse(self.Run.search([]))

    def test_cron_does_not_restart_a_run_of_its_period(self):
        self.cron_scan_calls(chunk=50, max_units=100)
        run = self.Run.search([], limit=1)
        lastcall = run.started
        self.env["crm.guardian.scan"].with_context(lastcall=lastcall)._cron_scan()
        self.assertEqual(self.Run.search([], limit=1), run, "this period's scan is done")
