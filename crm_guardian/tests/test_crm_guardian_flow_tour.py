from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import GUARDIAN_MANAGE, GUARDIAN_VIEW

DASHBOARD = "/odoo/action-crm_guardian.crm_guardian_section_action_dashboard"


@tagged("post_install", "-at_install")
class TestCrmGuardianFindingFlowTour(HttpCase):
    """A person's day on the story demo data, in the browser: dashboard, card, finding,
    activity, dismissal with a note, restore; as a manager and as the salesperson of the
    hot opportunity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.env.ref("crm.crm_case_graph_9", raise_if_not_found=False)
        if not cls.lead or not cls.env.ref(
            "crm_guardian.crm_guardian_demo_invoice_overdue_large", raise_if_not_found=False
        ):
            cls.skipTest(cls, "the story demo data is not installed")
        cls.salesman = new_test_user(
            cls.env,
            login="cg_flow_salesman",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        cls.manager = new_test_user(
            cls.env,
            login="cg_flow_manager",
            groups=f"sales_team.group_sale_manager,account.group_account_invoice,{GUARDIAN_MANAGE}",
        )
        # the hot opportunity of the story, now the test salesperson's, with no activity
        # (and no tracking message: a message would be a touch, the lead no longer stale)
        cls.lead.with_context(tracking_disable=True).user_id = cls.salesman
        cls.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", cls.lead.id)]
        ).unlink()
        # untouched for 16 days, as on the install day (an upgrade of a demo database
        # reloads the demo data and may leave a newer tracking message on it)
        last_touch = fields.Datetime.now() - timedelta(days=16)
        cls.lead.date_last_stage_update = last_touch
        cls.lead.message_ids.write({"date": last_touch})
        cls.env["crm.guardian.scan"]._scan(checks=["stale_lead"])
        cls.finding = cls.env["crm.guardian.finding"].search(
            [
                ("check", "=", "stale_lead"),
                ("res_model", "=", "crm.lead"),
                ("res_id", "=", cls.lead.id),
            ]
        )

    def _assert_flow_done(self, user):
        """What the tour left behind: the activity on the opportunity, the finding open
        again, the dismissal and the restore in its chatter, by ``user``."""
        self.assertEqual(self.finding.state, "open")
        self.assertTrue(self.finding.high_risk)
        activity = self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead.id)]
        )
        self.assertEqual(activity.create_uid, user)
        self.assertTrue(activity.summary.startswith("Guardian: Stale lead"))
        bodies = self.finding.message_ids.filtered(lambda m: m.author_id == user.partner_id)
        bodies = " ".join(bodies.mapped("body"))
        self.assertIn("Dismissed: The buyer answers after the trade fair", bodies)
        self.assertIn("Restored", bodies)

    def test_flow_as_salesperson(self):
        self.assertEqual(self.finding.user_id, self.salesman)
        self.start_tour(DASHBOARD, "crm_guardian_finding_flow", login="cg_flow_salesman")
        self._assert_flow_done(self.salesman)

    def test_flow_as_manager(self):
        self.start_tour(DASHBOARD, "crm_guardian_finding_flow", login="cg_flow_manager")
        self._assert_flow_done(self.manager)
