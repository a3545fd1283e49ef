import json

from odoo.tests import new_test_user, tagged

from .common import GUARDIAN_MANAGE, CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianScreens(CrmGuardianCommon):
    """What the screens show: thresholds with their unit, conditions in words, groups
    in section order without sums, no technical columns to filter or group by, the
    settings' alert count."""

    def _rule(self, check, **vals):
        return (
            self.env["crm.guardian.rule"]
            .with_user(self.manager)
            .create({"name": f"CG {check}", "check": check, **vals})
        )

    def test_threshold_with_unit(self):
        self.assertEqual(self._rule("stale_lead", threshold=14).threshold_label, "14 days")
        self.assertEqual(self._rule("lead_incomplete", threshold=1).threshold_label, "1 day")
        duplicates = self._rule("lead_duplicate_email", threshold=20)
        self.assertEqual(duplicates.threshold_label, "20 members")
        self.assertEqual(duplicates.threshold_unit, "members")
        # the finding shows its threshold with the unit of its check
        lead = self.create_stale_lead(20)
        self.scan(["stale_lead"])
        finding = self.open_finding("stale_lead", lead).with_user(self.salesman)
        self.assertEqual(finding.threshold_label, f"{finding.threshold} days")

    def test_condition_in_words(self):
        tag = self.env["crm.tag"].create({"name": "CG Key Account"})
        rule = self._rule(
            "stale_lead",
            sequence=1,
            domain=repr(
                [
                    ("priority", "=", "3"),
                    "|",
                    ("tag_ids", "in", [tag.id]),
                    ("stage_id.is_won", "=", False),
                    ("user_id", "=", False),
                ]
            ),
        )
        self.assertEqual(
            rule.with_user(self.salesman).condition_text,
            "Priority is Very High and (Tags is one of CG Key Account or "
            "Stage > Is Won Stage?: no) and Salesperson is not set",
        )
        self.assertEqual(self._rule("stale_lead").condition_text, "All records")
        # a record the reader may not read is not named
        theirs = self.create_lead(name="CG Their Secret Deal", user_id=self.salesman_other.id)
        quotes = self._rule(
            "quotation_followup", domain=repr([("opportunity_id", "in", [theirs.id])])
        )
        self.assertEqual(
            quotes.with_user(self.salesman).condition_text, f"Opportunity is one of #{theirs.id}"
        )
        self.assertEqual(
            quotes.with_user(self.manager).condition_text,
            "Opportunity is one of CG Their Secret Deal",
        )
        # the finding shows its rule's condition in words, also to a salesperson
        lead = self.create_stale_lead(20, priority="3", user_id=False)
        self.scan(["stale_lead"])
        finding = self.open_finding("stale_lead", lead)
        self.assertEqual(finding.rule_id, rule)
        self.assertEqual(finding.with_user(self.salesman).rule_condition, rule.condition_text)

    def test_rules_grouped_in_section_order_without_sums(self):
        Rule = self.env["crm.guardian.rule"].with_user(self.manager)
        self._rule("stale_lead", threshold=5, weight=1.5)
        groups = Rule.read_group([], ["threshold", "weight"], ["check"])
        checks = self.env["crm.guardian.scan"]._get_checks()
        sequences = [checks[group["check"]]["sequence"] for group in groups]
        self.assertEqual(sequences, sorted(sequences))
        stale = next(group for group in groups if group["check"] == "stale_lead")
        self.assertEqual(stale["check_count"], Rule.search_count([("check", "=", "stale_lead")]))
        self.assertNotIn("threshold", stale, "no sum of thresholds in a group row")
        self.assertNotIn("weight", stale)
        sections = [group["section"] for group in Rule.read_group([], ["section"], ["section"])]
        self.assertEqual(sections[:3], ["rescue", "incomplete", "duplicates"])

    def test_no_technical_columns_to_filter_group_or_export(self):
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        described = Finding.fields_get(attributes=["groupable", "searchable", "exportable"])
        for fname in ("key", "member_res_ids", "duplicate_key", "res_id"):
            self.assertFalse(described[fname]["groupable"], fname)
            self.assertFalse(described[fname]["searchable"], fname)
            self.assertFalse(described[fname]["exportable"], fname)
        for fname in ("check", "user_id", "reference_date"):
            self.assertTrue(described[fname]["groupable"], fname)

    def test_settings_count_open_alerts(self):
        """The settings form's first onchange (what the web client reads) counts the
        open setup alerts the user may see."""
        self.env["crm.guardian.alert"]._refresh_alerts()
        admin = new_test_user(
            self.env, login="cg_screens_admin", groups=f"base.group_system,{GUARDIAN_MANAGE}"
        )
        Settings = self.env["res.config.settings"].with_user(admin)
        expected = (
            self.env["crm.guardian.alert"].with_user(admin).search_count([("state", "=", "open")])
        )
        self.assertTrue(expected)
        values = Settings.onchange({}, [], {"company_id": {}, "crm_guardian_open_alert_count": {}})[
            "value"
        ]
        self.assertEqual(values["crm_guardian_open_alert_count"], expected)


@tagged("post_install", "-at_install")
class TestCrmGuardianFeedback(CrmGuardianCommon):
    """Scan Now answers at once (queued), then tells who asked when it is done."""

    def _notifications(self, user):
        self.env.cr.precommit.run()  # the bus messages are written at commit
        messages = self.env["bus.bus"].sudo().search([("channel", "like", "res.partner")])
        return [
            json.loads(message.message)["payload"]
            for message in messages
            if json.loads(message.channel)
            == [self.env.cr.dbname, "res.partner", user.partner_id.id]
            and json.loads(message.message)["type"] == "simple_notification"
        ]

    def test_scan_now_then_done(self):
        lead = self.create_stale_lead(20, name="CG Feedback stale")
        self.forget_scans()
        action = (
            self.env["crm.guardian.rule"]
            .browse(self.env.ref("crm_guardian.crm_guardian_rule_stale_lead").id)
            .with_user(self.manager)
            .action_scan()
        )
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("queued", action["params"]["message"])
        self.assertFalse(self._notifications(self.manager), "nothing done yet")
        self.cron_scan_calls(chunk=50, max_units=100)
        self.assertTrue(self.open_finding("stale_lead", lead))
        [done] = self._notifications(self.manager)
        self.assertEqual(done["type"], "success")
        self.assertRegex(done["message"], r"^Scan done in \d+ s: [1-9]\d* new findings, ")
        self.assertFalse(self._notifications(self.salesman), "only to who asked")
