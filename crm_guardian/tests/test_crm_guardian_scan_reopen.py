from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianScanReopen(CrmGuardianCommon):
    """The scan's sync re-opens dismissed findings when the dismissal period ends or
    the evidence gets worse (``severity_level`` > ``dismissed_level``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rule = cls.env.ref("crm_guardian.crm_guardian_rule_stale_lead")
        cls.threshold = rule.threshold

    def dismiss(self, finding, until=False, note="Customer on holiday"):
        # what the dismiss UI writes (another work item); done as the manager
        finding.with_user(self.manager).sudo().write(
            {
                "state": "dismissed",
                "dismissed_level": finding.severity_level,
                "dismiss_until": until,
                "dismiss_note": note,
            }
        )
        self.env.flush_all()

    def test_severity_levels(self):
        lead = self.create_stale_lead(self.threshold * 2 + 1)
        self.scan(["stale_lead"])
        finding = self.finding("stale_lead", lead)
        self.assertEqual(finding.severity_level, 2, "two thresholds crossed")
        incomplete = self.create_lead(email_from=False, phone=False, source_id=False)
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id = %s", (self.ago(60), incomplete.id)
        )
        incomplete.invalidate_recordset()
        self.scan(["lead_incomplete"])
        self.assertEqual(self.finding("lead_incomplete", incomplete).severity_level, 3)

    def test_dismissed_stays_when_not_worse(self):
        lead = self.create_stale_lead(self.threshold + 1)
        self.scan(["stale_lead"])
        finding = self.finding("stale_lead", lead)
        self.dismiss(finding, until=self.today + timedelta(days=5))
        result = self.scan(["stale_lead"], user=self.salesman)
        self.assertEqual(finding.state, "dismissed")
        self.assertEqual(result["stale_lead"]["reopened"], 0)
        # a rescan with nothing changed writes nothing
        again = self.scan(["stale_lead"], user=self.salesman)["stale_lead"]
        self.assertEqual((again["created"], again["updated"], again["resolved"]), (0, 0, 0))
        self.assertEqual(finding.state, "dismissed")

    def test_reopen_when_period_ended(self):
        lead = self.create_stale_lead(self.threshold + 1)
        self.scan(["stale_lead"])
        finding = self.finding("stale_lead", lead)
        until = self.today + timedelta(days=2)
        self.dismiss(finding, until=until)
        messages = len(finding.message_ids)
        self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.assertEqual(finding.state, "dismissed")
        self.scan(["stale_lead"], now=self.now + timedelta(days=2))
        self.assertEqual(finding.state, "open")
        self.assertFalse(finding.dismiss_until)
        self.assertEqual(finding.dismiss_note, "Customer on holiday", "kept for history")
        self.assertEqual(len(finding.message_ids), messages + 1)
        self.assertIn("Re-opened: the dismissal ended on", finding.message_ids[0].body)
        # the salesperson sees it open again
        own = self.env["crm.guardian.finding"].with_user(self.salesman)
        self.assertIn(finding.id, own.search([("state", "=", "open")]).ids)

    def test_reopen_when_evidence_worse(self):
        lead = self.create_stale_lead(self.threshold + 1)
        self.scan(["stale_lead"])
        finding = self.finding("stale_lead", lead)
        self.assertEqual(finding.severity_level, 1)
        self.dismiss(finding)
        # one more day: same step, stays dismissed (values updated)
        self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.assertEqual(finding.state, "dismissed")
        self.scan(["stale_lead"], now=self.now + timedelta(days=self.threshold))
        self.assertEqual(finding.state, "open")
        self.assertEqual(finding.severity_level, 2)
        self.assertIn("evidence got worse (level 2 &gt; 1)", finding.message_ids[0].body)

    def test_reopen_duplicate_group_grows(self):
        email = "cg.reopen.dup@guardian-test.example"
        leads = self.env["crm.lead"].create(
            [{"name": f"CG Dup {i}", "email_from": email, "phone": False} for i in range(3)]
        )
        self.scan(["lead_duplicate_email"])
        finding = self.finding("lead_duplicate_email", leads[0])
        self.assertEqual(finding.severity_level, 3)
        self.dismiss(finding, note="Three branches")
        self.scan(["lead_duplicate_email"])
        self.assertEqual(finding.state, "dismissed")
        self.env["crm.lead"].create({"name": "CG Dup 4", "email_from": email, "phone": False})
        self.scan(["lead_duplicate_email"])
        self.assertEqual(finding.state, "open")
        self.assertEqual(finding.member_count, 4)
        self.assertIn("evidence got worse (level 4 &gt; 3)", finding.message_ids[0].body)

    def test_dismissed_resolved_when_record_no_longer_matches(self):
        lead = self.create_stale_lead(self.threshold + 1)
        self.scan(["stale_lead"])
        finding = self.finding("stale_lead", lead)
        self.dismiss(finding)
        lead.stage_id = self.stage_won
        self.scan(["stale_lead"])
        self.assertEqual(finding.state, "resolved")

    def test_reopen_queries_batched(self):
        leads = self.env["crm.lead"]
        for i in range(6):
            leads |= self.create_stale_lead(self.threshold + 1, name=f"CG Batch {i}")
        self.scan(["stale_lead"])
        findings = self.env["crm.guardian.finding"].sudo()
        for lead in leads:
            findings |= self.finding("stale_lead", lead)
        for finding in findings:
            self.dismiss(finding, until=self.today + timedelta(days=1))
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.env.flush_all()
        queries = self.cr.sql_log_count - before
        self.assertEqual(set(findings.mapped("state")), {"open"})
        self.assertLess(queries, 60, "one message per finding, no query loop")

    def test_reopen_when_invoice_more_overdue(self):
        """Invoices step up one level per 30 days overdue (threshold 0 by default)."""
        customer = self.env["res.partner"].create({"name": "CG Reopen Customer"})
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_user_id": self.salesman.id,
                "invoice_date": self.today - timedelta(days=10),
                "invoice_date_due": self.today - timedelta(days=10),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create({"name": "CG", "quantity": 1, "price_unit": 100.0})
                ],
            }
        )
        invoice.action_post()
        self.scan(["invoice_overdue"])
        finding = self.finding("invoice_overdue", invoice)
        self.assertEqual(finding.severity_level, 1)
        self.dismiss(finding)
        self.scan(["invoice_overdue"], now=self.now + timedelta(days=5), user=self.salesman)
        self.assertEqual(finding.state, "dismissed", "not a step worse")
        self.scan(["invoice_overdue"], now=self.now + timedelta(days=50))
        self.assertEqual(finding.state, "open")
        self.assertEqual(finding.severity_level, 2)
        self.assertIn("evidence got worse (level 2 &gt; 1)", finding.message_ids[0].body)
        self.assertIn("overdue", finding.message_ids[0].body)
