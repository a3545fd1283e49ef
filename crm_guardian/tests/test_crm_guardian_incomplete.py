from datetime import datetime, time, timedelta

from odoo.tests import tagged

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianIncomplete(CrmGuardianCommon):
    def test_lead_incomplete(self):
        lead = self.create_lead(phone=False, source_id=False, name="CG no phone")
        complete = self.create_lead(name="CG complete")
        created = lead.create_date.date()
        next_day = datetime.combine(created + timedelta(days=1), time.min)
        self.scan(["lead_incomplete"], now=datetime.combine(created, time.max))
        self.assertFalse(self.finding("lead_incomplete", lead), "grace period of 1 day")
        self.scan(["lead_incomplete"], now=next_day)
        finding = self.open_finding("lead_incomplete", lead)
        self.assertEqual(finding.section, "incomplete")
        self.assertIn("phone", finding.reason)
        self.assertIn("source", finding.reason)
        self.assertNotIn("email", finding.reason)
        self.assertFalse(self.finding("lead_incomplete", complete))
        # filling the data resolves the finding
        lead.write({"phone": "+32 470 00 00 09", "source_id": self.source.id})
        self.scan(["lead_incomplete"], now=next_day)
        self.assertEqual(finding.state, "resolved")

    def test_lead_incomplete_salesperson_and_company(self):
        lead = self.create_lead(user_id=False, partner_name=False)
        self.scan(["lead_incomplete"], now=self.now + timedelta(days=2))
        reason = self.open_finding("lead_incomplete", lead).reason
        self.assertIn("salesperson", reason)
        self.assertIn("company name", reason)

    def test_customer_incomplete(self):
        no_email = self.env["res.partner"].create(
            {"name": "CG No Email", "phone": "+32 470 11 11 11", "customer_rank": 1}
        )
        not_customer = self.env["res.partner"].create({"name": "CG Supplier"})
        complete = self.env["res.partner"].create(
            {
                "name": "CG Full",
                "phone": "+32 470 11 11 12",
                "email": "full@guardian-test.example",
                "customer_rank": 1,
            }
        )
        created = no_email.create_date.date()
        self.scan(["customer_incomplete"], now=datetime.combine(created, time.max))
        self.assertFalse(self.finding("customer_incomplete", no_email))
        self.scan(
            ["customer_incomplete"], now=datetime.combine(created + timedelta(days=1), time.min)
        )
        finding = self.open_finding("customer_incomplete", no_email)
        self.assertEqual(finding.reason, "The customer has no email.")
        self.assertFalse(self.finding("customer_incomplete", not_customer))
        self.assertFalse(self.finding("customer_incomplete", complete))

    def test_company_without_email_contact(self):
        Partner = self.env["res.partner"]
        silent = Partner.create({"name": "CG Silent Co", "is_company": True})
        Partner.create({"name": "CG Silent Bob", "parent_id": silent.id})
        reachable = Partner.create({"name": "CG Reachable Co", "is_company": True})
        Partner.create(
            {
                "name": "CG Reachable Ann",
                "parent_id": reachable.id,
                "email": "ann@guardian-test.example",
            }
        )
        self.scan(["company_no_email_contact"], now=self.now + timedelta(days=2))
        self.assertTrue(self.open_finding("company_no_email_contact", silent))
        self.assertFalse(self.finding("company_no_email_contact", reachable))
