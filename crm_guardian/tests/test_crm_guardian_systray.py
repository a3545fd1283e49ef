from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import GUARDIAN_VIEW
from .common_action import CrmGuardianActionCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianRescueList(CrmGuardianActionCommon):
    def test_my_rescue_list(self):
        Finding = self.env["crm.guardian.finding"]
        mine = Finding.with_user(self.salesman).get_my_rescue_list()
        self.assertTrue(mine["allowed"])
        self.assertEqual(mine["count"], 2)
        self.assertEqual([item["id"] for item in mine["items"]], [self.f_old.id, self.f_new.id])
        self.assertEqual(mine["items"][0]["res_model"], "crm.lead")
        self.assertEqual(mine["items"][0]["res_id"], self.lead_old.id)
        self.assertEqual(
            mine["action_id"], self.env.ref("crm_guardian.crm_guardian_finding_action_mine").id
        )
        # all clear
        idle = Finding.with_user(self.idle).get_my_rescue_list()
        self.assertEqual((idle["allowed"], idle["count"], idle["items"]), (True, 0, []))
        # not a Guardian user: no systray entry
        outsider = new_test_user(self.env, login="cg_outsider_tray", groups="base.group_user")
        self.assertFalse(Finding.with_user(outsider).get_my_rescue_list()["allowed"])

    def test_top_ten(self):
        for days in range(20, 32):
            self.create_stale_lead(days, name=f"CG Many {days}")
        self.scan(["stale_lead"])
        mine = self.env["crm.guardian.finding"].with_user(self.salesman).get_my_rescue_list()
        self.assertEqual(mine["count"], 14)
        self.assertEqual(len(mine["items"]), 10)
        risks = [item["risk"] for item in mine["items"]]
        self.assertEqual(risks, sorted(risks, reverse=True))


@tagged("post_install", "-at_install")
class TestCrmGuardianRescueSystrayTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="cg_tour_salesman",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        cls.other = new_test_user(
            cls.env,
            login="cg_tour_other",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        cls.idle = new_test_user(
            cls.env,
            login="cg_tour_idle",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        now = fields.Datetime.now()
        Lead = cls.env["crm.lead"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        for name, days, user in (
            ("CG Tour Very Stale Lead", 90, cls.salesman),
            ("CG Tour Stale Lead", 20, cls.salesman),
            ("CG Tour Other Lead", 60, cls.other),
        ):
            lead = Lead.create({"name": name, "type": "opportunity", "user_id": user.id})
            lead.write({"date_last_stage_update": now - timedelta(days=days)})
        cls.env["crm.guardian.scan"]._scan(checks=["stale_lead"])

    def test_systray_tour_salesperson(self):
        self.start_tour("/odoo", "crm_guardian_rescue_systray", login="cg_tour_salesman")

    def test_systray_tour_all_clear(self):
        self.start_tour("/odoo", "crm_guardian_rescue_systray_all_clear", login="cg_tour_idle")

    def test_dashboard_tour(self):
        card = self.env.ref("crm_guardian.crm_guardian_section_rescue").with_user(self.salesman)
        readable = self.env["crm.guardian.finding"].with_user(self.salesman)
        domain = [("state", "=", "open"), ("section", "=", "rescue")]
        self.assertEqual(card.open_count_label, str(readable.search_count(domain)))
        self.start_tour(
            "/odoo/action-crm_guardian.crm_guardian_section_action_dashboard",
            "crm_guardian_dashboard",
            login="cg_tour_salesman",
        )
