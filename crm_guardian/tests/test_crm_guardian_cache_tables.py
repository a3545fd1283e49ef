import gc

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL, sql

from odoo.addons.crm_guardian.tools import copy_io

from .common import CrmGuardianCommon

CONTACT = "contact_duplicate_fuzzy"
CANDIDATE_INDEX = "crm_guardian_duplicate_candidate__res_id_b_index"
CACHES = (
    "crm.guardian.duplicate.block",
    "crm.guardian.duplicate.record",
    "crm.guardian.duplicate.candidate",
)


@tagged("post_install", "-at_install")
class TestCrmGuardianCacheTables(CrmGuardianCommon):
    """The fuzzy checks' caches are unlogged tables without ``id`` (models with
    ``_auto = False``; the keys and the compared values in a child table per check), and
    the tables of earlier versions are brought to that form by the models' ``init()``:
    the candidates' (one table) keep their rows; the keys and compared values of a
    version before 18.0.1.7.0 (held by the table itself) are deleted, and a pass in
    progress starts again."""

    def groups(self):
        """The open contact groups, as the Guardian manager reads them."""
        self.env.flush_all()
        self.env.invalidate_all()
        findings = (
            self.env["crm.guardian.finding"]
            .with_user(self.manager)
            .search([("check", "=", CONTACT), ("state", "=", "open")])
        )
        return {frozenset(finding._member_ids()) for finding in findings}

    def start_run(self):
        """A run of the contact check, driven unit by unit as the cron does (superuser),
        in units of two records, the keys grouped in parts of three."""
        Scan = self.env["crm.guardian.scan"].with_context(
            guardian_scan_chunk=2, guardian_keys_per_part=3
        )
        self.env.flush_all()
        return Scan, Scan._create_run([CONTACT], self.now, "direct")

    def finish(self, Scan, run):
        for _unit in range(500):
            if Scan._scan_unit(run) != "unit":
                break
        self.assertEqual(run.state, "done")
        return run.line_ids

    def columns(self, table):
        self.env.cr.execute(
            """SELECT attname, attnotnull FROM pg_attribute
                WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped""",
            [table],
        )
        return dict(self.env.cr.fetchall())

    def make_plain(self, table):
        """``table`` as a version before 18.0.1.7.0 left it: its rows in the table
        itself, no child table per check."""
        cr = self.env.cr
        children = list(self.children(table))
        if not children:
            return
        cr.execute(SQL("CREATE TEMP TABLE old_rows AS SELECT * FROM %s", SQL.identifier(table)))
        for child in children:
            cr.execute(SQL("DROP TABLE %s", SQL.identifier(child)))
        cr.execute(
            SQL(
                "INSERT INTO %s SELECT * FROM old_rows; DROP TABLE old_rows",
                SQL.identifier(table),
            )
        )

    def make_old(self, table):
        """``table`` as 18.0.1.4.0 left it (an ordinary model's: its rows in the table
        itself, an ``id`` serial primary key), its rows kept."""
        self.make_plain(table)
        self.env.cr.execute(
            SQL("ALTER TABLE %s ADD COLUMN id SERIAL PRIMARY KEY", SQL.identifier(table))
        )

    def children(self, table):
        """``{name: persistence}`` of the child tables of ``table``."""
        self.env.cr.execute(
            """SELECT c.relname, c.relpersistence FROM pg_inherits i
                 JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = %s::regclass""",
            [table],
        )
        return dict(self.env.cr.fetchall())

    def upgrade(self):
        """What ``-u crm_guardian`` does to the caches: their models' ``init()``."""
        for name in CACHES:
            self.env[name].init()

    # ------------------------------------------------------------

    def test_unlogged_tables_without_id(self):
        cr = self.env.cr
        for name in CACHES:
            Model = self.env[name]
            table = Model._table
            self.assertFalse(Model._auto, name)
            columns = self.columns(table)
            self.assertNotIn("id", columns, name)
            expected = {
                fname: field.required
                for fname, field in Model._fields.items()
                if field.store and field.column_type and fname != "id"
            }
            self.assertEqual(columns, expected, name)
            cr.execute(
                "SELECT relkind, relpersistence FROM pg_class WHERE oid = %s::regclass", [table]
            )
            self.assertEqual(cr.fetchone(), ("r", "u"), f"{table} is unlogged")
            if name != "crm.guardian.duplicate.candidate":
                # a child table per check, unlogged too, the table itself holding no row
                children = self.children(table)
                self.assertEqual(set(children), {f"{table}_{tag}" for tag in "cpl"})
                self.assertEqual(set(children.values()), {"u"}, f"{table}'s are unlogged")
                cr.execute(SQL("SELECT EXISTS (SELECT 1 FROM ONLY %s)", SQL.identifier(table)))
                self.assertFalse(cr.fetchone()[0], f"{table} holds no row itself")
            # no primary key, no sequence
            cr.execute("SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass", [table])
            self.assertFalse(cr.fetchall(), f"{table} has no constraint")
            cr.execute("SELECT to_regclass(%s)", [f"{table}_id_seq"])
            self.assertIsNone(cr.fetchone()[0])
            # still a model, but no user reads it through the ORM (it would select an
            # id): a web client's call is refused, not a server error
            with self.assertRaises(AccessError, msg=name):
                self.env[name].with_user(self.manager).search_read([])
        self.assertTrue(sql.index_exists(cr, "crm_guardian_duplicate_record_l_res_id_idx"))
        self.assertTrue(sql.index_exists(cr, CANDIDATE_INDEX))
        Block = self.env["crm.guardian.duplicate.block"]
        for code in ("company_duplicate_fuzzy", CONTACT, "lead_duplicate_fuzzy"):
            for index in Block._check_index_names(code):
                self.assertTrue(sql.index_exists(cr, index), index)

    def test_init_brings_an_old_table_to_the_new_form(self):
        """A table of 18.0.1.4.0, created as Odoo created an ordinary model's (an
        ``id`` serial primary key first), loses its ``id`` and keeps its rows (the
        candidates, which have no child table per check)."""
        cr = self.env.cr
        Candidate = self.env["crm.guardian.duplicate.candidate"]
        cr.execute("DROP TABLE crm_guardian_duplicate_candidate")
        sql.create_model_table(cr, Candidate._table, Candidate._description)
        for column, definition in (
            ("res_id", "int4 NOT NULL"),
            ("res_id_b", "int4 NOT NULL"),
            ("check", "varchar NOT NULL"),
        ):
            sql.create_column(cr, Candidate._table, column, definition)
        cr.execute(
            """INSERT INTO crm_guardian_duplicate_candidate ("check", res_id, res_id_b)
               VALUES ('P', 7, 8)"""
        )
        self.assertIn("id", self.columns(Candidate._table))
        Candidate.init()
        self.assertEqual(set(self.columns(Candidate._table)), {"check", "res_id", "res_id_b"})
        cr.execute('SELECT "check", res_id, res_id_b FROM crm_guardian_duplicate_candidate')
        self.assertEqual(cr.fetchall(), [("P", 7, 8)])
        cr.execute("SELECT to_regclass('crm_guardian_duplicate_candidate_id_seq')")
        self.assertIsNone(cr.fetchone()[0])
        cr.execute(
            "SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [Candidate._table]
        )
        self.assertEqual(cr.fetchone()[0], "u")
        self.assertTrue(sql.index_exists(cr, CANDIDATE_INDEX))
        # idempotent
        Candidate.init()
        self.assertEqual(set(self.columns(Candidate._table)), {"check", "res_id", "res_id_b"})

    def test_init_gives_an_old_table_a_child_per_check(self):
        """The compared values of 18.0.1.6.0 (rows in the table itself, naming their
        check by its code, indexed there): deleted, the table's index dropped, one
        unlogged child table per fuzzy check, each indexed by record."""
        cr = self.env.cr
        Record = self.env["crm.guardian.duplicate.record"]
        self.make_plain(Record._table)
        sql.create_index(
            cr,
            "crm_guardian_duplicate_record_check_record_idx",
            Record._table,
            ['"check"', "res_id"],
        )
        cr.execute(
            """INSERT INTO crm_guardian_duplicate_record ("check", res_id, data)
               VALUES ('contact_duplicate_fuzzy', 7, 'x')"""
        )
        Record.init()
        self.assertEqual(set(self.children(Record._table).values()), {"u"})
        cr.execute("SELECT count(*) FROM crm_guardian_duplicate_record")
        self.assertEqual(cr.fetchone()[0], 0)
        self.assertFalse(sql.index_exists(cr, "crm_guardian_duplicate_record_check_record_idx"))
        self.assertTrue(sql.index_exists(cr, "crm_guardian_duplicate_record_l_res_id_idx"))
        # idempotent
        Record.init()
        self.assertEqual(len(self.children(Record._table)), 3)

    def test_full_pass_then_rescan_finds_the_same_groups(self):
        people = self.duplicate_people()
        self.forget_scans()
        Scan, run = self.start_run()
        line = self.finish(Scan, run)
        self.assertEqual(line.mode, "full")
        expected = self.groups()
        mine = {frozenset(p.id for p in group) for group in (people[:3], people[3:5], people[5:7])}
        self.assertLessEqual(mine, expected)
        # same day, one member changed (by a salesperson): a rescan of the changed
        # records, through the cached keys, finds the same groups
        people[1].with_user(self.salesman).street = "14 Tarcoola Street"
        self.env.flush_all()
        Scan, run = self.start_run()
        line = self.finish(Scan, run)
        self.assertEqual(line.mode, "incremental")
        self.assertEqual(self.groups(), expected)

    def test_blocks_phase_appends_candidates_without_their_index(self):
        """The blocks phase drops the candidates' index and appends its pairs; its last
        unit builds the index again, for the pairs phase and its ranges. The cycle
        collector, paused for each unit, is running again after it."""
        people = self.duplicate_people()
        self.forget_scans()
        Scan, run = self.start_run()
        line = run.line_ids
        while line.fuzzy_phase != "blocks":
            self.assertEqual(Scan._scan_unit(run), "unit")
        self.assertEqual(Scan._scan_unit(run), "unit")
        cr = self.env.cr
        self.assertFalse(sql.index_exists(cr, CANDIDATE_INDEX))
        self.assertTrue(gc.isenabled())
        while line.fuzzy_phase == "blocks":
            self.assertEqual(Scan._scan_unit(run), "unit")
        self.assertTrue(sql.index_exists(cr, CANDIDATE_INDEX))
        self.finish(Scan, run)
        mine = {frozenset(p.id for p in group) for group in (people[:3], people[3:5], people[5:7])}
        self.assertLessEqual(mine, self.groups())
        self.assertTrue(gc.isenabled())

    def test_upgrade_during_a_pass_starts_it_again(self):
        """Upgraded from 18.0.1.4.0 while a full pass was in its keys, blocks or pairs
        phase: the keys and compared values are deleted for their new form, the
        pass starts again and finds the groups of an uninterrupted pass; the next
        rescan uses the cached keys."""
        people = self.duplicate_people()
        self.forget_scans()
        Scan, run = self.start_run()
        self.finish(Scan, run)
        expected = self.groups()
        for phase in ("keys", "blocks", "pairs"):
            with self.subTest(phase=phase):
                self.forget_scans()
                Scan, run = self.start_run()
                line = run.line_ids
                # into the phase, some of its work stored (the keys phase: past the
                # first group, whose keys the rest of the pass needs)
                while not (
                    line.fuzzy_phase == phase
                    and line.cursor_id >= (people[2].id if phase == "keys" else 1)
                ):
                    self.assertEqual(Scan._scan_unit(run), "unit")
                self.assertEqual(line.fuzzy_phase, phase)
                self.env.flush_all()
                for name in CACHES:
                    self.make_old(self.env[name]._table)
                self.upgrade()
                line.invalidate_recordset(["fuzzy_phase"])
                self.assertFalse(line.fuzzy_phase)
                for name in CACHES:
                    self.assertNotIn("id", self.columns(self.env[name]._table))
                line = self.finish(Scan, run)
                self.assertEqual(line.mode, "full")
                self.assertEqual(self.groups(), expected)
        people[4].with_user(self.salesman).street = "3 Lyrebird Close"
        self.env.flush_all()
        Scan, run = self.start_run()
        self.assertEqual(self.finish(Scan, run).mode, "incremental")
        self.assertEqual(self.groups(), expected)

    def test_caches_emptied_after_the_upgrade_give_a_full_pass(self):
        """Converted caches that are then emptied (a crash empties unlogged tables):
        the next scan sees its keys lost, runs a full pass and finds the same groups."""
        self.duplicate_people()
        self.forget_scans()
        Scan, run = self.start_run()
        self.finish(Scan, run)
        expected = self.groups()
        for name in CACHES:
            self.make_old(self.env[name]._table)
        self.upgrade()
        self.env.cr.execute(
            "TRUNCATE crm_guardian_duplicate_block, crm_guardian_duplicate_record, "
            "crm_guardian_duplicate_candidate"
        )
        Scan, run = self.start_run()
        line = self.finish(Scan, run)
        self.assertEqual(line.mode, "full")
        self.assertEqual(self.groups(), expected)

    def test_upgrade_from_rows_named_by_check_code(self):
        """Caches of 18.0.1.6.0 (rows in the tables themselves naming their check by its
        code, one pair of indexes per check named after it): the upgrade deletes them for
        empty child tables; a full pass in its keys phase starts again, and it finds the
        groups of an uninterrupted pass."""
        self.duplicate_people()
        self.forget_scans()
        Scan, run = self.start_run()
        self.finish(Scan, run)
        expected = self.groups()
        self.forget_scans()
        Scan, run = self.start_run()
        line = run.line_ids
        cr = self.env.cr

        def keys_stored():
            cr.execute("SELECT count(*) FROM crm_guardian_duplicate_block WHERE \"check\" = 'P'")
            return cr.fetchone()[0]

        # into the keys phase, some keys stored
        while not (line.fuzzy_phase == "keys" and keys_stored()):
            self.assertEqual(Scan._scan_unit(run), "unit")
        self.env.flush_all()
        for table in ("crm_guardian_duplicate_block", "crm_guardian_duplicate_record"):
            self.make_plain(table)
            cr.execute(
                SQL(
                    'UPDATE %s SET "check" = %s WHERE "check" = %s',
                    SQL.identifier(table),
                    CONTACT,
                    "P",
                )
            )
        cr.execute(
            """CREATE INDEX crm_guardian_block_contact_duplicate_fuzzy_key
                   ON crm_guardian_duplicate_block (key)
                WHERE "check" = 'contact_duplicate_fuzzy'"""
        )
        self.upgrade()
        self.assertFalse(sql.index_exists(cr, "crm_guardian_block_contact_duplicate_fuzzy_key"))
        for name in self.env["crm.guardian.duplicate.block"]._check_index_names(CONTACT):
            self.assertTrue(sql.index_exists(cr, name), name)
        for table in ("crm_guardian_duplicate_block", "crm_guardian_duplicate_record"):
            self.assertEqual(len(self.children(table)), 3, table)
            cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
            self.assertEqual(cr.fetchone()[0], 0, table)
        line.invalidate_recordset(["fuzzy_phase"])
        self.assertFalse(line.fuzzy_phase)
        line = self.finish(Scan, run)
        self.assertEqual(line.mode, "full")
        self.assertEqual(self.groups(), expected)

    def test_full_pass_truncates_its_child_tables(self):
        """A full pass empties its check's child tables with TRUNCATE (no page left,
        where a DELETE left the keys' table ever larger); the other checks' keys are
        kept."""
        self.duplicate_people()
        self.env["res.partner"].create(
            {"name": "Tallowood Widgets Pty Ltd", "is_company": True, "zip": "2790"}
        )
        self.forget_scans()
        self.scan(["company_duplicate_fuzzy", CONTACT])
        cr = self.env.cr

        def keys():
            cr.execute('SELECT "check", count(*) FROM crm_guardian_duplicate_block GROUP BY 1')
            return dict(cr.fetchall())

        def size_of(child):
            cr.execute("SELECT pg_relation_size(%s::regclass)", [child])
            return cr.fetchone()[0]

        before = keys()
        self.assertTrue(before.get("C") and before.get("P"), before)
        children = [
            self.env[name]._check_child(CONTACT)
            for name in ("crm.guardian.duplicate.block", "crm.guardian.duplicate.record")
        ]
        self.assertTrue(all(size_of(child) for child in children))
        self.env["crm.guardian.scan"]._fuzzy_reset(CONTACT)
        self.assertEqual(keys(), {tag: count for tag, count in before.items() if tag != "P"})
        for child in children:
            self.assertEqual(size_of(child), 0, child)

    def test_binary_copy_round_trip(self):
        """Columns written and read in COPY's binary format come back as they were
        (negative and large values, a one-letter text column), none written from empty
        columns."""
        cr = self.env.cr
        cr.execute("CREATE TEMPORARY TABLE guardian_copy_test (tag varchar, big bigint, small int)")
        big = np.array([-(2**63), -1, 0, 2**63 - 1], dtype=np.int64)
        small = np.array([-(2**31), 7, 0, 2**31 - 1], dtype=np.int32)
        tags = np.array([b"L", b"P", b"C", b"L"], dtype="S1")
        copy_io.write_columns(
            cr, "guardian_copy_test", [("tag", tags), ("big", big), ("small", small)]
        )
        empty = np.empty(0, np.int32)
        copy_io.write_columns(
            cr,
            "guardian_copy_test",
            [("tag", empty.astype("S1")), ("big", empty), ("small", empty)],
        )
        cr.execute("SELECT tag, big, small FROM guardian_copy_test ORDER BY big")
        self.assertEqual(
            cr.fetchall(),
            [("L", -(2**63), -(2**31)), ("P", -1, 7), ("C", 0, 0), ("L", 2**63 - 1, 2**31 - 1)],
        )
        query = SQL("SELECT big, small FROM guardian_copy_test WHERE tag = %s ORDER BY big", "L")
        read_big, read_small = copy_io.read_columns(cr, query, ["int64", "int32"])
        self.assertEqual(read_big.tolist(), [-(2**63), 2**63 - 1])
        self.assertEqual(read_small.tolist(), [-(2**31), 2**31 - 1])
        self.assertEqual(read_big.dtype, np.dtype("int64"))
        nothing = copy_io.read_columns(
            cr, SQL("SELECT big, small FROM guardian_copy_test WHERE FALSE"), ["int64", "int32"]
        )
        self.assertEqual([len(column) for column in nothing], [0, 0])
        for ids in ([3, -1, 2**31 - 1], []):
            cr.execute("SELECT %s::int[]", [copy_io.int_array(ids)])
            self.assertEqual(cr.fetchone()[0], ids)

    def stored_keys(self, record):
        """The keys the contact check holds of ``record``."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT key FROM crm_guardian_duplicate_block WHERE \"check\" = 'P' AND res_id = %s",
            [record.id],
        )
        return sorted(key for (key,) in self.env.cr.fetchall())

    def test_rescan_replaces_a_changed_records_keys(self):
        """A same-day rescan replaces the keys of a changed record with those of its
        new values, and leaves the other records' keys alone."""
        people = self.duplicate_people()
        self.forget_scans()
        self.scan([CONTACT])
        Scan = self.env["crm.guardian.scan"].sudo()

        def current_keys(record):
            normalised = Scan._fuzzy_normalise(CONTACT, [("id", "=", record.id)])
            return sorted(key for _id, keys, _text in normalised for key in keys)

        before = {person.id: self.stored_keys(person) for person in people}
        self.assertEqual(before[people[0].id], current_keys(people[0]))
        people[0].write(
            {"name": "Quillon Abernathy", "street": "5 Wattle Road", "zip": "2600", "city": "Yass"}
        )
        self.scan([CONTACT])
        line = (
            self.env["crm.guardian.scan.run.line"]
            .sudo()
            .search([("check", "=", CONTACT)], order="id desc", limit=1)
        )
        self.assertEqual(line.mode, "incremental")
        after = self.stored_keys(people[0])
        self.assertEqual(after, current_keys(people[0]))
        self.assertFalse(set(after) & set(before[people[0].id]))
        for person in people[1:]:
            self.assertEqual(self.stored_keys(person), before[person.id], person.name)
