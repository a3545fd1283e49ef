from odoo import models


class CrmGuardianAlert(models.Model):
    _inherit = "crm.guardian.alert"

    def _alert_definitions(self):
        return super()._alert_definitions() + [
            {
                "code": "helpdesk_teams_without_members",
                "area": "helpdesk",
                "severity": "warning",
                "name": self.env._("Helpdesk teams without members"),
                "explanation": self.env._(
                    "Tickets routed to a team with no members are seen by nobody in particular."
                ),
                "fix_hint": self.env._(
                    "Helpdesk > Configuration > Teams: add members or archive the team."
                ),
                "method": "_alert_helpdesk_teams_without_members",
            },
            {
                "code": "helpdesk_tickets_without_team",
                "area": "helpdesk",
                "severity": "warning",
                "name": self.env._("Open tickets without a team"),
                "explanation": self.env._(
                    "Open tickets that belong to no team fall outside every team's queue."
                ),
                "fix_hint": self.env._(
                    "Give the tickets a team, and make the team required on the portal form "
                    "(Helpdesk settings)."
                ),
                "method": "_alert_helpdesk_tickets_without_team",
            },
            {
                "code": "helpdesk_customer_notifications_off",
                "area": "helpdesk",
                "severity": "info",
                "name": self.env._("Customers are never told about their tickets' progress"),
                "explanation": self.env._(
                    "No ticket stage sends an email template: customers hear nothing when their "
                    "ticket moves on or is solved."
                ),
                "fix_hint": self.env._(
                    "Helpdesk > Configuration > Stages: set an email template on the stages "
                    "customers care about (e.g. Done)."
                ),
                "method": "_alert_helpdesk_customer_notifications_off",
                "action_xmlid": "helpdesk_mgmt.helpdesk_ticket_stage_action",
            },
        ]

    def _alert_helpdesk_teams_without_members(self):
        domain = [("user_ids", "=", False)]
        count = self.env["helpdesk.ticket.team"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Helpdesk teams without members: %(count)s", count=count),
            "helpdesk.ticket.team",
            domain,
        )

    def _alert_helpdesk_tickets_without_team(self):
        domain = [("team_id", "=", False), ("stage_id.closed", "=", False)]
        count = self.env["helpdesk.ticket"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Open tickets without a team: %(count)s", count=count),
            "helpdesk.ticket",
            domain,
        )

    def _alert_helpdesk_customer_notifications_off(self):
        if self.env["helpdesk.ticket.stage"].search_count(
            [("mail_template_id", "!=", False)], limit=1
        ):
            return None
        return self._found(1, self.env._("No ticket stage emails the customer"))
