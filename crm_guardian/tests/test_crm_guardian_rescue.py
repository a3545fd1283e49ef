from datetime import datetime, time, timedelta

from odoo.tests import tagged

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianRescue(CrmGuardianCommon):
    # stale leads (baseline: 14 days) -------------------------------------

    def test_stale_lead_match_and_boundary(self):
        """Thresholds count whole days: a lead last touched 14 days ago is stale all
        day long, one touched 13 days ago all day not yet."""
        stale = self.create_stale_lead(14, name="CG stale")
        recent = self.create_stale_lead(13, name="CG recent")
        start = datetime.combine(self.today, time.min)
        for now in (start, datetime.combine(self.today, time.max)):
            self.scan(["stale_lead"], now=now)
            self.assertTrue(self.open_finding("stale_lead", stale), now)
            self.assertFalse(self.finding("stale_lead", recent), "13 days is not stale yet")
        finding = self.open_finding("stale_lead", stale)
        self.assertEqual(len(finding), 1)
        self.assertEqual(finding.rule_id, self.env.ref("crm_guardian.crm_guardian_rule_stale_lead"))
        self.assertEqual(finding.user_id, self.salesman)
        self.assertEqual(finding.age_days, 14)
        self.assertEqual(finding.threshold, 14)
        self.assertEqual(finding.reference_date, self.ago(14).date())
        self.assertEqual(finding.section, "rescue")
        self.assertIn("14 days", finding.reason)
        self.assertGreater(finding.risk_score, 0)

    def test_lead_without_stage_is_open(self):
        """As in crm, a lead without a stage is open: stale and incomplete checks see it."""
        lead = self.create_stale_lead(30, name="CG no stage", source_id=False)
        self.env.cr.execute(
            "UPDATE crm_lead SET stage_id = NULL, create_date = %s WHERE id = %s",
            [self.ago(30), lead.id],
        )
        lead.invalidate_recordset()
        self.assertFalse(lead.stage_id)
        self.scan(["stale_lead", "lead_incomplete"])
        self.assertTrue(self.open_finding("stale_lead", lead))
        self.assertTrue(self.open_finding("lead_incomplete", lead))

    def test_stale_lead_non_match(self):
        recent = self.create_stale_lead(3, name="CG recent")
        talked = self.create_stale_lead(30, name="CG talked")
        talked.message_post(body="Called the customer")
        planned = self.create_stale_lead(30, name="CG planned")
        planned.activity_schedule("mail.mail_activity_data_call", user_id=self.salesman.id)
        won = self.create_stale_lead(30, name="CG won", stage_id=self.stage_won.id)
        won.write({"date_last_stage_update": self.ago(30)})
        self.scan(["stale_lead"])
        for lead in recent | talked | planned | won:
            self.assertFalse(self.finding("stale_lead", lead), lead.name)

    # quotations ----------------------------------------------------------

    def _order(self, **vals):
        values = {"partner_id": self.customer.id, "user_id": self.salesman.id}
        values.update(vals)
        return self.env["sale.order"].create(values)

    def test_quotation_followup(self):
        sent = self._order(date_order=self.ago(6))
        sent.write({"state": "sent"})
        draft = self._order(date_order=self.ago(30))
        self.scan(["quotation_followup"])
        self.assertFalse(self.finding("quotation_followup", sent), "6 days: not yet")
        self.assertFalse(self.finding("quotation_followup", draft), "never sent")
        tomorrow = self.now + timedelta(days=1)
        self.scan(["quotation_followup"], now=tomorrow)
        finding = self.open_finding("quotation_followup", sent)
        self.assertEqual(finding.partner_id, self.customer)
        self.assertEqual(finding.age_days, 6, "derived from the reference date, today")
        # a message since the cutoff is a follow-up
        sent.message_post(body="Reminder sent")
        self.scan(["quotation_followup"], now=tomorrow)
        self.assertEqual(finding.state, "resolved")

    def test_quotation_draft(self):
        old = self._order(date_order=self.ago(7))
        boundary = self._order(date_order=self.ago(6))
        sent = self._order(date_order=self.ago(30))
        sent.write({"state": "sent"})
        self.scan(["quotation_draft"])
        self.assertTrue(self.open_finding("quotation_draft", old))
        self.assertFalse(self.finding("quotation_draft", boundary))
        self.assertFalse(self.finding("quotation_draft", sent))

    def test_quotation_expiring(self):
        soon = self._order(validity_date=self.today + timedelta(days=7))
        later = self._order(validity_date=self.today + timedelta(days=8))
        expired = self._order(validity_date=self.today - timedelta(days=1))
        self.scan(["quotation_expiring"])
        finding = self.open_finding("quotation_expiring", soon)
        self.assertEqual(finding.age_days, -7, "negative: the days left")
        self.assertIn("in 7 days", finding.reason)
        self.assertFalse(self.finding("quotation_expiring", later))
        self.assertFalse(self.finding("quotation_expiring", expired))

    # invoices ------------------------------------------------------------

    def _invoice(self, days_ago, amount=1000.0, post=True):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_user_id": self.salesman.id,
                "invoice_date": self.today - timedelta(days=days_ago),
                "invoice_date_due": self.today - timedelta(days=days_ago),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "CG service",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(5, 0, 0)],
                        },
                    )
                ],
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def test_invoice_overdue(self):
        overdue = self._invoice(10, amount=5000.0)
        due_today = self._invoice(0)
        draft = self._invoice(30, post=False)
        self.scan(["invoice_overdue"])
        finding = self.open_finding("invoice_overdue", overdue)
        self.assertEqual(finding.age_days, 10)
        self.assertAlmostEqual(finding.amount, 5000.0)
        self.assertIn("10 days overdue", finding.reason)
        # risk = 25 * floor(10 / 30) + 5 * log10(1 + 5000): whole 30-day steps, 0 + 18.5
        self.assertEqual(finding.risk_score, 18)
        self.assertFalse(self.finding("invoice_overdue", due_today), "due today is not overdue")
        self.assertFalse(self.finding("invoice_overdue", draft))

    def test_invoice_overdue_amount_override(self):
        small = self._invoice(10, amount=50.0)
        big = self._invoice(10, amount=5000.0)
        self.env["crm.guardian.rule"].with_user(self.manager).create(
            {
                "name": "Small invoices: never",
                "check": "invoice_overdue",
                "sequence": 1,
                "domain": "[('amount_total', '<', 100)]",
                "threshold": 60,
            }
        )
        self.scan(["invoice_overdue"])
        self.assertFalse(self.finding("invoice_overdue", small))
        self.assertTrue(self.open_finding("invoice_overdue", big))

    # conversion gaps -------------------------------------------------------

    def test_conversion_gap(self):
        partner = self.env["res.partner"].create(
            {"name": "CG Gap Customer", "email": "gap@guardian-test.example"}
        )
        lead = self.create_lead(
            partner_id=partner.id, email_from="gap@guardian-test.example", phone=False
        )
        lead.write({"date_conversion": self.now})
        complete = self.create_lead(partner_id=self.customer.id)
        complete.write({"date_conversion": self.now})
        self.scan(["conversion_gap"])
        self.assertFalse(self.finding("conversion_gap", lead), "the customer has the email")
        partner.write({"email": False})
        self.assertEqual(lead.email_from, "gap@guardian-test.example")
        self.scan(["conversion_gap"], now=self.now - timedelta(days=1))
        self.assertFalse(self.finding("conversion_gap", lead), "converted after the scan day")
        self.scan(["conversion_gap"])
        finding = self.open_finding("conversion_gap", lead)
        self.assertIn("email", finding.reason)
        self.assertEqual(finding.partner_id, partner)
        self.assertFalse(finding.has_open_activity)
        lead.activity_schedule("mail.mail_activity_data_call", user_id=self.salesman.id)
        finding.invalidate_recordset(["has_open_activity"])
        self.assertTrue(finding.has_open_activity, "open activities do not hide findings")
        self.assertEqual(finding.action_view_record()["res_id"], lead.id)
        self.assertFalse(self.finding("conversion_gap", complete))
