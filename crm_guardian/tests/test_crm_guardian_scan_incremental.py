from datetime import timedelta

from odoo.tests import new_test_user, tagged

from odoo.addons.crm_guardian.models.crm_guardian_scan import DEFAULT_CHUNK

from .common import CrmGuardianCommon


@tagged("post_install", "-at_install")
class TestCrmGuardianScanIncremental(CrmGuardianCommon):
    """A same-day rescan with unchanged rules looks at changed records only (thresholds
    count whole days: an unchanged record cannot newly match on the same day); the
    first scan of a day, or after a rule change, is full."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.env.ref("crm_guardian.crm_guardian_rule_stale_lead")
        cls.scanner = cls.env["crm.guardian.scan"].with_user(cls.manager).sudo()

    def setUp(self):
        super().setUp()
        # scans are stamped with the transaction's start; "now" of the test is today
        self.now = self.env.cr.now().replace(microsecond=0)
        # forget scans made before the test (install, demo data)
        self.env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        self.env["crm.guardian.rule"].invalidate_model(["last_scan_date"])

    def since(self, code="stale_lead", now=None):
        rules = self.env["crm.guardian.rule"].search([("check", "=", code)])
        signature = self.scanner._rules_signature(code, rules)
        return self.scanner._scan_since(code, rules, signature, now or self.now)

    def backdate_every_change(self):
        """Pretend that no lead, customer, message or activity changed since long before
        the last scan (the demo data was just installed, inside the rescans' margin)."""
        self.env.flush_all()
        old = self.now - timedelta(days=3)
        cr = self.env.cr
        for table in ("crm_lead", "res_partner", "mail_activity"):
            cr.execute(f"UPDATE {table} SET write_date = %s WHERE write_date > %s", (old, old))
        cr.execute("UPDATE mail_message SET date = %s WHERE date > %s", (old, old))
        self.env.invalidate_all()

    def test_first_scan_full_then_incremental(self):
        self.assertFalse(self.since(), "never scanned: full")
        self.scan(["stale_lead"])
        self.assertTrue(self.rule.last_scan_date)
        since = self.since()
        self.assertTrue(since and since <= self.env.cr.now(), "same day, same rules")
        self.assertFalse(self.since(now=self.now + timedelta(days=1)), "next day: full")
        self.assertFalse(self.since("lead_duplicate_email"), "not scanned since the reset")

    def test_rule_change_makes_it_full(self):
        self.scan(["stale_lead"])
        self.assertTrue(self.since())
        self.rule.with_user(self.manager).write({"threshold": self.rule.threshold + 1})
        self.env.flush_all()
        self.assertFalse(self.since(), "the rule changed since the last scan")
        self.scan(["stale_lead"])
        self.assertTrue(self.since())

    def test_incremental_rescan(self):
        days = self.rule.threshold + 1
        untouched = self.create_stale_lead(days, name="CG untouched")
        touched = self.create_stale_lead(days, name="CG touched")
        deleted = self.create_stale_lead(days, name="CG deleted")
        self.scan(["stale_lead"])
        for lead in untouched | touched | deleted:
            self.assertTrue(self.open_finding("stale_lead", lead), lead.name)
        self.backdate_writes(untouched | touched | deleted)
        deleted_finding = self.open_finding("stale_lead", deleted)

        # a change the ORM does not see (no write_date): the untouched lead is skipped
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = %s WHERE id = %s",
            (self.now, untouched.id),
        )
        touched.write({"date_last_stage_update": self.now})
        deleted.with_user(self.manager).unlink()
        self.assertEqual(deleted_finding.state, "resolved", "record deleted: resolved with it")
        # a lead created unseen (its write date in the past)
        newly_stale = self.create_stale_lead(days, name="CG newly stale")
        self.backdate_writes(newly_stale)
        self.assertTrue(self.since())
        result = self.scan(["stale_lead"])["stale_lead"]

        self.assertTrue(self.open_finding("stale_lead", untouched), "not looked at")
        self.assertFalse(self.open_finding("stale_lead", touched), "changed: resolved")
        self.assertEqual(deleted_finding.state, "resolved")
        self.assertFalse(self.finding("stale_lead", newly_stale), "unchanged: not looked at")
        self.assertEqual((result["created"], result["resolved"]), (0, 1))

        # the next day's scan is full and sees what the ORM did not
        self.scan(["stale_lead"], now=self.now + timedelta(days=1))
        self.assertFalse(self.open_finding("stale_lead", untouched))
        self.assertTrue(self.open_finding("stale_lead", newly_stale))

    def test_deleted_record_resolves(self):
        """A record's findings are resolved when it is deleted, by whoever may delete
        it (no scan needed, none reads deleted records); a duplicate group of two it is
        the first member of is resolved too (more: test_crm_guardian_deleted_members).
        Every model a check reads is a mail.thread, whose unlink does it."""
        for code, check in self.scanner._get_checks().items():
            Model = self.env[check["model"]]
            self.assertTrue(issubclass(type(Model), self.registry["mail.thread"]), code)
        lead = self.create_stale_lead(self.rule.threshold + 1, email_from="cg.twin@example.com")
        twin = self.create_stale_lead(self.rule.threshold + 1, email_from="cg.twin@example.com")
        self.scan(["stale_lead", "lead_duplicate_email"])
        stale = self.open_finding("stale_lead", lead)
        group = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search([("check", "=", "lead_duplicate_email"), ("state", "=", "open")])
            .filtered(lambda f: lead.id in f._member_ids())
        )
        self.assertTrue(stale and group)
        self.assertEqual(group.res_id, lead.id, "the group's first member")
        # a sales administrator who may not even read findings
        admin = new_test_user(
            self.env, login="cg_sales_admin", groups="sales_team.group_sale_manager"
        )
        lead.with_user(admin).unlink()
        self.assertEqual(stale.state, "resolved")
        self.assertEqual(group.state, "resolved", "one member left: no group")
        self.assertEqual(group._member_ids(), [twin.id])
        self.assertTrue(self.open_finding("stale_lead", twin))

    def test_chatter_message_counts_as_change(self):
        lead = self.create_stale_lead(self.rule.threshold + 1)
        self.scan(["stale_lead"])
        self.backdate_writes(lead)
        lead.with_user(self.salesman).message_post(body="Called the customer")
        self.scan(["stale_lead"])
        self.assertFalse(self.open_finding("stale_lead", lead), "a message is a touch")

    def test_incremental_duplicate_groups(self):
        def group(key):
            return (
                self.env["crm.guardian.finding"]
                .sudo()
                .search([("check", "=", "lead_duplicate_email"), ("duplicate_key", "=", key)])
            )

        left = self.create_lead(email_from="left@guardian-test.example", phone=False)
        leaving = self.create_lead(email_from="left@guardian-test.example", phone=False)
        kept = self.create_lead(email_from="kept@guardian-test.example", phone=False)
        kept_too = self.create_lead(email_from="kept@guardian-test.example", phone=False)
        self.scan(["lead_duplicate_email"])
        self.assertEqual(group("left@guardian-test.example").member_count, 2)
        self.assertEqual(group("kept@guardian-test.example").member_count, 2)
        self.backdate_writes(left | leaving | kept | kept_too)
        self.assertTrue(self.since("lead_duplicate_email"))

        # the leaving lead moves to the other group: both keys are regrouped
        leaving.write({"email_from": "kept@guardian-test.example"})
        self.scan(["lead_duplicate_email"])
        self.assertEqual(group("left@guardian-test.example").state, "resolved")
        kept_group = group("kept@guardian-test.example")
        self.assertEqual(kept_group.member_count, 3)
        self.assertEqual(kept_group.lead_ids, leaving | kept | kept_too)

    def test_watched_customer_counts_as_change(self):
        """conversion_gap watches the lead's customer: filling in the customer's email
        resolves the finding although the lead itself was not written."""
        partner = self.env["res.partner"].create({"name": "CG Watched Customer"})
        lead = self.create_lead(
            partner_id=partner.id, email_from="watched@guardian-test.example", phone=False
        )
        lead.write({"date_conversion": self.now - timedelta(days=30)})
        partner.write({"email": False})  # crm copied the lead's email onto the customer
        self.scan(["conversion_gap"])
        self.assertTrue(self.open_finding("conversion_gap", lead))
        self.backdate_writes(lead, partner)
        self.assertTrue(self.since("conversion_gap"))
        partner.write({"email": "watched@guardian-test.example"})
        self.scan(["conversion_gap"])
        self.assertFalse(self.open_finding("conversion_gap", lead))

    def test_rule_following_a_relation_is_watched(self):
        """A rule whose condition reads the customer: writing the customer counts as a
        change of its leads; a condition two steps away makes every pass full."""
        vip = self.env["res.partner"].create(
            {"name": "CG VIP", "email": "boss@vip.guardian-test.example"}
        )
        self.rule.with_user(self.manager).write(
            {"domain": "[('partner_id.email', '=like', '%@vip.guardian-test.example')]"}
        )
        lead = self.create_stale_lead(
            self.rule.threshold + 1, partner_id=vip.id, email_from=vip.email
        )
        self.scan(["stale_lead"])
        self.assertTrue(self.open_finding("stale_lead", lead))
        self.backdate_writes(lead, vip)
        self.assertTrue(self.since(), "one step: incremental, the customer watched")
        vip.write({"email": "boss@other.guardian-test.example"})
        self.scan(["stale_lead"])
        self.assertFalse(self.open_finding("stale_lead", lead), "the customer changed")

        self.rule.with_user(self.manager).write(
            {"domain": "[('partner_id.parent_id.email', '!=', False)]"}
        )
        self.scan(["stale_lead"])
        self.assertFalse(self.since(), "two steps: always a full pass")
        self.assertFalse(self.scanner._rule_relations("stale_lead", self.rule), "not watchable")

    def test_incremental_pass_reads_the_next_changed_records(self):
        """A rescan's unit reads the next changed records however far apart in id order
        (a few changes among many records: one unit), as many per unit as its size
        allows (a full pass counts source records, a rescan changed ones), and finds
        what a rescan in one unit finds."""
        Line = self.env["crm.guardian.scan.run.line"].sudo()

        def stale_line():
            return Line.search([("check", "=", "stale_lead")], order="id desc", limit=1)

        days = self.rule.threshold + 1
        leads = self.env["crm.lead"].concat(
            *(self.create_stale_lead(days, name=f"CG chunk {i}") for i in range(6))
        )
        self.scanner._scan(checks=["stale_lead"], now=self.now)
        self.assertEqual(stale_line().mode, "full")
        self.assertLessEqual(stale_line().chunk_size, 2 * DEFAULT_CHUNK)
        self.backdate_every_change()
        # the first and the last lead changed: no longer stale / still stale
        leads[0].write({"date_last_stage_update": self.now})
        leads[5].write({"description": "still waiting"})
        result = self.scanner._scan(checks=["stale_lead"], now=self.now)["stale_lead"]
        self.assertEqual(stale_line().mode, "incremental")
        self.assertEqual(stale_line().units, 1, "two changed records, far apart: one unit")
        self.assertEqual(stale_line().records_read, 2)
        self.assertEqual((result["created"], result["resolved"]), (0, 1))
        self.assertFalse(self.open_finding("stale_lead", leads[0]))
        # one changed record per unit: a unit per changed record, and a last one
        # (open-ended) that finds none; the same findings
        self.backdate_every_change()
        leads[0].write({"date_last_stage_update": self.ago(days)})
        leads[2].write({"date_last_stage_update": self.now})
        self.scanner.with_context(guardian_scan_chunk=1)._scan(checks=["stale_lead"], now=self.now)
        self.assertEqual(stale_line().mode, "incremental")
        self.assertEqual((stale_line().units, stale_line().records_read), (3, 2))
        self.assertTrue(self.open_finding("stale_lead", leads[0]), "stale again")
        self.assertFalse(self.open_finding("stale_lead", leads[2]))
        for lead in leads[1] | leads[3] | leads[4] | leads[5]:
            self.assertTrue(self.open_finding("stale_lead", lead), lead.name)
