from datetime import timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.crm_guardian.tools.planner import planner_settings

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianEngine(CrmGuardianCommon):
    def test_rule_override_precedence(self):
        Rule = self.env["crm.guardian.rule"].with_user(self.manager)
        hot = Rule.create(
            {
                "name": "Hot leads: 5 days",
                "check": "stale_lead",
                "sequence": 2,
                "domain": "[('priority', '=', '3')]",
                "threshold": 5,
                "weight": 2.0,
            }
        )
        Rule.create(
            {
                "name": "Hot leads: 30 days (lower priority)",
                "check": "stale_lead",
                "sequence": 3,
                "domain": "[('priority', '=', '3')]",
                "threshold": 30,
            }
        )
        Rule.create(
            {
                "name": "Inactive: 1 day",
                "check": "stale_lead",
                "sequence": 1,
                "domain": "[]",
                "threshold": 1,
                "active": False,
            }
        )
        hot_lead = self.create_stale_lead(6, priority="3")
        cold_lead = self.create_stale_lead(6, priority="0")
        self.scan(["stale_lead"])
        finding = self.open_finding("stale_lead", hot_lead)
        self.assertEqual(finding.rule_id, hot, "first matching rule by sequence wins")
        self.assertEqual(finding.threshold, 5)
        self.assertFalse(self.finding("stale_lead", cold_lead), "baseline 14 days applies")
        # the weight doubles the risk: 2 * 25 * floor(6 / 5) = 50
        self.assertEqual(finding.risk_score, 50)

    def test_risk_formula(self):
        rule = self.env.ref("crm_guardian.crm_guardian_rule_stale_lead")
        scan = self.env["crm.guardian.scan"]
        self.assertEqual(scan._risk(rule.weight, rule.threshold, None, 14, 0), 25)
        self.assertEqual(
            scan._risk(rule.weight, rule.threshold, None, 140, 0), 75, "ratio capped at 3"
        )
        self.assertEqual(
            scan._risk(rule.weight, rule.threshold, None, 140, 10**9), 100, "capped at 100"
        )
        self.assertEqual(scan._risk(rule.weight, rule.threshold, None, 0, 999), 15)
        self.assertEqual(
            scan._risk(rule.weight, rule.threshold, None, 27, 0), 25, "whole steps crossed"
        )

    def test_risk_sql_equals_python(self):
        """Checks evaluated in SQL score as ``_risk`` and ``_severity_level`` do."""
        rule = self.env.ref("crm_guardian.crm_guardian_rule_stale_lead")
        scan = self.env["crm.guardian.scan"]
        today = self.now.date()
        cases = [
            (weight, threshold, ratio, age, amount)
            for weight in (1.0, 1.5, 2.0)
            for threshold in (0, 5, 14)
            for ratio in (None, 0.5, 1.5, 2.0, 7.0)
            for age in (0, 13, 14, 27, 40, 365)
            for amount in (None, 0.0, 999.0, 5000.0, 1e9)
        ]
        rows = SQL(" UNION ALL ").join(
            SQL(
                "SELECT %s AS res_id, 'x' AS name, %s::date AS reference_date, NULL::int4 "
                "AS partner_id, NULL::int4 AS user_id, NULL::int4 AS team_id, NULL::int4 "
                "AS company_id, %s::numeric AS amount, '{}'::jsonb AS reason_params, "
                "%s::float8 AS ratio, NULL::int4 AS severity_level",
                index,
                today - timedelta(days=age),
                amount,
                ratio,
            )
            for index, (_w, _t, ratio, age, amount) in enumerate(cases)
        )
        for weight, threshold in {(w, t) for w, t, *_rest in cases}:
            rule.write({"weight": weight, "threshold": threshold})
            result = {
                row[0]: row[1:]
                for row in self.env.execute_query(
                    SQL(
                        "SELECT res_id, risk_score, severity_level FROM (%s) s",
                        scan._finding_rows_sql("stale_lead", rule, rows, self.now),
                    )
                )
            }
            for index, (w, t, ratio, age, amount) in enumerate(cases):
                if (w, t) != (weight, threshold):
                    continue
                expected = (
                    scan._risk(w, t, ratio, age, amount),
                    scan._severity_level(ratio, age, t),
                )
                self.assertEqual(result[index], expected, (w, t, ratio, age, amount))

    def test_next_night_writes_only_what_users_see_change(self):
        """A day later a finding is rewritten only when its risk, level, amount... changed:
        not for its age (derived when read), its reason (facts, rendered when read) nor
        a day more within the same threshold step (the risk counts whole steps)."""
        capped = self.create_stale_lead(140)  # ratio capped: the risk no longer grows
        same_step = self.create_stale_lead(20)  # 20 then 21 days: one 14-day step
        next_step = self.create_stale_lead(27)  # 27 then 28 days: a second step
        self.scan(["stale_lead"])
        capped_finding = self.open_finding("stale_lead", capped)
        same_finding = self.open_finding("stale_lead", same_step)
        next_finding = self.open_finding("stale_lead", next_step)
        findings = capped_finding | same_finding | next_finding
        self.assertEqual(same_finding.risk_score, next_finding.risk_score, "one step each")
        reason = capped_finding.reason
        written = {finding: finding.write_date for finding in findings}
        night = self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.assertEqual(night["stale_lead"]["created"], 0)
        self.assertEqual(night["stale_lead"]["updated"], 1)
        findings.invalidate_recordset()
        self.assertEqual(capped_finding.write_date, written[capped_finding], "not rewritten")
        self.assertEqual(same_finding.write_date, written[same_finding], "same step")
        self.assertGreater(next_finding.write_date, written[next_finding], "a step further")
        self.assertEqual(next_finding.severity_level, 2)
        self.assertEqual(next_finding.risk_score, 50)
        self.assertEqual(capped_finding.reason, reason, "read the same day: the same text")
        self.assertIn("140 days", reason)

    def test_planner_settings_hold_for_their_block_only(self):
        """Planner settings (the merge's: no merge joins) hold inside their block only:
        the statements after it get the settings in force before it back, also when the
        block fails inside a savepoint, and a scan leaves them as it found them."""
        cr = self.env.cr
        setting = SQL("SELECT current_setting('enable_mergejoin')")
        cr.execute("SET LOCAL enable_mergejoin = on")
        with planner_settings(cr, {"enable_mergejoin": "off"}):
            self.assertEqual(self.env.execute_query(setting), [("off",)])
        self.assertEqual(self.env.execute_query(setting), [("on",)])
        with self.assertRaises(ZeroDivisionError), cr.savepoint():
            with planner_settings(cr, {"enable_mergejoin": "off"}):
                cr.execute("SELECT 1")
                raise ZeroDivisionError
        self.assertEqual(self.env.execute_query(setting), [("on",)])
        lead = self.create_stale_lead(20)
        self.assertEqual(self.scan(["stale_lead"])["stale_lead"]["created"], 1)
        self.assertTrue(self.open_finding("stale_lead", lead))
        self.assertEqual(self.env.execute_query(setting), [("on",)])

    def test_idempotent_rescan_and_auto_resolve(self):
        lead = self.create_stale_lead(20)
        scanner = self.env["crm.guardian.scan"].sudo()
        only_lead = SQL("f.res_id = %s", lead.id)
        self.assertFalse(scanner._any_standing("stale_lead", only_lead), "first scan: direct")
        first = self.scan(["stale_lead"])
        self.assertEqual(first["stale_lead"]["created"] >= 1, True)
        finding = self.open_finding("stale_lead", lead)
        all_before = self.env["crm.guardian.finding"].sudo().search([("check", "=", "stale_lead")])
        second = self.scan(["stale_lead"])
        self.assertEqual(
            second["stale_lead"], {"created": 0, "updated": 0, "resolved": 0, "reopened": 0}
        )
        all_after = self.env["crm.guardian.finding"].sudo().search([("check", "=", "stale_lead")])
        self.assertEqual(all_before, all_after, "same findings, same ids")
        # next day: the same finding (its risk grew with its age), not a second one
        self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.assertEqual(self.finding("stale_lead", lead), finding)
        self.assertEqual(finding.age_days, 20, "derived from the reference date, today")
        # the lead is won: auto-resolved
        lead.write({"stage_id": self.stage_won.id})
        self.scan(["stale_lead"])
        self.assertEqual(finding.state, "resolved")
        self.assertTrue(finding.resolved_date)
        # a resolved finding stands: its record's next match goes through the merge
        self.assertTrue(scanner._any_standing("stale_lead", only_lead))
        # back in an open stage and stale again: the same finding reopens
        lead.write({"stage_id": self.stage_new.id})
        lead.write({"date_last_stage_update": self.ago(20)})
        self.scan(["stale_lead"])
        self.assertEqual(self.finding("stale_lead", lead), finding)
        self.assertEqual(finding.state, "open")
        self.assertFalse(finding.resolved_date)

    def test_unique_key(self):
        lead = self.create_stale_lead(20)
        self.scan(["stale_lead"])
        finding = self.open_finding("stale_lead", lead)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            finding.copy()

    def test_deactivated_rule_resolves(self):
        lead = self.create_stale_lead(20)
        self.scan(["stale_lead"])
        finding = self.open_finding("stale_lead", lead)
        self.env.ref("crm_guardian.crm_guardian_rule_stale_lead").with_user(
            self.manager
        ).active = False
        self.scan(["stale_lead"])
        self.assertEqual(finding.state, "resolved")

    def test_rule_tester(self):
        lead = self.create_stale_lead(4, priority="2")
        rule = (
            self.env["crm.guardian.rule"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Draft: 3 days on priority 2",
                    "check": "stale_lead",
                    "domain": "[('priority', '=', '2')]",
                    "threshold": 3,
                    "active": False,
                    "sequence": 1,
                }
            )
        )
        action = rule.action_test_rule()
        tester = (
            self.env["crm.guardian.rule.tester"].with_user(self.manager).browse(action["res_id"])
        )
        self.assertIn(lead.id, tester.line_ids.mapped("res_id"))
        self.assertEqual(tester.match_count, len(tester.line_ids))
        line = tester.line_ids.filtered(lambda line: line.res_id == lead.id)
        self.assertIn("threshold 3 days", line.reason)
        self.assertFalse(self.finding("stale_lead", lead), "testing creates no finding")

    def test_invalid_domain(self):
        with self.assertRaises(ValidationError):
            self.env["crm.guardian.rule"].with_user(self.manager).create(
                {"name": "Broken", "check": "stale_lead", "domain": "[('nope', '=', 1)]"}
            )

    def test_viewer_cannot_manage(self):
        with self.assertRaises(AccessError):
            self.env["crm.guardian.rule"].with_user(self.salesman).create(
                {"name": "Mine", "check": "stale_lead"}
            )
        with self.assertRaises(AccessError):
            self.env["crm.guardian.finding"].with_user(self.salesman).action_scan_now()

    def test_scan_now_and_cron(self):
        lead = self.create_stale_lead(20)
        # Scan Now queues the scan for the scheduled action and says so
        action = self.env["crm.guardian.finding"].with_user(self.manager).action_scan_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertFalse(self.open_finding("stale_lead", lead), "not scanned in the request")
        self.env["crm.guardian.scan"]._cron_scan()
        self.assertTrue(self.open_finding("stale_lead", lead))
        cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_scan")
        self.assertTrue(cron.active)
        self.assertEqual(cron.interval_type, "days")

    def test_dashboard_counts(self):
        self.create_stale_lead(20)
        self.scan(None)
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        cards = self.env["crm.guardian.section"].with_user(self.salesman).search([])
        self.assertLessEqual({"rescue", "incomplete", "duplicates"}, set(cards.mapped("code")))
        for card in cards:
            expected = Finding.search_count([("section", "=", card.code), ("state", "=", "open")])
            self.assertEqual(card.open_count, expected, card.code)
        rescue = cards.filtered(lambda c: c.code == "rescue")
        self.assertGreaterEqual(rescue.open_count, 1)
        action = rescue.action_open_findings()
        self.assertEqual(action["domain"], [("section", "=", "rescue")])

    def test_never_changes_host_records(self):
        lead = self.create_stale_lead(20)
        before = lead.read(["write_date", "stage_id", "active"])
        self.scan(None)
        lead.invalidate_recordset()
        self.assertEqual(lead.read(["write_date", "stage_id", "active"]), before)
