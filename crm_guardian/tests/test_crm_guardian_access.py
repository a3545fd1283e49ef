from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import GUARDIAN_VIEW, CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianAccess(CrmGuardianCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls.create_lead(cls, name="CG own", phone=False)
        cls.theirs = cls.create_lead(
            cls, name="CG theirs", phone=False, user_id=cls.salesman_other.id
        )
        cls.unassigned = cls.create_lead(cls, name="CG unassigned", phone=False, user_id=False)
        cls.leads = cls.own | cls.theirs | cls.unassigned

    def setUp(self):
        super().setUp()
        self.scan(["lead_incomplete"], now=self.now + timedelta(days=2))
        self.findings = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search([("check", "=", "lead_incomplete"), ("res_id", "in", self.leads.ids)])
        )
        self.assertEqual(len(self.findings), 3)
        self.mine = self.findings.filtered(lambda f: f.res_id != self.theirs.id)
        self.other = self.findings - self.mine

    def test_salesperson_sees_own_and_unassigned_only(self):
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        domain = [("id", "in", self.findings.ids)]
        self.assertEqual(Finding.search(domain), self.mine.with_user(self.salesman))
        self.assertEqual(Finding.search_count(domain), 2)
        groups = Finding.read_group(domain, ["check"], ["check"])
        self.assertEqual(groups[0]["check_count"], 2)
        exported = Finding.search(domain).export_data(["name", "reason"])["datas"]
        self.assertEqual(sorted(row[0] for row in exported), ["CG own", "CG unassigned"])
        with self.assertRaises(AccessError):
            self.other.with_user(self.salesman).read(["name"])
        # the other salesperson sees the unassigned lead and their own one
        Other = self.env["crm.guardian.finding"].with_user(self.salesman_other)
        self.assertEqual(Other.search_count(domain), 2)
        # the manager sees everything
        self.assertEqual(
            self.env["crm.guardian.finding"].with_user(self.manager).search_count(domain), 3
        )

    def test_user_without_guardian_group(self):
        # (Sales users get the guardian with their group: an internal user without it)
        outsider = new_test_user(self.env, login="cg_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["crm.guardian.finding"].with_user(outsider).search([])

    def test_viewer_without_crm_access(self):
        viewer = new_test_user(
            self.env, login="cg_viewer", groups=f"base.group_user,{GUARDIAN_VIEW}"
        )
        Finding = self.env["crm.guardian.finding"].with_user(viewer)
        self.assertEqual(Finding.search_count([("id", "in", self.findings.ids)]), 0)

    def test_multi_company(self):
        company_b = self.env["res.company"].create({"name": "CG Company B"})
        lead_b = self.create_lead(
            name="CG lead B", phone=False, company_id=company_b.id, user_id=False
        )
        self.scan(["lead_incomplete"], now=self.now + timedelta(days=2))
        finding_b = self.open_finding("lead_incomplete", lead_b)
        self.assertEqual(finding_b.company_id, company_b)
        manager_b = new_test_user(
            self.env,
            login="cg_manager_b",
            groups=f"sales_team.group_sale_manager,{GUARDIAN_VIEW}",
            company_id=self.company.id,
            company_ids=[(6, 0, [self.company.id, company_b.id])],
        )
        Finding = self.env["crm.guardian.finding"].with_user(manager_b)
        self.assertFalse(
            Finding.with_context(allowed_company_ids=[self.company.id]).search(
                [("id", "=", finding_b.id)]
            ),
            "company B not selected in the company switcher",
        )
        self.assertEqual(
            Finding.with_context(allowed_company_ids=[self.company.id, company_b.id]).search(
                [("id", "=", finding_b.id)]
            ),
            finding_b,
        )
        self.assertFalse(
            self.env["crm.guardian.finding"]
            .with_user(self.manager)
            .search([("id", "=", finding_b.id)]),
            "a user of company A only never sees company B findings",
        )
