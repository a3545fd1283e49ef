from odoo.tests import tagged

from odoo.addons.crm_guardian.models.res_partner import normalize_company_name

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianDuplicates(CrmGuardianCommon):
    def dup_finding(self, check, key):
        return self.env["crm.guardian.finding"].sudo().search([("key", "=", f"{check}:{key}")])

    def test_company_name_normalisation_table(self):
        same = [
            ("ACME Ltd.", "Acme Limited"),
            ("Société Générale S.A.", "SOCIETE GENERALE"),
            ("Müller GmbH", "muller"),
            ("Foo & Bar, LLC", "Foo and Bar"),
            ("Initech Inc", "INITECH, Incorporated"),
            ("Le Petit Café SARL", "le petit cafe"),
        ]
        for left, right in same:
            self.assertEqual(
                normalize_company_name(left), normalize_company_name(right), (left, right)
            )
        self.assertEqual(normalize_company_name("ACME Ltd."), "acme")
        self.assertNotEqual(normalize_company_name("Acme"), normalize_company_name("Acne"))
        self.assertEqual(normalize_company_name("Ltd"), "ltd", "a lone suffix is the name")
        self.assertFalse(normalize_company_name(False))

    def test_company_duplicate_name(self):
        Partner = self.env["res.partner"]
        acme = Partner.create({"name": "CGACME Ltd.", "is_company": True})
        acme2 = Partner.create({"name": "cgacme limited", "is_company": True})
        person = Partner.create({"name": "CGACME", "is_company": False})
        self.assertEqual(acme.guardian_name_key, "cgacme")
        self.assertFalse(person.guardian_name_key, "only companies get a name key")
        self.scan(["company_duplicate_name"])
        finding = self.dup_finding("company_duplicate_name", "cgacme")
        self.assertEqual(finding.partner_ids, acme | acme2)
        self.assertEqual(finding.member_count, 2)
        # Odoo's contact merge wizard opens with the members preselected
        action = finding.with_user(self.manager).action_merge()
        self.assertEqual(action["res_model"], "base.partner.merge.automatic.wizard")
        wizard_vals = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .default_get(["partner_ids", "state"])
        )
        self.assertEqual(wizard_vals["state"], "selection")
        self.assertEqual(set(wizard_vals["partner_ids"][0][2]), {acme.id, acme2.id})

    def test_lead_duplicate_phone_e164(self):
        gb = self.env.ref("base.uk")
        lead1 = self.create_lead(phone="+44 20 7946 0958", country_id=gb.id, email_from=False)
        lead2 = self.create_lead(phone="020 7946 0958", country_id=gb.id, email_from=False)
        other = self.create_lead(phone="020 7946 0959", country_id=gb.id, email_from=False)
        self.assertEqual(lead1.phone_sanitized, "+442079460958")
        self.assertEqual(lead2.phone_sanitized, "+442079460958")
        self.scan(["lead_duplicate_phone"])
        finding = self.dup_finding("lead_duplicate_phone", "+442079460958")
        self.assertEqual(finding.lead_ids, lead1 | lead2)
        self.assertNotIn(other, finding.lead_ids)
        action = finding.action_merge()
        self.assertEqual(action["res_model"], "crm.merge.opportunity")
        self.assertEqual(set(action["context"]["active_ids"]), {lead1.id, lead2.id})

    def test_lead_duplicate_email_case_and_format(self):
        lead1 = self.create_lead(email_from="John.Smith@Guardian-Test.EXAMPLE", phone=False)
        lead2 = self.create_lead(
            email_from='"John Smith" <john.smith@guardian-test.example>', phone=False
        )
        lead3 = self.create_lead(email_from="JOHN.SMITH@guardian-test.example", phone=False)
        not_same = self.create_lead(email_from="johnsmith@guardian-test.example", phone=False)
        self.scan(["lead_duplicate_email"])
        finding = self.dup_finding("lead_duplicate_email", "john.smith@guardian-test.example")
        self.assertEqual(finding.lead_ids, lead1 | lead2 | lead3)
        self.assertNotIn(not_same, finding.lead_ids, "dots in the local part are significant")
        self.assertIn("3 records share", finding.reason)

    def test_partner_duplicate_email(self):
        Partner = self.env["res.partner"]
        one = Partner.create({"name": "CG Dup A", "email": "Dup.Contact@guardian-test.example"})
        two = Partner.create({"name": "CG Dup B", "email": "dup.contact@GUARDIAN-TEST.example"})
        self.scan(["partner_duplicate_email"])
        finding = self.dup_finding("partner_duplicate_email", "dup.contact@guardian-test.example")
        self.assertEqual(finding.partner_ids, one | two)
        # a member leaving the group resolves the finding
        two.write({"email": "other@guardian-test.example"})
        self.scan(["partner_duplicate_email"])
        self.assertEqual(finding.state, "resolved")

    def test_noise_guard(self):
        noisy = "switchboard@guardian-test.example"
        self.env["crm.lead"].create(
            [{"name": f"CG noisy {i}", "email_from": noisy} for i in range(21)]
        )
        self.scan(["lead_duplicate_email"])
        self.assertFalse(self.dup_finding("lead_duplicate_email", noisy), "21 > 20: ignored")
        rule = self.env.ref("crm_guardian.crm_guardian_rule_lead_duplicate_email")
        rule.with_user(self.manager).threshold = 21
        self.scan(["lead_duplicate_email"])
        self.assertEqual(self.dup_finding("lead_duplicate_email", noisy).member_count, 21)
