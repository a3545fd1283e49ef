from odoo.tests import tagged

from odoo.addons.crm_guardian.models.crm_guardian_scan import HIGH_RISK

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianPerformance(CrmGuardianCommon):
    def _scan_queries(self, checks):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.scan(checks)
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def _make(self, count, tag):
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": f"CG perf {tag} {i}",
                    "type": "opportunity",
                    "stage_id": self.stage_new.id,
                    "user_id": self.salesman.id,
                    "phone": False,
                    "email_from": f"perf.{tag}.{i // 2}@guardian-test.example",
                }
                for i in range(count)
            ]
        )
        leads.write({"date_last_stage_update": self.ago(30)})
        return leads

    def test_scan_queries_do_not_grow_with_records(self):
        """The scan is set-based: no query per record (creates and updates batched)."""
        checks = ["stale_lead", "lead_incomplete", "lead_duplicate_email"]
        self.scan(checks)  # demo data and fixtures: settle existing findings
        # a finding of each check standing: both scans below merge what they find (a
        # check with nothing standing inserts straight away, some ten queries fewer,
        # whatever the database's demo data holds)
        self._make(4, "warm")
        self.scan(checks)
        self._make(4, "small")
        small = self._scan_queries(checks)
        self._make(40, "large")
        large = self._scan_queries(checks)
        self.assertLessEqual(large, small + 10, f"{small} queries for 4 leads, {large} for 40")
        # a rescan with nothing changed: reads only, no write
        again = self._scan_queries(checks)
        self.assertLessEqual(again, small)

    def test_nightly_rewrite_touches_no_index(self):
        """What may change at night (risk, level, reason facts) is in no index of the
        findings and pages keep room: the nightly update of a finding is a HOT update.
        The dashboard counts a flag that changes once in a finding's life."""
        self.cr.execute(
            """SELECT indexdef FROM pg_indexes WHERE tablename = 'crm_guardian_finding'"""
        )
        definitions = [definition for (definition,) in self.cr.fetchall()]
        self.assertTrue(any("high_risk" in definition for definition in definitions))
        for column in ("risk_score", "severity_level", "reason_params"):
            for definition in definitions:
                self.assertNotIn(column, definition)
        self.cr.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'crm_guardian_finding'::regclass"
        )
        self.assertIn("fillfactor=90", self.cr.fetchone()[0])

    def test_scan_writes_findings_as_the_scan(self):
        """Findings written by the scan carry no user (no foreign-key check per row), and
        their high-risk flag follows the risk score."""
        leads = self._make(2, "who")
        self.scan(["stale_lead"], now=self.now)
        findings = self.env["crm.guardian.finding"].search(
            [("check", "=", "stale_lead"), ("res_id", "in", leads.ids)]
        )
        self.assertEqual(len(findings), 2)
        self.assertTrue(findings)
        self.assertFalse(findings.create_uid)
        self.assertFalse(findings.write_uid)
        for finding in findings:
            self.assertEqual(finding.high_risk, finding.risk_score >= HIGH_RISK)

    def test_scan_keeps_not_in_subqueries_hashed(self):
        """The scan's transaction gets the work_mem that keeps "id NOT IN (subquery)"
        hashed at a million records (re-read for every row beyond: quadratic)."""
        self.scan(["stale_lead"])
        self.cr.execute("SHOW work_mem")
        self.assertEqual(self.cr.fetchone()[0], "128MB")
