from odoo.tests import tagged

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
        self._make(4, "small")
        small = self._scan_queries(checks)
        self._make(40, "large")
        large = self._scan_queries(checks)
        self.assertLessEqual(large, small + 10, f"{small} queries for 4 leads, {large} for 40")
        # a rescan with nothing changed: reads only, no write
        again = self._scan_queries(checks)
        self.assertLessEqual(again, small)
