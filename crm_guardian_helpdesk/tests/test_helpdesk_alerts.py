from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHelpdeskAlerts(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.manager = new_test_user(
            cls.env,
            login="hd_alert_manager",
            groups="base.group_user,crm_guardian.group_crm_guardian_manager",
        )
        cls.agent = new_test_user(
            cls.env, login="hd_agent", groups="base.group_user,helpdesk_mgmt.group_helpdesk_user"
        )
        cls.Alert = cls.env["crm.guardian.alert"]

    def state(self, code):
        self.Alert.with_user(self.manager).action_refresh()
        return self.Alert.with_user(self.manager).search([("code", "=", code)]).state

    def test_teams_without_members(self):
        self.env["helpdesk.ticket.team"].search([]).active = False
        self.assertEqual(self.state("helpdesk_teams_without_members"), "resolved")
        team = self.env["helpdesk.ticket.team"].create({"name": "Nobody's team"})
        self.assertEqual(self.state("helpdesk_teams_without_members"), "open")
        team.user_ids = [Command.link(self.agent.id)]
        self.assertEqual(self.state("helpdesk_teams_without_members"), "resolved")

    def test_tickets_without_team(self):
        tickets = self.env["helpdesk.ticket"].search([("team_id", "=", False)])
        tickets.active = False
        self.assertEqual(self.state("helpdesk_tickets_without_team"), "resolved")
        open_stage = self.env["helpdesk.ticket.stage"].search([("closed", "=", False)], limit=1)
        ticket = self.env["helpdesk.ticket"].create(
            {"name": "Printer on fire", "description": "Help"}
        )
        ticket.write({"team_id": False})
        ticket.write({"stage_id": open_stage.id})
        self.assertFalse(ticket.team_id)
        self.assertEqual(self.state("helpdesk_tickets_without_team"), "open")
        closed_stage = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        ticket.stage_id = closed_stage
        self.assertEqual(self.state("helpdesk_tickets_without_team"), "resolved")

    def test_customer_notifications_off(self):
        stages = self.env["helpdesk.ticket.stage"].search([])
        templates = {stage: stage.mail_template_id for stage in stages}
        stages.mail_template_id = False
        self.assertEqual(self.state("helpdesk_customer_notifications_off"), "open")
        template = next(iter(t for t in templates.values() if t), False) or self.env[
            "mail.template"
        ].create(
            {
                "name": "Ticket done",
                "model_id": self.env.ref("helpdesk_mgmt.model_helpdesk_ticket").id,
            }
        )
        stages[0].mail_template_id = template
        self.assertEqual(self.state("helpdesk_customer_notifications_off"), "resolved")

    def test_helpdesk_alerts_visible_to_guardian_managers(self):
        self.env["helpdesk.ticket.team"].create({"name": "Empty team"})
        self.Alert.with_user(self.manager).action_refresh()
        alert = self.Alert.with_user(self.manager).search(
            [("code", "=", "helpdesk_teams_without_members")]
        )
        self.assertEqual(alert.area, "helpdesk")
        self.assertFalse(alert.admin_only)
