from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import GUARDIAN_VIEW, CrmGuardianCommon

EMAIL = "lead_duplicate_email"
PARTNER_EMAIL = "partner_duplicate_email"
CONTACT_FUZZY = "contact_duplicate_fuzzy"
# what a full scan computes of a group beyond findings_snapshot()
GROUP_FIELDS = ["member_count", "user_id", "team_id", "company_id", "partner_id", "high_risk"]


@tagged("post_install", "-at_install")
class TestCrmGuardianDeletedMembers(CrmGuardianCommon):
    """A record deleted through the ORM leaves the exact duplicate groups that list it
    at once, as a full scan would regroup them: a group left with two members or more
    stays as it was (open or dismissed) with the columns its check computes from them,
    a group left with fewer is resolved. Fuzzy groups are regrouped by their rescan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # may delete leads (a salesperson may not), not even read the findings
        cls.sales_admin = new_test_user(
            cls.env, login="cg_sales_admin", groups="sales_team.group_sale_manager"
        )
        # may delete contacts, reads the findings
        cls.contact_manager = new_test_user(
            cls.env,
            login="cg_contact_manager",
            groups=f"base.group_user,base.group_partner_manager,{GUARDIAN_VIEW}",
        )
        cls.team_a = cls.env["crm.team"].create({"name": "CG Team A"})
        cls.team_b = cls.env["crm.team"].create({"name": "CG Team B"})

    def setUp(self):
        super().setUp()
        # scans are stamped with the transaction's start, as the records' writes
        self.now = self.env.cr.now().replace(microsecond=0)

    # helpers -----------------------------------------------------------

    def group(self, check, key):
        return self.env["crm.guardian.finding"].sudo().search([("key", "=", f"{check}:{key}")])

    def group_state(self, group):
        """The stored columns of ``group`` a scan writes (``findings_snapshot``, and
        the group's own)."""
        group.invalidate_recordset()
        row = group.read(GROUP_FIELDS)[0]
        row.pop("id")
        return self.findings_snapshot()[group.key], row

    def full_scan(self, check):
        """A full pass of ``check``: its rules forget their last scan."""
        rules = self.env["crm.guardian.rule"].search([("check", "=", check)])
        rules.write({"last_scan_date": False})
        self.scan([check])
        self.assertEqual(self.last_mode(check), "full")

    def last_mode(self, check):
        return (
            self.env["crm.guardian.scan.run.line"]
            .sudo()
            .search([("check", "=", check)], order="id desc", limit=1)
            .mode
        )

    def assertScansKeep(self, check, group, members):
        """The next scans leave ``group`` as it is: an incremental one without a
        changed record, one with ``members`` changed (their keys are regrouped), and
        a full one; never a second finding of its key."""
        state = self.group_state(group)
        self.backdate_writes(members)
        self.scan([check])
        self.assertEqual(self.last_mode(check), "incremental")
        self.assertEqual(self.group_state(group), state, "incremental, nothing changed")
        members.write({"name": "CG touched"})
        self.scan([check])
        self.assertEqual(self.last_mode(check), "incremental")
        self.assertEqual(self.group_state(group), state, "incremental, members regrouped")
        self.full_scan(check)
        self.assertEqual(self.group_state(group), state, "full: the state it computes")
        Finding = self.env["crm.guardian.finding"].sudo()
        self.assertEqual(Finding.search_count([("key", "=", group.key)]), 1)
        self.assertEqual(
            Finding.search_count(
                [("check", "=", check), ("duplicate_key", "=", group.duplicate_key)]
            ),
            1,
        )

    def lead(self, email, user, team, **vals):
        return self.create_lead(
            email_from=email, phone=False, user_id=user.id, team_id=team.id, **vals
        )

    def group_of_two(self, email):
        """Two leads of the salesman sharing ``email``, scanned: ``(kept, deleted, group)``."""
        kept = self.lead(email, self.salesman, self.team_a)
        deleted = self.lead(email, self.salesman, self.team_a)
        self.scan([EMAIL])
        return kept, deleted, self.group(EMAIL, email)

    def created_days_ago(self, records, days):
        self.env.flush_all()
        self.env.cr.execute(
            f"UPDATE {records._table} SET create_date = %s WHERE id IN %s",
            (self.now - timedelta(days=days), tuple(records.ids)),
        )
        records.invalidate_recordset()

    # tests -------------------------------------------------------------

    def test_group_of_three_loses_the_deleted_member(self):
        email = "cg.three@guardian-test.example"
        # the first member, newest, with its own responsible and team
        first = self.lead(email, self.salesman, self.team_a)
        second = self.lead(email, self.salesman_other, self.team_b)
        third = self.lead(email, self.salesman_other, self.team_b)
        self.created_days_ago(second | third, 5)
        self.scan([EMAIL])
        group = self.group(EMAIL, email)
        self.assertEqual(group.member_count, 3)
        self.assertEqual((group.res_id, group.user_id), (first.id, self.salesman))
        self.assertFalse(group.team_id, "the members' teams differ")
        self.assertEqual(group.reference_date, self.today)
        risk_of_three = group.risk_score

        first.with_user(self.sales_admin).unlink()
        self.assertEqual(group.state, "open")
        self.assertEqual(group.member_res_ids, f"{second.id},{third.id}")
        self.assertEqual(group.member_count, 2)
        self.assertEqual((group.res_id, group.user_id), (second.id, self.salesman_other))
        self.assertEqual(group.team_id, self.team_b, "now shared by every member")
        self.assertEqual(group.reference_date, self.today - timedelta(days=5))
        self.assertEqual((group.severity_level, group.reason_params["count"]), (2, 2))
        self.assertLess(group.risk_score, risk_of_three)
        self.assertEqual(group.write_uid, self.sales_admin)
        # who reads both members sees them all, none hidden
        seen = group.with_user(self.salesman_other)
        self.assertEqual(seen.lead_ids, second | third)
        self.assertEqual(seen.member_hidden_count, 0)
        self.assertFalse(seen.member_note)
        self.assertIn("2 records share", seen.reason)
        self.assertScansKeep(EMAIL, group, second | third)

    def test_group_of_two_is_resolved(self):
        kept, deleted, group = self.group_of_two("cg.two@guardian-test.example")
        self.assertEqual(group.state, "open")
        deleted.with_user(self.sales_admin).unlink()
        self.assertEqual(group.state, "resolved")
        self.assertTrue(group.resolved_date)
        self.assertEqual(group.write_uid, self.sales_admin)
        self.assertEqual(group._member_ids(), [kept.id])
        self.assertEqual(group.member_count, 1)
        self.assertEqual(group.with_user(self.salesman).member_hidden_count, 0)
        self.assertScansKeep(EMAIL, group, kept)
        self.assertEqual(group.state, "resolved")

    def test_group_deleted_whole(self):
        email = "cg.gone@guardian-test.example"
        leads = self.lead(email, self.salesman, self.team_a)
        leads |= self.lead(email, self.salesman, self.team_a)
        self.scan([EMAIL])
        group = self.group(EMAIL, email)
        leads.with_user(self.sales_admin).unlink()
        self.assertEqual(group.state, "resolved")
        self.assertFalse(group.member_res_ids)
        self.assertEqual(group.member_count, 0)
        self.full_scan(EMAIL)
        self.assertEqual(group.state, "resolved")

    def test_dismissed_group_loses_the_member(self):
        email = "cg.dismissed@guardian-test.example"
        leads = [self.lead(email, self.salesman, self.team_a) for _i in range(3)]
        self.scan([EMAIL])
        group = self.group(EMAIL, email)
        group.with_user(self.manager)._dismiss("Same customer, different deals")
        self.assertEqual((group.state, group.dismissed_level), ("dismissed", 3))
        leads[1].with_user(self.sales_admin).unlink()
        self.assertEqual(group.state, "dismissed")
        self.assertEqual(group._member_ids(), [leads[0].id, leads[2].id])
        self.assertEqual((group.member_count, group.severity_level), (2, 2))
        self.assertEqual(group.dismissed_level, 3, "the level at dismissal")
        self.assertScansKeep(EMAIL, group, leads[0] | leads[2])
        self.assertEqual(group.state, "dismissed")

    def test_dismissed_group_of_two_is_resolved(self):
        kept, deleted, group = self.group_of_two("cg.dismissed.two@guardian-test.example")
        group.with_user(self.manager)._dismiss("Known")
        deleted.with_user(self.sales_admin).unlink()
        self.assertEqual(group.state, "resolved")
        self.assertEqual(group._member_ids(), [kept.id])

    def test_partner_groups(self):
        email = "cg.partner.dup@guardian-test.example"
        Partner = self.env["res.partner"]
        three = Partner.create([{"name": f"CG Partner {i}", "email": email} for i in range(3)])
        two_email = "cg.partner.pair@guardian-test.example"
        two = Partner.create([{"name": f"CG Pair {i}", "email": two_email} for i in range(2)])
        self.scan([PARTNER_EMAIL])
        group, pair = self.group(PARTNER_EMAIL, email), self.group(PARTNER_EMAIL, two_email)
        self.assertEqual((group.member_count, pair.member_count), (3, 2))

        (three[0] | two[1]).with_user(self.contact_manager).unlink()
        self.assertEqual(group.state, "open")
        self.assertEqual(group._member_ids(), three[1:].ids)
        self.assertEqual(group.res_id, three[1].id)
        self.assertEqual(group.member_count, 2)
        self.assertFalse(group.partner_id, "each member is its own customer")
        seen = group.with_user(self.contact_manager)
        self.assertEqual(seen.partner_ids, three[1:])
        self.assertEqual(seen.member_hidden_count, 0)
        self.assertEqual(pair.state, "resolved")
        self.assertEqual(pair._member_ids(), two[:1].ids)
        self.assertScansKeep(PARTNER_EMAIL, group, three[1:])
        self.assertEqual(pair.state, "resolved")

    def test_record_deleted_in_sql_is_not_a_hidden_member(self):
        """A listed record that no longer exists (deleted in SQL: no unlink) is
        neither shown nor counted as hidden; a member the user may not read still is.
        The next delete through the ORM drops it from the group too."""
        email = "cg.sql@guardian-test.example"
        mine = self.lead(email, self.salesman, self.team_a)
        gone = self.lead(email, self.salesman, self.team_a)
        other = self.lead(email, self.salesman_other, self.team_a)
        also_mine = self.lead(email, self.salesman, self.team_a)
        self.scan([EMAIL])
        group = self.group(EMAIL, email)
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_lead WHERE id = %s", [gone.id])
        self.env.invalidate_all()
        seen = group.with_user(self.salesman)
        self.assertEqual(seen.lead_ids, mine | also_mine)
        self.assertEqual(seen.member_hidden_count, 1, "the other salesperson's lead")
        self.assertEqual(seen.member_note, "3 records share this email; 1 not visible to you.")
        also_mine.with_user(self.sales_admin).unlink()
        self.assertEqual(group._member_ids(), [mine.id, other.id])
        self.assertEqual(group.state, "open")

    def test_fuzzy_group_regrouped_by_its_rescan(self):
        """A fuzzy group keeps a deleted member until its rescan regroups it (its key
        and score come from its centre and pairs), counted nowhere meanwhile."""
        people = self.duplicate_people()
        self.scan([CONTACT_FUZZY])
        Finding = self.env["crm.guardian.finding"].sudo()
        group = Finding.search([("check", "=", CONTACT_FUZZY), ("state", "=", "open")]).filtered(
            lambda f: people[3].id in f._member_ids()
        )
        self.assertEqual(set(group._member_ids()), {people[3].id, people[4].id})
        people[4].with_user(self.contact_manager).unlink()
        self.assertEqual(set(group._member_ids()), {people[3].id, people[4].id})
        seen = group.with_user(self.contact_manager)
        self.assertEqual(seen.partner_ids, people[3])
        self.assertEqual(seen.member_hidden_count, 0)
        # whoever may edit the members left may dismiss it (the deleted one is no
        # member they cannot edit)
        self.assertTrue(seen.can_dismiss)
        action = seen.action_dismiss()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.contact_manager)
            .with_context(**action["context"])
        )
        wizard.note = "Checking with the customer"
        wizard.save().action_dismiss()
        self.assertEqual(group.state, "dismissed")
        seen.action_restore()
        self.assertEqual(group.state, "open")
        # one member left: the merge tool says why it cannot open
        with self.assertRaisesRegex(UserError, "1 deleted"):
            seen.action_merge()
        self.scan([CONTACT_FUZZY])
        self.assertEqual(self.last_mode(CONTACT_FUZZY), "incremental")
        self.assertEqual(group.state, "resolved")
