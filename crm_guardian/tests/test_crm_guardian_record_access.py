from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL

from .common import GUARDIAN_MANAGE, GUARDIAN_VIEW, CrmGuardianCommon, GuardianClientMixin

SALESMAN = "sales_team.group_sale_salesman"
SECRET = "CGSECRET"


@tagged("post_install", "-at_install")
class TestCrmGuardianRecordAccess(GuardianClientMixin, CrmGuardianCommon):
    """Issue #17 as restricted users: a plain salesperson (Sales user only, the
    Guardian comes with it), a Guardian manager limited to own documents and one
    limited to one company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "CG Company B"})
        cls.seller = new_test_user(cls.env, login="cg_plain_seller", groups=SALESMAN)
        cls.seller_other = new_test_user(
            cls.env,
            login="cg_plain_seller_2",
            groups=SALESMAN,
            company_ids=[Command.set([cls.company.id, cls.company_b.id])],
        )
        cls.own_docs_manager = new_test_user(
            cls.env, login="cg_own_docs_manager", groups=f"{SALESMAN},{GUARDIAN_MANAGE}"
        )
        cls.company_manager = new_test_user(
            cls.env,
            login="cg_company_a_manager",
            groups=f"sales_team.group_sale_manager,{GUARDIAN_MANAGE}",
            company_id=cls.company.id,
            company_ids=[Command.set([cls.company.id])],
        )
        cls.secret_partner = cls.env["res.partner"].create({"name": f"{SECRET} Partner"})
        # a duplicate group whose first member (lowest id) the salesperson may not
        # read; the second member in company B: only its salesperson sees it
        email = "cg.shared@guardian-test.example"
        cls.dup_theirs = cls.create_lead(
            cls,
            name=f"{SECRET} their lead",
            email_from=email,
            user_id=cls.seller_other.id,
            partner_id=cls.secret_partner.id,
        )
        cls.dup_b = cls.create_lead(
            cls,
            name=f"{SECRET} company B lead",
            email_from=email,
            user_id=cls.seller_other.id,
            company_id=cls.company_b.id,
        )
        cls.dup_mine = cls.create_lead(
            cls, name="CG my duplicate", email_from=email, user_id=cls.seller.id
        )
        cls.dup_mine_too = cls.create_lead(
            cls, name="CG my duplicate too", email_from=email, user_id=cls.seller.id
        )
        cls.dup_theirs.activity_schedule(
            "mail.mail_activity_data_todo", summary=f"{SECRET} call", user_id=cls.seller_other.id
        )
        cls.stale_mine = cls._stale(name="CGT my stale", user_id=cls.seller.id)
        cls.stale_theirs = cls._stale(name=f"CGT {SECRET} stale", user_id=cls.seller_other.id)
        cls.stale_b = cls._stale(
            name=f"CGT {SECRET} stale B", user_id=False, company_id=cls.company_b.id
        )

    @classmethod
    def _stale(cls, **vals):
        lead = cls.create_lead(cls, phone=False, **vals)
        lead.write({"date_last_stage_update": cls.now - timedelta(days=40)})
        return lead

    def setUp(self):
        super().setUp()
        self.scan(["lead_duplicate_email", "stale_lead"], user=self.env.ref("base.user_admin"))
        self.group = self.env["crm.guardian.finding"].search(
            [("key", "=", "lead_duplicate_email:cg.shared@guardian-test.example")]
        )
        self.assertEqual(self.group.member_count, 4)

    def finding_as(self, user, finding):
        return finding.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    # 4. default access ------------------------------------------------------

    def test_salesperson_has_the_guardian(self):
        self.assertTrue(self.seller.has_group(GUARDIAN_VIEW), "implied by Sales user")
        menus = self.env["ir.ui.menu"].with_user(self.seller)._visible_menu_ids()
        for xmlid in ("menu_root", "section_menu_dashboard", "finding_menu_mine"):
            self.assertIn(self.env.ref(f"crm_guardian.crm_guardian_{xmlid}").id, menus)
        Finding = self.env["crm.guardian.finding"].with_user(self.seller)
        mine = self.open_finding("stale_lead", self.stale_mine)
        rescue = Finding.get_my_rescue_list()
        self.assertTrue(rescue["allowed"])
        self.assertIn(mine.id, [item["id"] for item in rescue["items"]])
        self.assertIn(self.seller, self.env["crm.guardian.digest"]._get_item_recipients())
        content = self.env["crm.guardian.digest"]._digest_content("daily", self.seller)
        self.assertIn(mine.name, [item["name"] for item in content["items"]])
        # the dashboard cards count what they may read
        self.assertTrue(self.env["crm.guardian.section"].with_user(self.seller).search([]))

    def test_admin_may_take_the_guardian_away(self):
        salesman_group = self.env.ref(SALESMAN)
        salesman_group.write({"implied_ids": [Command.unlink(self.env.ref(GUARDIAN_VIEW).id)]})
        newcomer = new_test_user(self.env, login="cg_plain_newcomer", groups=SALESMAN)
        self.assertFalse(newcomer.has_group(GUARDIAN_VIEW))
        with self.assertRaises(AccessError):
            self.env["crm.guardian.finding"].with_user(newcomer).search([])
        self.assertFalse(
            self.env["crm.guardian.finding"].with_user(newcomer).get_my_rescue_list()["allowed"]
        )

    def test_salesperson_dismisses_and_restores_own(self):
        finding = self.finding_as(self.seller, self.open_finding("stale_lead", self.stale_mine))
        self.assertTrue(finding.can_dismiss)
        action = finding.action_dismiss()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.seller).with_context(**action["context"])
        )
        wizard.note = "Customer on holiday"
        wizard.save().action_dismiss()
        self.assertEqual(finding.state, "dismissed")
        self.assertEqual(finding.dismissed_by_id, self.seller)
        message = finding.message_ids[0]
        self.assertIn("Customer on holiday", message.body)
        self.assertEqual(message.author_id, self.seller.partner_id)
        finding.action_restore()
        self.assertEqual(finding.state, "open")
        self.assertIn("Restored", finding.message_ids[0].body)

    def test_salesperson_cannot_dismiss_what_they_may_not_edit(self):
        # the group has members the salesperson may not edit (nor read)
        group = self.finding_as(self.seller, self.group)
        self.assertFalse(group.can_dismiss)
        with self.assertRaises(AccessError):
            group._dismiss("Not all mine")
        self.assertEqual(self.group.state, "open")
        theirs = self.open_finding("stale_lead", self.stale_theirs)
        with self.assertRaises(AccessError):
            self.finding_as(self.seller, theirs)._dismiss("Not mine")
        # a manager may dismiss anything they see
        manager_group = self.group.with_user(self.manager)
        self.assertTrue(manager_group.can_dismiss)
        manager_group._dismiss("Same customer, two branches")
        self.assertEqual(self.group.state, "dismissed")

    # 2. duplicate groups ------------------------------------------------------

    def test_duplicate_group_as_salesperson(self):
        group = self.finding_as(self.seller, self.group)
        Finding = group.browse()
        self.assertIn(self.group.id, Finding.search([("check", "=", "lead_duplicate_email")]).ids)
        self.assertEqual(group.lead_ids, self.dup_mine | self.dup_mine_too)
        self.assertEqual(group.member_hidden_count, 2)
        self.assertEqual(group.member_note, "4 records share this email; 2 not visible to you.")
        self.assertNotIn(SECRET, group.reason)
        self.assertFalse(group.partner_id, "members of different customers: no customer")
        self.assertEqual(group.record_ref, self.dup_mine)
        # the activity of the hidden first member is not the salesperson's to see
        self.assertFalse(group.activity_id)
        self.assertFalse(group.has_open_activity)
        self.assertTrue(group.can_schedule_activity, "on their own member")
        self.assertEqual(group.action_schedule_activity()["context"]["active_id"], self.dup_mine.id)
        self.assertTrue(self.group.with_user(self.manager).activity_id, "the manager reads it")
        self.assertEqual(group.action_view_record()["res_id"], self.dup_mine.id)
        self.assertEqual(group.action_view_members()["domain"], [("id", "in", group.lead_ids.ids)])
        # the merge tool opens with the readable members and says who was left out
        action = group.action_merge()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("2 not visible to you", action["params"]["message"])
        merge = action["params"]["next"]
        self.assertEqual(merge["res_model"], "crm.merge.opportunity")
        self.assertEqual(set(merge["context"]["active_ids"]), set(group.lead_ids.ids))
        # the salesperson who owns the other members sees the group too
        other = self.finding_as(self.seller_other, self.group)
        self.assertEqual(other.lead_ids, self.dup_theirs | self.dup_b)

    def test_duplicate_group_merge_leaves_out_won_and_archived(self):
        self.dup_mine_too.action_set_won()
        group = self.finding_as(self.seller, self.group)
        with self.assertRaises(UserError):  # one mergeable member left
            group.action_merge()
        action = self.group.with_user(self.manager).action_merge()
        self.assertIn("1 won or archived", action["params"]["message"])
        self.assertNotIn(self.dup_mine_too.id, action["params"]["next"]["context"]["active_ids"])

    def test_duplicate_group_invisible_without_readable_member(self):
        outsider = new_test_user(self.env, login="cg_plain_outsider", groups=SALESMAN)
        Finding = self.env["crm.guardian.finding"].with_user(outsider)
        self.assertFalse(Finding.search([("id", "=", self.group.id)]))
        self.assertEqual(Finding.search_count([("id", "=", self.group.id)]), 0)
        with self.assertRaises(AccessError):
            self.group.with_user(outsider).read(["name"])

    # 3. setup alerts refresh -----------------------------------------------------

    def test_alert_refresh_with_rows_selected(self):
        Alert = self.env["crm.guardian.alert"]
        Alert.sudo()._refresh_alerts()
        gone = Alert.sudo().create(
            {"code": "cg_check_gone", "name": "Gone", "area": "leads", "severity": "info"}
        )
        before = {a.id: (a.code, a.name) for a in Alert.sudo().search([])}
        selected = Alert.with_user(self.manager).search([], limit=3)
        self.assertEqual(len(selected), 3)
        selected.action_refresh()
        after = {a.id: (a.code, a.name) for a in Alert.sudo().search([])}
        self.assertEqual(after, before, "nothing overwritten, nothing deleted")
        self.assertEqual(gone.state, "resolved", "a manager may not delete: resolved instead")
        # the nightly job (superuser) deletes it
        Alert.sudo()._refresh_alerts()
        self.assertFalse(gone.exists())
        with self.assertRaises(AccessError):
            Alert.with_user(self.seller).search([]).action_refresh()

    # 1. rule tester as the user ---------------------------------------------------

    def _test_rule(self, user):
        rule = (
            self.env["crm.guardian.rule"]
            .with_user(self.manager)
            .create(
                {
                    "name": "CGT stale",
                    "check": "stale_lead",
                    "domain": "[('name', 'like', 'CGT')]",
                    "threshold": 3,
                    "active": False,
                }
            )
        )
        env_rule = rule.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)
        action = env_rule.action_test_rule()
        return env_rule.env["crm.guardian.rule.tester"].browse(action["res_id"])

    def test_rule_tester_as_the_user(self):
        full = self._test_rule(self.manager)
        self.assertEqual(
            set(full.line_ids.mapped("res_id")),
            {self.stale_mine.id, self.stale_theirs.id},
            "company B not among the manager's companies",
        )
        own = self._test_rule(self.own_docs_manager)
        self.assertEqual(own.match_count, 0, "own documents only: none is theirs")
        self.stale_mine.user_id = self.own_docs_manager
        own = self._test_rule(self.own_docs_manager)
        self.assertEqual(own.match_count, 1)
        self.assertEqual(own.line_ids.res_id, self.stale_mine.id)
        self.assertNotIn(SECRET, repr(own.line_ids.read(["name", "reason"])))
        one_company = self._test_rule(self.company_manager)
        self.assertNotIn(self.stale_b.id, one_company.line_ids.mapped("res_id"))
        self.assertEqual(one_company.match_count, len(one_company.line_ids))
        # two companies allowed and selected: company B counts
        self.company_manager.company_ids = [Command.link(self.company_b.id)]
        both = self._test_rule(self.company_manager)
        self.assertIn(self.stale_b.id, both.line_ids.mapped("res_id"))
        # previews are their creator's only
        Line = self.env["crm.guardian.rule.tester.line"]
        self.assertFalse(Line.with_user(self.manager).search([("id", "in", both.line_ids.ids)]))
        with self.assertRaises(AccessError):
            both.line_ids.with_user(self.manager).read(["name"])
        with self.assertRaises(AccessError):
            both.with_user(self.manager).read(["match_count"])

    # 6. as the client sends ------------------------------------------------------

    def allow_export(self, user):
        user.groups_id = [Command.link(self.env.ref("base.group_allow_export").id)]

    def test_client_calls_as_salesperson(self):
        self.allow_export(self.seller)
        Finding = self.env["crm.guardian.finding"].with_user(self.seller)
        listed = self.assertClientSafe(Finding, [SECRET])
        self.assertIn(self.group.id, listed.ids)
        self.assertClientSafe(Finding, [SECRET], [("check", "=", "lead_duplicate_email")])

    def test_client_calls_as_one_company_manager(self):
        self.allow_export(self.company_manager)
        Finding = (
            self.env["crm.guardian.finding"]
            .with_user(self.company_manager)
            .with_context(allowed_company_ids=[self.company.id])
        )
        listed = self.assertClientSafe(Finding, [f"{SECRET} company B", f"{SECRET} stale B"])
        self.assertIn(self.group.id, listed.ids)
        group = self.group.with_env(Finding.env)
        self.assertEqual(group.lead_ids, self.dup_theirs | self.dup_mine | self.dup_mine_too)
        self.assertEqual(group.member_hidden_count, 1)


@tagged("post_install", "-at_install")
class TestRecordAccessMatchesOrm(CrmGuardianCommon):
    """The access layer (crm.guardian.record.access: window pages, per-model counts,
    rules proven true everywhere) gives the plain ORM answer: a finding is readable
    when ``_filtered_access('read')`` keeps its record, or one member of a group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "CG Company B2"})
        both = [Command.set([cls.company.id, cls.company_b.id])]
        cls.seller = new_test_user(cls.env, login="cg_orm_seller", groups=SALESMAN)
        cls.other = new_test_user(cls.env, login="cg_orm_other", groups=SALESMAN, company_ids=both)
        # a global rule (AND-ed with every user's own) through a related field
        cls.env["ir.rule"].create(
            {
                "name": "CG leads of hidden customers are not readable",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "domain_force": "['|', ('partner_id', '=', False),"
                " ('partner_id.name', 'not ilike', 'CGHIDE')]",
            }
        )
        cls.users = {
            "own documents": cls.seller,
            "one company": new_test_user(
                cls.env, login="cg_orm_manager_a", groups="sales_team.group_sale_manager"
            ),
            "every company (rules proven true)": new_test_user(
                cls.env,
                login="cg_orm_manager_ab",
                groups="sales_team.group_sale_manager",
                company_ids=both,
            ),
            "custom rule on a related field": new_test_user(
                cls.env,
                login="cg_orm_ruled",
                groups="sales_team.group_sale_manager",
                company_ids=both,
            ),
            "no CRM access": new_test_user(cls.env, login="cg_orm_nocrm", groups=GUARDIAN_VIEW),
        }
        hidden = cls.env["res.partner"].create({"name": "CGHIDE customer"})
        Lead = cls.env["crm.lead"]
        cls.leads = Lead.create(
            [
                {"name": "CG orm own", "user_id": cls.seller.id},
                {"name": "CG orm other", "user_id": cls.other.id},
                {"name": "CG orm unassigned", "user_id": False},
                {"name": "CG orm archived", "user_id": cls.seller.id, "active": False},
                {"name": "CG orm B", "user_id": cls.other.id, "company_id": cls.company_b.id},
                {"name": "CG orm hidden", "user_id": False, "partner_id": hidden.id},
            ]
        )
        own, other, _unassigned, _archived, lead_b, hidden_lead = cls.leads
        Finding = cls.env["crm.guardian.finding"].sudo()
        plain = {"check": "stale_lead", "section": "rescue"}
        vals = [
            dict(plain, key=f"cg_orm:{lead.id}", res_id=lead.id, name=lead.name)
            for lead in cls.leads
        ]
        groups = [(other, own), (lead_b, hidden_lead), (other, lead_b)]
        vals += [
            {
                "key": f"cg_orm:group:{first.id}:{second.id}",
                "res_id": first.id,
                "name": "CG orm group",
                "member_res_ids": f"{first.id},{second.id}",
                "member_count": 2,
                "check": "lead_duplicate_email",
                "section": "duplicates",
            }
            for first, second in groups
        ]
        cls.findings = Finding.create([dict(v, res_model="crm.lead") for v in vals])

    def expected(self, user, companies):
        Lead = (
            self.env["crm.lead"]
            .with_user(user)
            .with_context(active_test=False, allowed_company_ids=companies)
        )
        if not Lead.has_access("read"):
            return set()
        readable = set(Lead.browse(self.leads.ids)._filtered_access("read").ids)
        return {
            finding.id
            for finding in self.findings
            if readable & set(finding._member_ids() or [finding.res_id])
        }

    def test_same_answer_as_the_orm(self):
        domain = [("id", "in", self.findings.ids)]
        for label, user in self.users.items():
            companies = user.company_ids.ids
            with self.subTest(user=label):
                Finding = (
                    self.env["crm.guardian.finding"]
                    .with_user(user)
                    .with_context(allowed_company_ids=companies)
                )
                expected = self.expected(user, companies)
                self.assertEqual(set(Finding.search(domain).ids), expected)
                self.assertEqual(Finding.search_count(domain), len(expected))
                self.assertEqual(Finding.search_count(domain, limit=2), min(2, len(expected)))
                page = Finding.search(domain, limit=2, order="id")
                self.assertEqual(page.ids, sorted(expected)[:2], "a page from the window")
                readable = Finding.browse(self.findings.ids)._filtered_access("read")
                self.assertEqual(set(readable.ids), expected, "_check_access")
                # the expected answer is not trivial for restricted users
                if label in ("own documents", "one company", "custom rule on a related field"):
                    self.assertTrue(0 < len(expected) < len(self.findings), label)

    def test_serial_plan_is_for_one_statement(self):
        """The dashboard's counts run without parallel workers nor JIT (and by index),
        and the request's later statements get the server's settings back."""
        cr = self.env.cr
        cr.execute("SET LOCAL jit = on; SET LOCAL max_parallel_workers_per_gather = 2")
        Finding = self.env["crm.guardian.finding"].with_user(self.seller)
        settings = SQL(
            "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')"
        )
        self.assertEqual(Finding._execute_serial(settings), [("off", "0")])
        self.assertEqual(self.env.execute_query(settings), [("on", "2")])
        # the cards' counts also keep to the indexes, for that statement only
        seqscan = SQL("SELECT current_setting('enable_seqscan')")
        self.assertEqual(Finding._execute_serial(seqscan, by_index=True), [("off",)])
        self.assertEqual(self.env.execute_query(seqscan), [("on",)])
        # the cards count under it, with the same answer
        cards = self.env["crm.guardian.section"].with_user(self.seller).search([])
        self.assertTrue(cards.mapped("open_count_label"))
        self.assertEqual(self.env.execute_query(settings), [("on", "2")])
        self.assertEqual(self.env.execute_query(seqscan), [("on",)])
