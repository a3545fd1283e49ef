import itertools
import random

import numpy as np

from odoo.tests import BaseCase, tagged

from odoo.addons.crm_guardian.tools import duplicate_matcher as matcher

NAMES = [
    "John Smith",
    "Smith John",  # swapped
    "J Smith",  # an initial
    "John J",
    "John John",  # tied token pairs
    "Jon Smyth",
    "Mary Ann Smith",  # three tokens
    "Maryann Smith",
    "Smith",
    "S",
    "",  # no name
    "Anne-Marie de la Tour",
]
STREETS = ["12 Baker Street", "12 Baker St", "21 Baker Street", "40 Queen Road", "Baker Street", ""]


@tagged("post_install", "-at_install")
class TestCrmGuardianMatcherBatch(BaseCase):
    """``score_pairs`` and ``score_stored`` keep exactly the pairs ``compare`` keeps,
    with its scores and similarities."""

    def expected(self, pairs, prepared, fields, threshold):
        kept = []
        for a, b in pairs:
            score, sims = matcher.compare(prepared[a], prepared[b], fields, threshold)
            if score >= threshold:
                kept.append((a, b, score, sims))
        return kept

    def assertSameAsCompare(self, records, pairs, fields=matcher.FIELDS, thresholds=None):
        prepared = {r["id"]: matcher.prepare(r) for r in records}
        stored = {i: matcher.dumps(dict(record)) for i, record in prepared.items()}
        loaded = {i: matcher.loads(i, text) for i, text in stored.items()}
        for threshold in thresholds or (0.0, 0.5, 0.65, 0.8, 1.0):
            with self.subTest(threshold=threshold, fields=fields):
                expected = self.expected(pairs, prepared, fields, threshold)
                self.assertEqual(matcher.score_pairs(pairs, prepared, fields, threshold), expected)
                self.assertEqual(
                    matcher.score_stored(pairs, stored, fields, threshold),
                    self.expected(pairs, loaded, fields, threshold),
                )

    def record(self, record_id, name, **values):
        return {"id": record_id, "name": name, "country_id": 13, **values}

    def test_names(self):
        records = [
            self.record(i, name, street="12 Baker Street", zip="3000", city="Melbourne")
            for i, name in enumerate(NAMES, start=1)
        ]
        pairs = list(itertools.combinations(range(1, len(records) + 1), 2))
        self.assertSameAsCompare(records, pairs)
        # a record with itself (every token pair ties)
        self.assertSameAsCompare(records, [(i, i) for i in range(1, len(records) + 1)])

    def test_contact_country_and_other_fields(self):
        records = [
            self.record(1, "John Smith", email="js@example.com", phone="+61 3 9999 0000"),
            self.record(2, "Wilma Quenby", email="js@example.com"),  # same email
            self.record(3, "Bob Stone", phone="03 9999 0000"),  # same phone
            self.record(4, "John Smith", country_id=14),  # another country
            self.record(5, "John Smith", country_id=False),
            self.record(6, "", email="js@example.com"),  # no name
            self.record(7, "Jon Smith", company="Acme Pty Ltd", street2="Unit 4", zip="3000"),
            self.record(8, "John Smith", company="Acme Widgets", street2="Unit 5", zip="3001"),
            self.record(9, "John Smith", company="Acme", street2="", zip="0300"),
        ]
        pairs = list(itertools.combinations(range(1, 10), 2))
        for fields in (
            matcher.FIELDS,
            ("name",),
            ("name", "email", "phone"),
            ("name", "company", "street2", "zip"),
        ):
            self.assertSameAsCompare(records, pairs, fields)

    def test_drawn_records(self):
        rnd = random.Random(5)
        records = [
            self.record(
                i,
                rnd.choice(NAMES),
                street=rnd.choice(STREETS),
                street2=rnd.choice(["", "", "Unit 4", "Baker Street"]),
                zip=rnd.choice(["", "3000", "3001", "0300", "3010", "30000"]),
                city=rnd.choice(["", "Melbourne", "Melbourn", "St. James"]),
                country_id=rnd.choice([False, 13, 13, 14]),
                email=rnd.choice(["", "a@example.com", "b@example.com"]),
                phone=rnd.choice(["", "03 9999 0000", "03 9999 0001"]),
                company=rnd.choice([None, "Acme Pty Ltd", "Acme Widgets", "Widgets Acme Holdings"]),
            )
            for i in range(1, 61)
        ]
        pairs = list(itertools.combinations(range(1, 61), 2))
        self.assertSameAsCompare(records, pairs, thresholds=(0.0, 0.3, 0.65, 0.75, 0.9))

    def test_stored_fingerprint(self):
        record = matcher.prepare(self.record(1, "John Smith", email="js@example.com"))
        self.assertEqual(
            matcher.stored_fingerprint(matcher.dumps(dict(record))), matcher.fingerprint(record)
        )

    def test_no_pairs(self):
        self.assertEqual(matcher.score_pairs([], {}), [])
        self.assertEqual(matcher.score_stored([], {}), [])
        self.assertEqual(matcher.score_stored(np.empty((0, 2), np.int64), {}), [])

    def test_pairs_as_array(self):
        """Pairs given as an array of two columns score as the same pairs as tuples."""
        records = [
            self.record(i, name, street="12 Baker Street") for i, name in enumerate(NAMES, 1)
        ]
        prepared = {r["id"]: matcher.prepare(r) for r in records}
        pairs = list(itertools.combinations(sorted(prepared), 2))
        self.assertEqual(
            matcher.score_pairs(np.array(pairs), prepared, threshold=0.5),
            matcher.score_pairs(pairs, prepared, threshold=0.5),
        )

    def test_block_keys(self):
        """A record's keys: each name token's prefix with the zip and with the city
        (the shorter tokens' with the longest's initial too: a given name by city
        blocks namesakes), the name's two prefixes, the street's word with its number
        and the zip's first digits, email, phone."""
        record = matcher.prepare(
            {
                "id": 1,
                "name": "John Smithson",
                "street": "12 Baker St",
                "zip": "2000",
                "city": "Sydney",
                "email": "JS@Example.com",
                "phone": "+61 2 9999 1234",
            }
        )
        self.assertEqual(
            matcher.block_keys(record),
            {
                "njoh|2000",
                "nsmi|2000",
                "csmit|syd",
                "cjohn|syd|s",
                "pjohn|smit",
                "sbaker|12|20",
                "ejs@example.com",
                "t299991234",
            },
        )
        # a namesake of the given name in the same city, elsewhere: no key in common
        namesake = matcher.prepare(
            {
                "id": 2,
                "name": "John Nguyen",
                "street": "7 Queen St",
                "zip": "2010",
                "city": "Sydney",
            }
        )
        self.assertFalse(matcher.block_keys(record) & matcher.block_keys(namesake))

    def test_block_pairs(self):
        """``block_pairs`` gives the pairs of the blocks of 2 to ``cap`` records, each
        once, lower id first, whatever the order of the rows."""
        rnd = random.Random(7)
        # blocks of every size around the cap, and records in several blocks
        rows = [(key, record) for key in range(40) for record in rnd.sample(range(1, 90), key % 9)]
        rnd.shuffle(rows)
        blocks = {}
        for key, record in rows:
            blocks.setdefault(key, set()).add(record)
        expected = {
            pair
            for members in blocks.values()
            if 2 <= len(members) <= 6
            for pair in itertools.combinations(sorted(members), 2)
        }
        keys = np.array([key * 7919 - 10**12 for key, _record in rows], dtype=np.int64)
        ids = np.array([record for _key, record in rows], dtype=np.int32)
        lower, higher = matcher.block_pairs(keys, ids, cap=6)
        pairs = list(zip(lower.tolist(), higher.tolist(), strict=True))
        self.assertEqual(len(pairs), len(set(pairs)))
        self.assertEqual(set(pairs), expected)
        empty = matcher.block_pairs(np.empty(0, np.int64), np.empty(0, np.int32))
        self.assertEqual([len(column) for column in empty], [0, 0])
