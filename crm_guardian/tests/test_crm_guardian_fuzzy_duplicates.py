from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from odoo.addons.crm_guardian.models.crm_guardian_scan import FULL_PASS_EVERY
from odoo.addons.crm_guardian.tools import duplicate_matcher as matcher

from .common import CrmGuardianCommon

COMPANY = "company_duplicate_fuzzy"
CONTACT = "contact_duplicate_fuzzy"
LEAD = "lead_duplicate_fuzzy"


@tagged("post_install", "-at_install")
class TestCrmGuardianFuzzyDuplicates(CrmGuardianCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.au = cls.env.ref("base.au")
        cls.Partner = cls.env["res.partner"]

    def firm(self, name, street, zip_, city, **vals):
        return self.person(name, street, zip_, city, is_company=True, **vals)

    def group_of(self, check, record):
        """The open fuzzy group ``record`` is a member of (sudo: what the scan wrote)."""
        findings = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search([("check", "=", check), ("state", "=", "open")])
        )
        return findings.filtered(lambda f: record.id in f._member_ids())

    def test_people_typos_transpositions_swaps_accents(self):
        pairs = [
            ("Jonathan Harrington", "Jonathon Harington"),  # typos
            ("Kayla Stewart", "Kalya Stewart"),  # transposed letters
            ("Brennan Oakleigh", "Oakleigh Brennan"),  # given name and surname swapped
            ("Zoé Lefèvre-Müller", "Zoe Lefevre Mueller"),  # accents, hyphen
        ]
        created = []
        for number, (left, right) in enumerate(pairs, start=10):
            street = f"{number} Tullaroop Street"
            first = self.person(left, street, "4011", "St James")
            second = self.person(right, street.replace("Street", "St"), "4011", "St. James")
            created.append((first, second))
        # namesakes at different addresses are not duplicates
        smith = self.person("Wilbur Quenby", "1 High Street", "2000", "Sydney")
        namesake = self.person("Wilbur Quenby", "77 Ocean Road", "4870", "Cairns")
        self.scan([CONTACT])
        for first, second in created:
            group = self.group_of(CONTACT, first)
            self.assertEqual(len(group), 1, first.name)
            self.assertEqual(set(group._member_ids()), {first.id, second.id}, first.name)
        self.assertFalse(self.group_of(CONTACT, smith) & self.group_of(CONTACT, namesake))
        self.assertFalse(self.group_of(CONTACT, smith))

    def test_company_legal_form_and_abbreviation_explained(self):
        acme = self.firm("Tallowood Widgets Pty Ltd", "12 Baker Street", "3000", "Melbourne")
        acme2 = self.firm(
            "TALLOWOOD WIDGETS Proprietary Limited", "12 Baker St", "3000", "Melbourne"
        )
        other = self.firm("Tallowood Gadgets Pty Ltd", "40 Queen Road", "6000", "Perth")
        self.scan([COMPANY])
        group = self.group_of(COMPANY, acme)
        self.assertEqual(group.partner_ids, acme | acme2)
        self.assertNotIn(other, group.partner_ids)
        # a salesperson reads why, rendered from the stored facts at read time
        finding = group.with_user(self.salesman)
        pair = finding.duplicate_pair_ids
        self.assertEqual(len(pair), 1)
        self.assertEqual(pair.facts["sims"]["name"], 1.0)
        self.assertIn("Agreeing: name, street, zip, city", pair.explanation)
        self.assertIn("(threshold 65%)", pair.explanation)
        self.assertEqual({pair.record_a_name, pair.record_b_name}, {acme.name, acme2.name})
        self.assertIn("match threshold 65%", finding.reason)
        # Open Merge Tool as the exact checks
        action = group.with_user(self.manager).action_merge()
        self.assertEqual(set(action["context"]["active_ids"]), {acme.id, acme2.id})

    def test_leads_by_contact_and_company(self):
        lead = self.create_lead(
            contact_name="Madeleine Oyelaran",
            partner_name="Oyelaran Imports",
            street="5 Wattle Grove",
            zip="2600",
            city="Canberra",
            email_from=False,
            phone=False,
        )
        twin = self.create_lead(
            contact_name="Madeline Oyelaran",
            partner_name="Oyelaran Imports Pty Ltd",
            street="5 Wattle Gr",
            zip="2600",
            city="Canberra",
            email_from=False,
            phone=False,
        )
        self.scan([LEAD])
        self.assertEqual(self.group_of(LEAD, lead).lead_ids, lead | twin)

    def test_lead_namesakes_in_one_zip(self):
        # same given name, another surname, another street of the same zip and suburb: two
        # people (the streets share only their type, which counts nothing); the same
        # person typed twice (a letter changed, the street abbreviated) is one
        address = {"zip": "4011", "city": "St James", "email_from": False, "phone": False}
        address["partner_name"] = False
        lead = self.create_lead(
            contact_name="Wilbur Quenby", street="14 Tullaroop Street", **address
        )
        namesake = self.create_lead(
            contact_name="Wilbur Hazeldine", street="27 Pemberton Street", **address
        )
        twin = self.create_lead(contact_name="Wilbur Quenbey", street="14 Tullaroop St", **address)
        self.scan([LEAD])
        group = self.group_of(LEAD, lead)
        self.assertEqual(group.lead_ids, lead | twin)
        self.assertFalse(self.group_of(LEAD, namesake))
        # the salesperson reads the pair's facts: the streets agree fully
        pair = group.with_user(self.salesman).duplicate_pair_ids
        self.assertEqual(pair.facts["sims"]["street"], 1.0)
        # the stored blocking keys carry the check's tag (the key alone is indexed), as
        # their rows do (not the check's code: a third of a row)
        self.env.cr.execute(
            'SELECT DISTINCT "check", left(key, 1) FROM crm_guardian_duplicate_block '
            "WHERE res_id = ANY(%s)",
            [[lead.id, namesake.id, twin.id]],
        )
        tags = self.env.cr.fetchall()
        self.assertIn(("L", "L"), tags)
        self.assertTrue(all(check == tag for check, tag in tags), tags)
        self.env.cr.execute(
            'SELECT DISTINCT "check" FROM crm_guardian_duplicate_record WHERE res_id = %s',
            [lead.id],
        )
        self.assertIn(("L",), self.env.cr.fetchall())

    def test_chaining_guard(self):
        # a chain a-b-c-d (each link a match, no member matching all): cut, never one group
        pairs = {(1, 2): 0.9, (2, 3): 0.8, (3, 4): 0.95}
        groups, kept = matcher.group_pairs(pairs)
        self.assertEqual(sorted(groups), [[1, 2], [3, 4]])
        self.assertNotIn((2, 3), kept)
        # a star (one record matching three variants) stays one group
        groups, _kept = matcher.group_pairs({(1, 2): 0.9, (1, 3): 0.8, (1, 4): 0.7})
        self.assertEqual(groups, [[1, 2, 3, 4]])
        # the group size cap
        star = {(1, n): 0.9 for n in range(2, 8)}
        groups, _kept = matcher.group_pairs(star, max_size=4)
        self.assertTrue(all(len(group) <= 4 for group in groups))

    def test_not_duplicates_memory_and_reset(self):
        first = self.person("Ravindra Kulasekara", "8 Giblin Street", "4814", "Bittern")
        second = self.person("Ravindra Kulasekera", "8 Giblin St", "4814", "Bittern")
        self.scan([CONTACT])
        group = self.group_of(CONTACT, first)
        self.assertTrue(group)
        # a salesperson may mark only records they may edit
        other = self.env["res.users"].search([("login", "=", "cg_salesman_other")])
        self.assertTrue(other)
        group.with_user(self.salesman).action_mark_not_duplicates()
        self.assertEqual(group.state, "resolved")
        self.scan([CONTACT], now=self.now)
        self.assertFalse(self.group_of(CONTACT, first), "never comes back unchanged")
        # a compared field changes: the pair is compared again
        second.street = "8 Giblin Street, Unit 2"
        self.scan([CONTACT])
        self.assertEqual(set(self.group_of(CONTACT, first)._member_ids()), {first.id, second.id})

    def test_not_duplicates_needs_edit_rights(self):
        own = self.create_lead(
            contact_name="Ottoline Vasquez-Brand",
            street="3 Ramsay Place",
            zip="2260",
            city="Mirani",
            email_from=False,
            phone=False,
            user_id=self.salesman_other.id,
        )
        self.create_lead(
            contact_name="Ottoline Vasquez Brand",
            street="3 Ramsay Pl",
            zip="2260",
            city="Mirani",
            email_from=False,
            phone=False,
            user_id=self.salesman_other.id,
        )
        self.scan([LEAD])
        group = self.group_of(LEAD, own)
        self.assertTrue(group)
        self.salesman.groups_id -= self.env.ref("sales_team.group_sale_salesman_all_leads")
        # the salesperson limited to own leads may read no member: not the group either,
        # nor mark it; nor its pairs
        with self.assertRaises(AccessError):
            group.with_user(self.salesman).action_mark_not_duplicates()
        pairs = group.duplicate_pair_ids
        self.assertTrue(pairs)
        with self.assertRaises(AccessError):
            pairs.with_user(self.salesman).action_mark_not_duplicate()
        # the other salesperson owns both: may mark them
        group.with_user(self.salesman_other).action_mark_not_duplicates()
        self.assertEqual(group.state, "resolved")

    def test_incremental_rescan_compares_changed_records(self):
        first = self.person("Eulalie Brightwater", "21 Cobby Street", "3736", "Potts Point")
        self.scan([CONTACT])
        self.assertFalse(self.group_of(CONTACT, first))
        line_count = self.env["crm.guardian.scan.run.line"].sudo().search_count([])
        second = self.person("Eulalie Brightwatter", "21 Cobby St", "3736", "Potts Point")
        third = self.person("Eulalie Brightwater", "21 Cobby Street", "3736", "Potts Pt")
        # one changed record per unit: the pair of two changed records is found all the same
        self.env["crm.guardian.scan"].with_user(self.manager).with_context(
            guardian_scan_chunk=1
        )._scan(checks=[CONTACT], now=self.now)
        line = (
            self.env["crm.guardian.scan.run.line"]
            .sudo()
            .search([("check", "=", CONTACT)], order="id desc", limit=1)
        )
        self.assertGreater(
            self.env["crm.guardian.scan.run.line"].sudo().search_count([]), line_count
        )
        self.assertEqual(line.mode, "incremental")
        self.assertGreater(line.units, 1)
        self.assertEqual(
            set(self.group_of(CONTACT, first)._member_ids()), {first.id, second.id, third.id}
        )
        # the new records archived: the group is resolved by the next same-day rescan
        (second | third).active = False
        self.scan([CONTACT])
        self.assertFalse(self.group_of(CONTACT, first))

    def test_next_night_compares_changed_records(self):
        """Duplicates do not change with the day: the next night compares the records
        changed since the last pass; a full pass comes back after FULL_PASS_EVERY."""
        first = self.person("Leopold Quintrell", "8 Wattle Grove", "2615", "Kippax")
        self.scan([CONTACT])
        second = self.person("Leopold Quintrel", "8 Wattle Gr", "2615", "Kippax")
        Line = self.env["crm.guardian.scan.run.line"].sudo()

        def last_line():
            return Line.search([("check", "=", CONTACT)], order="id desc", limit=1)

        self.scan([CONTACT], now=self.now + timedelta(days=1))
        self.assertEqual(last_line().mode, "incremental")
        self.assertEqual(set(self.group_of(CONTACT, first)._member_ids()), {first.id, second.id})
        self.scan([CONTACT])  # today again: the scan state of today
        self.scan([CONTACT], now=self.now + FULL_PASS_EVERY + timedelta(days=1))
        self.assertEqual(last_line().mode, "full", "the weekly full pass")

    def test_scheduled_scan_in_units(self):
        first = self.firm("Quorrobolong Mining NL", "2 Pit Road", "2325", "Cessnock")
        second = self.firm("Quorrobolong Minning", "2 Pit Rd", "2325", "Cessnock")
        self.forget_scans()  # a first scan: full
        self.cron_scan_calls(chunk=5, max_units=3)
        self.env.invalidate_all()
        line = (
            self.env["crm.guardian.scan.run.line"]
            .sudo()
            .search([("check", "=", COMPANY)], order="id desc", limit=1)
        )
        self.assertGreater(line.units, 1, "a full pass is several units")
        self.assertEqual(set(self.group_of(COMPANY, first)._member_ids()), {first.id, second.id})

    def groups(self, check):
        findings = (
            self.env["crm.guardian.finding"]
            .sudo()
            .search([("check", "=", check), ("state", "=", "open")])
        )
        return {frozenset(finding._member_ids()) for finding in findings}

    def last_line(self, check):
        return (
            self.env["crm.guardian.scan.run.line"]
            .sudo()
            .search([("check", "=", check)], order="id desc", limit=1)
        )

    def test_full_pass_in_phases_equals_one_unit_each(self):
        """A full pass in small units (keys and pairs by ranges of two records, the
        blocks in parts of three keys) finds the groups of a pass in one unit each."""
        people = self.duplicate_people()
        self.scan([CONTACT])
        expected = self.groups(CONTACT)
        mine = {frozenset(p.id for p in group) for group in (people[:3], people[3:5], people[5:7])}
        self.assertLessEqual(mine, expected)
        self.forget_scans()
        self.env["crm.guardian.scan"].with_user(self.manager).with_context(
            guardian_scan_chunk=2, guardian_keys_per_part=3
        )._scan(checks=[CONTACT], now=self.now)
        line = self.last_line(CONTACT)
        self.assertEqual((line.mode, line.fuzzy_phase), ("full", "pairs"))
        self.assertGreater(line.fuzzy_parts, 3, "the keys grouped in several parts")
        self.assertGreater(line.units, 2 * len(people) // 2)
        self.assertEqual(self.groups(CONTACT), expected)
        # the pass rebuilt the check's indexes: the next rescan can look blocks up
        self.assertTrue(self.env["crm.guardian.duplicate.block"]._check_indexed(CONTACT))

    def run_until_phase(self, check, phase, now):
        """A run of ``check`` done unit by unit until its line reaches ``phase``."""
        Scan = self.env["crm.guardian.scan"].sudo().with_context(guardian_scan_chunk=2)
        self.env.flush_all()  # the last run's end, before the new one is inserted
        run = Scan._create_run([check], now, "direct")
        while run.line_ids.fuzzy_phase != phase:
            self.assertEqual(Scan._scan_unit(run), "unit")
        return run

    def test_unfinished_full_pass_is_followed_by_a_full_pass(self):
        """A full pass stopped after its keys (its run interrupted) leaves keys without
        their index and no scan state: the next night is a full pass, not a rescan of
        the changed records against incomplete blocks."""
        people = self.duplicate_people()
        self.scan([CONTACT])
        rules = self.env["crm.guardian.rule"].sudo().search([("check", "=", CONTACT)])
        self.assertTrue(rules[0].last_scan_date)
        weekly = self.now + FULL_PASS_EVERY + timedelta(days=1)
        run = self.run_until_phase(CONTACT, "blocks", weekly)
        run.state = "interrupted"
        self.assertFalse(self.env["crm.guardian.duplicate.block"]._check_indexed(CONTACT))
        self.assertFalse(rules[0].last_scan_date)
        self.scan([CONTACT], now=weekly + timedelta(days=1))
        self.assertEqual(self.last_line(CONTACT).mode, "full")
        self.assertIn(frozenset(p.id for p in people[3:5]), self.groups(CONTACT))

    def test_full_pass_starts_again_when_its_keys_are_lost(self):
        """A server crash empties the unlogged keys and candidates: a pass that lost
        them after its keys phase starts again rather than finishing without pairs."""
        people = self.duplicate_people()
        self.forget_scans()
        run = self.run_until_phase(CONTACT, "pairs", self.now)
        self.env.cr.execute(
            "TRUNCATE crm_guardian_duplicate_block, crm_guardian_duplicate_candidate"
        )
        Scan = self.env["crm.guardian.scan"].sudo()
        while Scan._scan_unit(run) == "unit":
            pass
        self.assertEqual(run.state, "done")
        mine = {frozenset(p.id for p in group) for group in (people[:3], people[3:5], people[5:7])}
        self.assertLessEqual(mine, self.groups(CONTACT))

    def test_keys_phase_starts_again_after_a_crash(self):
        """A crash during the keys phase empties the unlogged caches: the pass, resumed
        by the restarted server, starts again rather than going on without the keys of
        the ranges it had done."""
        people = self.duplicate_people()
        self.forget_scans()
        run = self.run_until_phase(CONTACT, "keys", self.now)
        Scan = self.env["crm.guardian.scan"].sudo().with_context(guardian_scan_chunk=2)
        line = run.line_ids
        while line.cursor_id < people[4].id:
            self.assertEqual(Scan._scan_unit(run), "unit")
        self.assertEqual(line.fuzzy_phase, "keys")
        # the crash: caches emptied, the line last written before the server started
        self.env.flush_all()
        self.env.cr.execute(
            "TRUNCATE crm_guardian_duplicate_block, crm_guardian_duplicate_record, "
            "crm_guardian_duplicate_candidate"
        )
        self.env.cr.execute(
            "UPDATE crm_guardian_scan_run_line SET write_date = '2000-01-01' WHERE id = %s",
            [line.id],
        )
        line.invalidate_recordset()
        while Scan._scan_unit(run) == "unit":
            pass
        self.assertEqual(run.state, "done")
        mine = {frozenset(p.id for p in group) for group in (people[:3], people[3:5], people[5:7])}
        self.assertLessEqual(mine, self.groups(CONTACT))

    def test_stored_values_score_as_the_record(self):
        """What a full pass stores between keying a record and scoring its pairs gives
        the prepared record back (accents, legal forms, a tab in an email, no name)."""
        records = [
            {
                "id": 1,
                "name": "Zoë Müller-Lüdenscheidt",
                "company": "Acme Pty Ltd",
                "street": "12 Baker St",
                "street2": "Unit 4",
                "zip": "2000",
                "city": "Sydney",
                "country_id": self.au.id,
                "email": "zoe\tm@example.com",
                "phone": "+61 2 9999 1234",
            },
            {"id": 2, "name": "", "street": "", "zip": "", "city": ""},
        ]
        for record in records:
            prepared = matcher.prepare(record, company=record["id"] == 1)
            self.assertEqual(matcher.loads(record["id"], matcher.dumps(prepared)), prepared)
            self.assertEqual(
                matcher.stored_fingerprint(matcher.dumps(prepared)), matcher.fingerprint(prepared)
            )
            # the scan's keys phase: the values as a tuple, no prepared dict
            get = record.get
            values = matcher.normalise(
                *(get(key) for key in ("name", "company", "street", "street2", "zip", "city")),
                *(get(key) for key in ("country_id", "email", "phone")),
                record["id"] == 1,
            )
            self.assertEqual(matcher.stored_line(values), matcher.dumps(prepared))
            self.assertEqual(
                matcher.stored_keys(values, "T"),
                {f"T{key}" for key in matcher.block_keys(prepared)},
            )
        # and through the database: a pair scored from stored values as from the records
        first = self.person("Zoë Müller", "12 Baker Street", "2000", "Sydney")
        second = self.person("Zoe Mueller", "12 Baker St", "2000", "Sydney")
        self.scan([CONTACT])
        Scan = self.env["crm.guardian.scan"].sudo()
        fresh = Scan._fuzzy_normalise(CONTACT, [("id", "in", (first | second).ids)])
        fresh = {record_id: text for record_id, _keys, text in fresh}
        self.assertEqual(Scan._fuzzy_texts(CONTACT, {first.id, second.id}), fresh)

    def test_full_pass_of_no_record_finishes(self):
        """A check whose rule matches no record has no key to lose: its full pass
        ends (a fresh database without contacts)."""
        rule = self.env["crm.guardian.rule"].sudo().search([("check", "=", CONTACT)], limit=1)
        rule.domain = "[('id', '=', -1)]"
        self.forget_scans()
        Scan = self.env["crm.guardian.scan"].sudo()
        run = Scan._create_run([CONTACT], self.now, "direct")
        for _unit in range(20):
            if Scan._scan_unit(run) != "unit":
                break
        self.assertEqual(run.state, "done")
        self.assertEqual(run.line_ids.fuzzy_parts, 0)
        self.assertFalse(self.groups(CONTACT))

    def families(self):
        """Five people typed five times each (the rule caps groups at three members:
        the chaining guard cuts each of them)."""
        people = [
            ("Eulalie", "Brightwater", "21 Cobby Street", "3736", "Potts Point"),
            ("Leopold", "Quintrell", "8 Wattle Grove", "2615", "Kippax"),
            ("Ravindra", "Kulasekara", "8 Giblin Street", "4814", "Bittern"),
            ("Madeleine", "Oyelaran", "5 Wattle Grove", "2600", "Canberra"),
            ("Ottoline", "Vasquez", "3 Ramsay Place", "2260", "Mirani"),
        ]
        families = []
        for given, surname, street, zip_, city in people:
            names = [
                f"{given} {surname}",
                f"{given} {surname}e",
                f"{given[:-1]} {surname}",
                f"{surname} {given}",
                f"{given[0]} {surname}",
            ]
            streets = [street, street.replace("Street", "St"), street, street, street]
            families.append(
                [
                    self.person(name, line, zip_, city)
                    for name, line in zip(names, streets, strict=True)
                ]
            )
        rule = self.env["crm.guardian.rule"].sudo().search([("check", "=", CONTACT)], limit=1)
        rule.threshold = 3
        return families

    def make_old(self):
        """Every contact as last written days before the scan (not changed since)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s", [self.now - timedelta(days=3)]
        )
        self.Partner.invalidate_model(["write_date"])

    def pairs_and_groups(self, check):
        """The stored pairs with their group key, and the open groups."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT res_id, res_id_b, group_key FROM crm_guardian_duplicate_pair "
            'WHERE "check" = %s',
            [check],
        )
        return set(self.env.cr.fetchall()), self.groups(check)

    def test_rescan_regroups_as_a_full_pass(self):
        """A rescan regroups only the components of the pairs it touched (a record
        moved to another family, one archived, one deleted, one added): its pairs and
        groups are those of a full pass over the same records."""
        families = self.families()
        self.scan([CONTACT])
        pairs, groups = self.pairs_and_groups(CONTACT)
        self.assertTrue(all(len(group) <= 3 for group in groups))
        self.assertTrue(any(key is None for _a, _b, key in pairs), "the guard cut pairs")
        by_key = {f"{CONTACT}:{min(group)}": group for group in groups}
        for a, b, key in pairs:
            # a pair shown with a group (Why They Match) is one of its members' pairs
            self.assertTrue(key is None or {a, b} <= by_key[key], (a, b, key))
        self.make_old()
        moved, archived, deleted = families[0][1], families[2][2], families[3][3]
        moved.write({"name": "Leopold Quintrel", "street": "8 Wattle Grove", "zip": "2615"})
        moved.city = "Kippax"
        archived.active = False
        deleted.unlink()
        added = self.person("Ottoline Vasques", "3 Ramsay Pl", "2260", "Mirani")
        self.scan([CONTACT])
        self.assertEqual(self.last_line(CONTACT).mode, "incremental")
        rescanned = self.pairs_and_groups(CONTACT)
        compared = {i for a, b, _key in rescanned[0] for i in (a, b)}
        self.assertLessEqual({moved.id, added.id}, compared, "matched in their new family")
        self.assertFalse({archived.id, deleted.id} & set().union(*rescanned[1]))
        self.env.cr.execute(
            'UPDATE crm_guardian_rule SET last_scan_date = NULL WHERE "check" = %s', [CONTACT]
        )
        self.env["crm.guardian.rule"].invalidate_model(["last_scan_date"])
        self.scan([CONTACT])
        self.assertEqual(self.last_line(CONTACT).mode, "full")
        self.assertEqual(rescanned, self.pairs_and_groups(CONTACT))

    def test_rescan_regroup_scope_is_the_touched_components(self):
        """The groups a rescan rewrites are those of the components holding a changed
        record, a former match of one (flagged when its pair was removed) or a deleted
        record; the other families are left as they are."""
        families = self.families()
        self.scan([CONTACT])
        self.make_old()
        Scan = self.env["crm.guardian.scan"].sudo()
        since = self.env.cr.now()
        self.assertEqual(Scan._fuzzy_regroup_scope(CONTACT, since, self.today), (set(), set()))
        changed, deleted = families[0][0], families[1][0]
        changed.name = "Someone Else Entirely"
        Scan._fuzzy_forget_pairs(CONTACT, changed.ids)
        deleted.unlink()
        nodes, finding_ids = Scan._fuzzy_regroup_scope(CONTACT, since, self.today)
        self.assertEqual(nodes, {p.id for p in families[0] + families[1]})
        self.assertLessEqual(nodes, finding_ids)
        self.assertFalse(finding_ids & {p.id for family in families[2:] for p in family})

    def test_dismissed_groups_reopen_on_their_day(self):
        """The nights between two full passes rescan the changed records only; a
        duplicate group dismissed until a day (fuzzy or exact) re-opens on that day
        all the same."""
        first = self.firm("Quorrobolong Mining Pty Ltd", "2 Pit Road", "2325", "Cessnock")
        self.firm("Quorrobolong Minning", "2 Pit Rd", "2325", "Cessnock")
        self.firm("QUORROBOLONG MINING", "9 Other Road", "4000", "Brisbane")
        checks = [COMPANY, "company_duplicate_name"]
        self.scan(checks)
        groups = self.group_of(COMPANY, first) | self.group_of("company_duplicate_name", first)
        self.assertEqual(len(groups), 2)
        action = groups.with_user(self.manager).action_dismiss()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        )
        wizard.note = "Merging them after the audit"
        wizard.until = self.today + timedelta(days=3)
        wizard.save().action_dismiss()
        self.assertEqual(set(groups.mapped("state")), {"dismissed"})
        self.make_old()
        self.scan(checks, now=self.now + timedelta(days=2))
        self.assertEqual(self.last_line(COMPANY).mode, "incremental")
        self.assertEqual(set(groups.mapped("state")), {"dismissed"})
        self.scan(checks)  # today again: a scan of another day stores no scan state
        self.scan(checks, now=self.now + timedelta(days=3))
        self.assertEqual(self.last_line(COMPANY).mode, "incremental")
        self.assertEqual(self.last_line("company_duplicate_name").mode, "incremental")
        self.assertEqual(set(groups.mapped("state")), {"open"})
