from datetime import timedelta

from odoo.tests import new_test_user, tagged

from odoo.addons.crm_guardian.tests.common import GUARDIAN_VIEW, CrmGuardianCommon

CHECKS = ["ticket_idle", "ticket_unassigned", "ticket_first_response", "ticket_resolution"]


@tagged("post_install", "-at_install")
class TestTicketChecks(CrmGuardianCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env,
            login="cg_agent",
            groups=f"helpdesk_mgmt.group_helpdesk_user,{GUARDIAN_VIEW}",
        )
        cls.agent_own = new_test_user(
            cls.env,
            login="cg_agent_own",
            groups=f"helpdesk_mgmt.group_helpdesk_user_own,{GUARDIAN_VIEW}",
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "CG Support", "user_ids": [(6, 0, [cls.agent.id, cls.agent_own.id])]}
        )
        cls.other_team = cls.env["helpdesk.ticket.team"].create(
            {"name": "CG Field", "user_ids": [(6, 0, [cls.agent.id])]}
        )
        stages = cls.env["helpdesk.ticket.stage"]
        cls.stage_open = stages.search([("closed", "=", False)], limit=1)
        cls.stage_closed = stages.search([("closed", "=", True)], limit=1)
        cls.env["helpdesk.ticket"].search([]).active = False  # demo tickets out of the way

    def ticket(self, hours, **vals):
        """A ticket created ``hours`` ago, untouched since (no later message or stage)."""
        values = {
            "name": "CG Ticket",
            "description": "<p>Broken</p>",
            "partner_id": self.customer.id,
            "team_id": self.team.id,
            "user_id": self.agent.id,
        }
        values.update(vals)
        ticket = self.env["helpdesk.ticket"].create(values)
        ticket.stage_id = values.get("stage_id", self.stage_open.id)
        when = self.now - timedelta(hours=hours)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s, last_stage_update = %s WHERE id = %s",
            [when, when, ticket.id],
        )
        self.env.cr.execute(
            "UPDATE mail_message SET date = %s WHERE model = 'helpdesk.ticket' AND res_id = %s",
            [when, ticket.id],
        )
        self.env.invalidate_all()
        return ticket

    def test_idle_boundary(self):
        idle = self.ticket(48 + 0.02)
        fresh = self.ticket(47.9)
        self.scan(["ticket_idle"])
        finding = self.open_finding("ticket_idle", idle)
        self.assertTrue(finding)
        self.assertIn("48 hours", finding.reason)
        self.assertEqual(finding.section, "tickets")
        self.assertFalse(self.open_finding("ticket_idle", fresh))

    def test_idle_message_or_closing_clears(self):
        talked = self.ticket(60)
        closed = self.ticket(60)
        self.scan(["ticket_idle"])
        self.assertTrue(self.open_finding("ticket_idle", talked))
        talked.message_post(body="Any news?", message_type="comment")
        closed.stage_id = self.stage_closed
        self.scan(["ticket_idle"], now=self.now + timedelta(minutes=1))
        self.assertEqual(self.finding("ticket_idle", talked).state, "resolved")
        self.assertEqual(self.finding("ticket_idle", closed).state, "resolved")

    def test_idle_team_override(self):
        self.env["crm.guardian.rule"].create(
            {
                "name": "Field team: idle after 2 hours",
                "check": "ticket_idle",
                "sequence": 10,
                "domain": f"[('team_id', '=', {self.other_team.id})]",
                "threshold": 2,
            }
        )
        field_ticket = self.ticket(3, team_id=self.other_team.id)
        support_ticket = self.ticket(3)
        self.scan(["ticket_idle"])
        finding = self.open_finding("ticket_idle", field_ticket)
        self.assertEqual(finding.rule_id.name, "Field team: idle after 2 hours")
        self.assertFalse(self.open_finding("ticket_idle", support_ticket))

    def test_unassigned(self):
        lonely = self.ticket(5, user_id=False)
        young = self.ticket(3, user_id=False)
        assigned = self.ticket(5)
        self.scan(["ticket_unassigned"])
        self.assertTrue(self.open_finding("ticket_unassigned", lonely))
        self.assertFalse(self.open_finding("ticket_unassigned", young))
        self.assertFalse(self.open_finding("ticket_unassigned", assigned))

    def test_first_response_warning_and_breach(self):
        early = self.ticket(17)
        at_risk = self.ticket(19)
        breached = self.ticket(25)
        self.scan(["ticket_first_response"])
        self.assertFalse(self.open_finding("ticket_first_response", early))
        self.assertIn("at risk", self.open_finding("ticket_first_response", at_risk).reason)
        finding = self.open_finding("ticket_first_response", breached)
        self.assertIn("breached", finding.reason)
        self.assertGreater(
            finding.risk_score, self.open_finding("ticket_first_response", at_risk).risk_score
        )

    def test_first_response_counts_staff_replies_only(self):
        noted = self.ticket(30)
        customer_wrote = self.ticket(30)
        answered = self.ticket(30)
        noted.message_post(body="internal", subtype_xmlid="mail.mt_note")
        customer_wrote.message_post(
            body="hello?", message_type="comment", author_id=self.customer.id
        )
        answered.with_user(self.agent).message_post(
            body="On it", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.scan(["ticket_first_response"])
        self.assertTrue(self.open_finding("ticket_first_response", noted))
        self.assertTrue(self.open_finding("ticket_first_response", customer_wrote))
        self.assertFalse(self.open_finding("ticket_first_response", answered))

    def test_first_response_priority_override(self):
        urgent = self.ticket(5, priority="3")
        normal = self.ticket(5, priority="1")
        self.scan(["ticket_first_response"])
        finding = self.open_finding("ticket_first_response", urgent)
        self.assertEqual(
            finding.rule_id,
            self.env.ref("crm_guardian_helpdesk.crm_guardian_rule_ticket_first_response_high"),
        )
        self.assertIn("breached", finding.reason)
        self.assertFalse(self.open_finding("ticket_first_response", normal))

    def test_resolution_boundary(self):
        late = self.ticket(5 * 24 + 1)
        in_time = self.ticket(5 * 24 - 1)
        done = self.ticket(10 * 24, stage_id=self.stage_closed.id)
        self.scan(["ticket_resolution"])
        self.assertTrue(self.open_finding("ticket_resolution", late))
        self.assertFalse(self.open_finding("ticket_resolution", in_time))
        self.assertFalse(self.open_finding("ticket_resolution", done))

    def test_rescan_is_idempotent(self):
        self.ticket(200, user_id=False)
        self.scan(CHECKS)
        before = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search_read([("section", "=", "tickets")], ["key", "state", "reason", "risk_score"])
        )
        self.scan(CHECKS)
        after = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search_read([("section", "=", "tickets")], ["key", "state", "reason", "risk_score"])
        )
        self.assertEqual(before, after)
        self.assertEqual(len(before), 4)

    def test_restricted_agent_sees_own_ticket_findings_only(self):
        mine = self.ticket(200, user_id=self.agent_own.id)
        theirs = self.ticket(200, user_id=self.agent.id)
        self.scan(["ticket_resolution"])
        Finding = self.env["crm.guardian.finding"]
        seen = Finding.with_user(self.agent_own).search([("check", "=", "ticket_resolution")])
        self.assertEqual(seen.mapped("res_id"), [mine.id])
        seen_all = Finding.with_user(self.agent).search([("check", "=", "ticket_resolution")])
        self.assertEqual(set(seen_all.mapped("res_id")), {mine.id, theirs.id})
        card = self.env.ref("crm_guardian_helpdesk.crm_guardian_section_tickets")
        self.assertEqual(card.with_user(self.agent_own).open_count, 1)
        card.invalidate_recordset(["open_count"])  # computed per user, cached per record
        self.assertEqual(card.with_user(self.agent).open_count, 2)

    def test_sla_settings_edit_the_baseline_rules(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.crm_guardian_ticket_first_response_hours, 24)
        settings.crm_guardian_ticket_first_response_hours = 8
        settings.execute()
        baseline = self.env.ref("crm_guardian_helpdesk.crm_guardian_rule_ticket_first_response")
        self.assertEqual(baseline.threshold, 8)
        ticket = self.ticket(9)
        self.scan(["ticket_first_response"])
        self.assertIn("breached", self.open_finding("ticket_first_response", ticket).reason)
