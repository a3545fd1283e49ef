from odoo.tests import tagged

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianSignature(CrmGuardianCommon):
    """Quotations awaiting the customer's online signature (Contracts section)."""

    def quotation(self, days, **vals):
        values = {
            "partner_id": self.customer.id,
            "user_id": self.salesman.id,
            "require_signature": True,
            "state": "sent",
        }
        values.update(vals)
        order = self.env["sale.order"].create(values)
        order.date_order = self.ago(days)
        return order

    def test_unsigned_quotation_boundary(self):
        late = self.quotation(8)
        recent = self.quotation(6)
        self.scan(["quotation_signature"])
        finding = self.open_finding("quotation_signature", late)
        self.assertTrue(finding)
        self.assertEqual(finding.section, "contracts")
        self.assertIn("unsigned", finding.reason)
        self.assertFalse(self.open_finding("quotation_signature", recent))

    def test_signed_or_not_required_is_fine(self):
        signed = self.quotation(10)
        signed.write({"signed_by": "Ann Customer", "signed_on": self.now})
        unrequired = self.quotation(10, require_signature=False)
        draft = self.quotation(10, state="draft")
        self.scan(["quotation_signature"])
        for order in signed | unrequired | draft:
            self.assertFalse(self.open_finding("quotation_signature", order))

    def test_signature_resolves_the_finding(self):
        order = self.quotation(10)
        self.scan(["quotation_signature"])
        self.assertTrue(self.open_finding("quotation_signature", order))
        order.write({"signed_by": "Ann Customer", "signed_on": self.now})
        self.scan(["quotation_signature"])
        self.assertEqual(self.finding("quotation_signature", order).state, "resolved")

    def test_contracts_card_counts_for_salesperson(self):
        self.quotation(10)
        self.quotation(10, user_id=self.salesman_other.id)
        self.scan(["quotation_signature"])
        card = self.env.ref("crm_guardian.crm_guardian_section_contracts")
        # A salesperson limited to own documents counts only their own quotation.
        self.assertEqual(card.with_user(self.salesman).open_count, 1)
        card.invalidate_recordset(["open_count"])
        self.assertGreaterEqual(card.with_user(self.manager).open_count, 2)
