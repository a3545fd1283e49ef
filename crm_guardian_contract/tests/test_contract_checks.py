from datetime import timedelta

from odoo.tests import new_test_user, tagged

from odoo.addons.crm_guardian.tests.common import GUARDIAN_VIEW, CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestContractChecks(CrmGuardianCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["contract.contract"].search([]).active = False  # demo contracts out of the way
        cls.product = cls.env["product.product"].create({"name": "CG Maintenance"})
        cls.contract_user = new_test_user(
            cls.env,
            login="cg_contract_user",
            groups=f"account.group_account_invoice,{GUARDIAN_VIEW}",
        )

    def contract(self, end_in, **vals):
        values = {
            "name": "CG Contract",
            "partner_id": self.customer.id,
            "user_id": self.salesman.id,
            "contract_type": "sale",
            "contract_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": self.product.id,
                        "name": "Maintenance",
                        "quantity": 1,
                        "price_unit": 100,
                        "recurring_rule_type": "monthly",
                        "date_start": self.today - timedelta(days=300),
                        "date_end": self.today + timedelta(days=end_in),
                    },
                )
            ],
        }
        values.update(vals)
        return self.env["contract.contract"].create(values)

    def test_expiring_boundary(self):
        soon = self.contract(30)
        later = self.contract(31)
        past = self.contract(-1)
        self.scan(["contract_expiring"])
        finding = self.open_finding("contract_expiring", soon)
        self.assertTrue(finding)
        self.assertEqual(finding.section, "contracts")
        self.assertIn("30 days", finding.reason)
        self.assertFalse(self.open_finding("contract_expiring", later))
        self.assertFalse(self.open_finding("contract_expiring", past))

    def test_renewal_activity_hides_until_done(self):
        contract = self.contract(10)
        self.scan(["contract_expiring"])
        self.assertTrue(self.open_finding("contract_expiring", contract))
        activity = contract.activity_schedule(
            "crm_guardian_contract.mail_activity_type_contract_renewal", user_id=self.salesman.id
        )
        self.scan(["contract_expiring"])
        self.assertEqual(self.finding("contract_expiring", contract).state, "resolved")
        activity.action_feedback(feedback="Customer renews next week")
        self.scan(["contract_expiring"])
        self.assertEqual(self.finding("contract_expiring", contract).state, "open")

    def test_other_activity_does_not_hide(self):
        contract = self.contract(10)
        contract.activity_schedule("mail.mail_activity_data_todo", user_id=self.salesman.id)
        self.scan(["contract_expiring"])
        self.assertTrue(self.open_finding("contract_expiring", contract))

    def test_partner_override(self):
        vip = self.env["res.partner"].create({"name": "CG VIP"})
        self.env["crm.guardian.rule"].create(
            {
                "name": "VIP contracts: 90 days ahead",
                "check": "contract_expiring",
                "sequence": 10,
                "domain": f"[('partner_id', '=', {vip.id})]",
                "threshold": 90,
            }
        )
        vip_contract = self.contract(60, partner_id=vip.id)
        plain = self.contract(60)
        self.scan(["contract_expiring"])
        self.assertEqual(
            self.open_finding("contract_expiring", vip_contract).rule_id.name,
            "VIP contracts: 90 days ahead",
        )
        self.assertFalse(self.open_finding("contract_expiring", plain))

    def invoiced_until(self, contract, days):
        line = contract.contract_line_ids
        line.write({"last_date_invoiced": self.today + timedelta(days=days)})
        line.recurring_next_date = False
        contract.recurring_next_date = False

    def test_billing_runs_out(self):
        running_out = self.contract(15)
        self.invoiced_until(running_out, 15)
        far = self.contract(16)
        self.invoiced_until(far, 16)
        still_billing = self.contract(200)
        self.scan(["contract_billing_ending"])
        finding = self.open_finding("contract_billing_ending", running_out)
        self.assertTrue(finding)
        self.assertIn("no further invoice", finding.reason)
        self.assertFalse(self.open_finding("contract_billing_ending", far))
        self.assertFalse(self.open_finding("contract_billing_ending", still_billing))

    def test_purchase_contracts_are_ignored(self):
        supplier = self.contract(5, contract_type="purchase")
        self.scan(["contract_expiring"])
        self.assertFalse(self.open_finding("contract_expiring", supplier))

    def test_visible_to_readers_of_contracts_only(self):
        contract = self.contract(5)
        self.scan(["contract_expiring"])
        Finding = self.env["crm.guardian.finding"]
        domain = [("check", "=", "contract_expiring"), ("res_id", "=", contract.id)]
        self.assertTrue(Finding.with_user(self.contract_user).search(domain))
        self.assertTrue(Finding.with_user(self.manager).search(domain))
        outsider = new_test_user(
            self.env, login="cg_outsider", groups=f"base.group_user,{GUARDIAN_VIEW}"
        )
        self.assertFalse(self.env["contract.contract"].with_user(outsider).has_access("read"))
        self.assertFalse(Finding.with_user(outsider).search(domain))
        self.assertEqual(
            Finding.with_user(outsider).search_count([("section", "=", "contracts")]), 0
        )
