from datetime import timedelta

from odoo.tests import new_test_user, tagged

from ..models import crm_guardian_record_access, crm_guardian_section
from .common import GUARDIAN_VIEW, CrmGuardianCommon

# what the web client sends for the findings list and the dashboard kanban
LIST_SPEC = {
    "reference_date": {},
    "check": {},
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "risk_score": {},
    "has_open_activity": {},
    "state": {},
    "can_schedule_activity": {},
}
CARD_SPEC = {
    "color": {},
    "name": {},
    "description": {},
    "open_count_label": {},
    "high_risk_count_label": {},
}


@tagged("post_install", "-at_install")
class TestCrmGuardianDashboardPerf(CrmGuardianCommon):
    """The dashboard counts and the findings list under the record-access check:
    fast forms (per-model semi-joins, rules that hold everywhere skipped), same
    results as the list, and a fixed number of queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls.create_lead(cls, name="CG perf own", phone=False)
        cls.theirs = cls.create_lead(
            cls, name="CG perf theirs", phone=False, user_id=cls.salesman_other.id
        )
        cls.unassigned = cls.create_lead(cls, name="CG perf unassigned", phone=False, user_id=False)
        cls.leads = cls.own | cls.theirs | cls.unassigned
        cls.seller = new_test_user(
            cls.env,
            login="cg_dash_seller",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )

    def setUp(self):
        super().setUp()
        self.scan(["lead_incomplete", "stale_lead"], now=self.now + timedelta(days=2))
        self.findings = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search([("res_model", "=", "crm.lead"), ("res_id", "in", self.leads.ids)])
        )
        self.assertTrue(self.findings)

    def _cards(self, user):
        return self.env["crm.guardian.section"].with_user(user).search([])

    def _assert_counts_match_list(self, user):
        Finding = self.env["crm.guardian.finding"].with_user(user)
        cards = self._cards(user)
        self.assertTrue(cards)
        for card in cards.filtered(lambda c: c.code != "setup"):
            domain = [("state", "=", "open"), ("section", "=", card.code)]
            self.assertEqual(card.open_count, Finding.search_count(domain), card.code)
            self.assertEqual(
                card.high_risk_count,
                Finding.search_count([*domain, ("risk_score", ">=", 50)]),
                card.code,
            )
            # the list of the card shows the same records
            page = Finding.web_search_read(domain, LIST_SPEC, limit=80, count_limit=10001)
            self.assertEqual(page["length"], card.open_count, card.code)
            # a limited count stops at its limit (parts in turn, each limited)
            for limit in (1, 2):
                self.assertEqual(
                    Finding.search_count(domain, limit=limit), min(limit, card.open_count)
                )

    def test_counts_match_list(self):
        for user in (self.salesman, self.salesman_other, self.seller, self.manager):
            with self.subTest(user=user.login):
                self.env.invalidate_all()
                self._assert_counts_match_list(user)

    def test_salesperson_sees_own_and_unassigned_only(self):
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        visible = Finding.search([("id", "in", self.findings.ids)])
        self.assertEqual(set(visible.sudo().mapped("res_id")), {self.own.id, self.unassigned.id})
        # the access subplans stay hashed at a million leads
        self.cr.execute("SHOW work_mem")
        self.assertEqual(self.cr.fetchone()[0], "64MB")
        # the same with a model filter (one semi-join instead of the OR of models)
        self.assertEqual(
            Finding.search([("id", "in", self.findings.ids), ("res_model", "=", "crm.lead")]),
            visible,
        )
        self.assertEqual(
            Finding.search(
                [
                    "|",
                    ("res_model", "=", "crm.lead"),
                    ("res_model", "=", "sale.order"),
                    ("id", "in", self.findings.ids),
                ]
            ),
            visible,
        )
        # a page of findings read as the salesperson: only the readable ones pass
        page = Finding.web_search_read(
            [("id", "in", self.findings.ids)], LIST_SPEC, limit=80, count_limit=10001
        )
        self.assertEqual({r["id"] for r in page["records"]}, set(visible.ids))

    def test_page_from_a_window_of_the_order(self):
        """A salesperson's page is looked for in a window of the order (its records
        checked by id) and is the page of the whole search: when the window holds
        enough readable findings, when it holds too few (the whole search then: here
        the findings of another salesperson's lead come first) and when it holds
        every finding."""
        theirs = self.findings.filtered(lambda f: f.res_id == self.theirs.id)
        theirs.write({"reference_date": self.now.date() + timedelta(days=30)})
        Finding = self.env["crm.guardian.finding"].with_user(self.salesman)
        # the window is read without parallel workers; the setting is restored after
        self.cr.execute("SHOW max_parallel_workers_per_gather")
        workers = self.cr.fetchone()[0]
        self.assertTrue(Finding.search([("state", "=", "open")], limit=1))
        self.cr.execute("SHOW max_parallel_workers_per_gather")
        self.assertEqual(self.cr.fetchone()[0], workers)
        order = Finding._order
        for domain in ([("state", "=", "open")], [("id", "in", self.findings.ids)]):
            self.patch(crm_guardian_record_access, "PAGE_WINDOW_MAX", 0)  # the whole search
            expected = Finding.search(domain, order=order).ids
            self.assertTrue(set(expected).isdisjoint(theirs.ids))
            self.patch(crm_guardian_record_access, "PAGE_WINDOW_MAX", 2000)
            for window in (1, 2, 10):
                self.patch(crm_guardian_record_access, "PAGE_WINDOW", window)
                for offset, limit in ((0, 1), (0, 2), (1, 1), (2, 3), (0, len(expected) + 5)):
                    with self.subTest(domain=domain, window=window, offset=offset, limit=limit):
                        page = Finding.search(domain, offset=offset, limit=limit, order=order)
                        self.assertEqual(page.ids, expected[offset : offset + limit])

    def test_dashboard_query_count(self):
        """Reading the dashboard as a salesperson: seven queries (the
        cards, their codes, the company list for the company-rule shortcut, the user's
        companies read for the record rules and one query for all the counts, between the
        two that set and restore its serial plan), whatever the number of findings and
        source models."""
        # the web client's context carries the language (the count labels' format)
        Section = self.env["crm.guardian.section"].with_user(self.seller).with_context(lang="en_US")
        Section.web_search_read([], CARD_SPEC, limit=40, count_limit=10001)  # warm caches
        self.env.invalidate_all()
        with self.assertQueryCount(7):
            result = Section.web_search_read([], CARD_SPEC, limit=40, count_limit=10001)
        self.assertTrue(result["records"])

    def test_counts_capped_as_the_pager(self):
        """Past its limit a card counts ``limit + 1`` and shows "N+", as Odoo's list
        pager: a card's count stops there, whatever the size. Below it, the counts
        are exact."""
        domain = [("state", "=", "open"), ("section", "=", "incomplete")]
        for user in (self.manager, self.salesman):
            with self.subTest(user=user.login):
                total = self.env["crm.guardian.finding"].with_user(user).search_count(domain)
                self.assertGreaterEqual(total, 2)  # own and unassigned leads at least
                for limit in (total, total - 1):
                    self.patch(crm_guardian_section, "COUNT_LIMIT", limit)
                    self.patch(crm_guardian_section, "CHECKED_COUNT_LIMIT", limit)
                    self.env.invalidate_all()
                    card = self._cards(user).filtered(lambda c: c.code == "incomplete")
                    self.assertEqual(card.open_count, total)
                    label = f"{limit}+" if limit < total else str(total)
                    self.assertEqual(card.open_count_label, label)
                    self.assertEqual(card.high_risk_count_label, str(card.high_risk_count))
        # thousands grouped as the user's language writes them
        self.assertEqual(card._count_label(10001, 10000), "10,000+")
        self.assertEqual(card._count_label(1234, 10000), "1,234")

    def test_checked_counts_capped_lower(self):
        """A card whose findings are checked one by one against the records the user
        may read (a salesperson's own leads) counts up to ``CHECKED_COUNT_LIMIT``; one
        the index answers alone (every record readable) up to ``COUNT_LIMIT``."""
        domain = [("state", "=", "open"), ("section", "=", "incomplete")]
        for env, limits in (
            (self.env(user=self.salesman), {"COUNT_LIMIT": 100, "CHECKED_COUNT_LIMIT": 1}),
            (self.env(su=True), {"COUNT_LIMIT": 1, "CHECKED_COUNT_LIMIT": 100}),
        ):
            with self.subTest(user=env.user.login, su=env.su):
                for constant, limit in limits.items():
                    self.patch(crm_guardian_section, constant, limit)
                self.assertGreaterEqual(env["crm.guardian.finding"].search_count(domain), 2)
                env.invalidate_all()
                card = env["crm.guardian.section"].search([("code", "=", "incomplete")])
                self.assertEqual(card.open_count, 2)
                self.assertEqual(card.open_count_label, "1+")

    def test_rules_that_hold_everywhere(self):
        Finding = self.env["crm.guardian.finding"]
        Lead = self.env["crm.lead"]
        all_ids = self.env["res.company"].sudo().with_context(active_test=False).search([]).ids
        holds = Finding._rule_holds_everywhere
        self.assertTrue(holds(Lead, [(1, "=", 1)], {}))
        self.assertFalse(holds(Lead, ["!", (1, "=", 1)], {}))
        self.assertTrue(holds(Lead, [("company_id", "in", [*all_ids, False])], {}))
        # nullable column: NULL companies fail "in company_ids" while a record has one
        self.assertFalse(self.create_lead(name="CG no company", company_id=False).company_id)
        self.assertFalse(holds(Lead, [("company_id", "in", all_ids)], {}))
        self.assertTrue(
            holds(Lead, ["|", ("company_id", "in", all_ids), ("company_id", "=", False)], {})
        )
        # ... and hold when no record has an empty company (asked of the table)
        Lead.with_context(active_test=False).search([("company_id", "=", False)]).write(
            {"company_id": self.company.id}
        )
        self.assertTrue(holds(Lead, [("company_id", "in", all_ids)], {}))
        self.assertFalse(holds(Lead, [("company_id", "in", all_ids[:-1])], {}))
        if len(all_ids) > 1:  # not every company
            self.assertFalse(holds(Lead, [("company_id", "in", [*all_ids[:-1], False])], {}))
        self.assertFalse(
            holds(Lead, ["&", ("company_id", "in", [*all_ids, False]), ("user_id", "=", 1)], {})
        )
        self.assertTrue(
            holds(Lead, ["|", ("company_id", "in", [*all_ids, False]), ("user_id", "=", 1)], {})
        )

    def test_multi_company_rule_not_skipped(self):
        """The lead's own company rule still filters when not every company is
        selected (the finding itself has no company: only the lead's rule decides)."""
        company_b = self.env["res.company"].create({"name": "CG Dash Company B"})
        lead_b = self.create_lead(
            name="CG dash lead B", phone=False, company_id=company_b.id, user_id=False
        )
        self.scan(["lead_incomplete"], now=self.now + timedelta(days=2))
        finding_b = self.open_finding("lead_incomplete", lead_b)
        self.assertTrue(finding_b)
        finding_b.sudo().write({"company_id": False})
        manager_b = new_test_user(
            self.env,
            login="cg_dash_manager_b",
            groups=f"sales_team.group_sale_manager,{GUARDIAN_VIEW}",
            company_id=self.company.id,
            company_ids=[(6, 0, [self.company.id, company_b.id])],
        )
        Finding = self.env["crm.guardian.finding"].with_user(manager_b)
        only_a = Finding.with_context(allowed_company_ids=[self.company.id])
        self.assertFalse(only_a.search([("id", "=", finding_b.id)]))
        self.assertFalse(
            only_a.search_count([("id", "=", finding_b.id), ("res_model", "=", "crm.lead")])
        )
        both = Finding.with_context(allowed_company_ids=[self.company.id, company_b.id])
        self.assertEqual(both.search([("id", "=", finding_b.id)]), finding_b.with_user(manager_b))
        card = (
            self.env["crm.guardian.section"]
            .with_user(manager_b)
            .search([("code", "=", "incomplete")])
        )
        with_b = card.with_context(allowed_company_ids=[self.company.id, company_b.id]).open_count
        card.invalidate_recordset(["open_count"])  # computed per user and companies
        without_b = card.with_context(allowed_company_ids=[self.company.id]).open_count
        self.assertEqual(with_b, without_b + 1)
