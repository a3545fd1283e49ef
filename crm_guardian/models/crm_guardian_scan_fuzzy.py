import io
import json
import math

import numpy as np

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import copy_io, cycle_collector
from ..tools import duplicate_matcher as matcher
from .crm_guardian_scan import RATIO_CAP

# The fuzzy duplicate checks: {code: (model, base domain, company names, columns)}.
# Columns map the values a record is normalised from to fields (``_rows_sql``), in the
# order ``_normalised`` reads them: the contact's name, the company's (a lead's, when
# it has a contact name too; none for a partner), the address, email and phones.
_PARTNER_COLUMNS = {
    "id": "id",
    "contact": "name",
    "company": lambda _query: SQL("NULL"),
    "street": "street",
    "street2": "street2",
    "zip": "zip",
    "city": "city",
    "country_id": "country_id",
    "email": "email_normalized",
    "phone": "phone",
    "mobile": "mobile",
}
FUZZY_CHECKS = {
    "company_duplicate_fuzzy": ("res.partner", [("is_company", "=", True)], True, _PARTNER_COLUMNS),
    "contact_duplicate_fuzzy": (
        "res.partner",
        [("is_company", "=", False)],
        False,
        _PARTNER_COLUMNS,
    ),
    "lead_duplicate_fuzzy": (
        "crm.lead",
        [],
        False,
        {
            "id": "id",
            "contact": "contact_name",
            "company": "partner_name",
            "street": "street",
            "street2": "street2",
            "zip": "zip",
            "city": "city",
            "country_id": "country_id",
            "email": "email_normalized",
            "phone": "phone",
            "mobile": "mobile",
        },
    ),
}


# The one-letter tag of each check: the first letter of its blocking keys (keys are
# unique per check, so the key alone is indexed: narrow, see the block model) and what its
# rows in the cache tables (keys, compared values, candidates) hold in their ``check``
# column (a row of keys is a third smaller than with the check's code)
KEY_TAGS = {
    "company_duplicate_fuzzy": "C",
    "contact_duplicate_fuzzy": "P",
    "lead_duplicate_fuzzy": "L",
}
# COPY's text format: these characters of a key (an email may hold them) are escaped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# Records of a fuzzy check's first unit of each kind (the next ones adapt to its speed,
# see crm.guardian.scan _next_chunk_size): keying a record (read, normalised, its keys
# appended) and scoring its candidate pairs cost some 0.05-0.1 ms each in a full pass;
# a changed record of a rescan 0.3-2 ms (its keys and pairs replaced in the big tables:
# 2,000 of them take at most about a unit's target of 4 s, and 1 % of 100,000 leads one unit)
FIRST_CHUNK_KEYS = 20000
FIRST_CHUNK_PAIRS = 5000
FIRST_CHUNK_CHANGED = 2000
# Keys a unit of a full pass's blocks phase groups (its part of the check's keys;
# context ``guardian_keys_per_part`` in tests). Each part is a sequential scan of all the
# keys: 3,000,000 a part took 5-6 s a unit, and 18 s for the 6,000,000 keys of 1,000,000
# leads (21-25 s in parts of 1,000,000)
KEYS_PER_PART = 3000000


class CrmGuardianScan(models.AbstractModel):
    """The fuzzy duplicate checks: companies, individual contacts and leads that look
    alike by name and address (and email, phone), found by blocking keys and scored by
    ``tools/duplicate_matcher.py``, grouped with a guard against chaining.

    A full pass has three phases (:meth:`_fuzzy_full_unit`), each in units committed one
    by one: *keys* (id ranges: the records are normalised and their blocking keys
    appended to ``crm.guardian.duplicate.block``, the check's indexes dropped), *blocks*
    (parts of the keys grouped into blocks of at most ``matcher.BLOCK_CAP`` records;
    their pairs stored as candidates; then the indexes built by sort), *pairs* (id
    ranges of the pairs' higher id: candidates scored, the matches stored in
    ``crm.guardian.duplicate.pair`` with the facts of the match). Sequential work
    throughout: no random traffic in an index larger than the server's buffers. The
    last unit groups the pairs into findings. A rescan of the changed records looks up
    their blocks through the indexes instead. The method and its figures: README,
    "Fuzzy duplicates".
    """

    # a feature of its own (keys, pairs, groups: 400 lines) beside the core checks of
    # crm_guardian_scan_checks.py, as those are beside the scan service
    _inherit = "crm.guardian.scan"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _get_checks(self):
        checks = super()._get_checks()
        names = {
            "company_duplicate_fuzzy": self.env._("Companies that look alike"),
            "contact_duplicate_fuzzy": self.env._("Contacts that look alike"),
            "lead_duplicate_fuzzy": self.env._("Leads that look alike"),
        }
        for sequence, (code, (model, _domain, _company, _columns)) in enumerate(
            FUZZY_CHECKS.items(), start=250
        ):
            checks[code] = {
                "name": names[code],
                "section": "duplicates",
                "model": model,
                "sequence": sequence,
                "incremental": True,
                # units of its own (see _scan_line_unit)
                "fuzzy": True,
                # its rows in the cache tables (keys, compared values, candidates)
                "tag": KEY_TAGS[code],
                # the threshold is the largest group; the match score has its own field
                "unit": "members",
                "reason": self.env._(
                    "%(count)s records look alike by name and address (best score "
                    "%(score)s%%, match threshold %(match)s%%). Review why each pair matched, "
                    "then merge them or mark them as not duplicates."
                ),
            }
        return checks

    # ------------------------------------------------------------
    # UNITS
    # ------------------------------------------------------------

    @api.model
    def _scan_line_unit(self, line):
        if not self._get_checks()[line.check].get("fuzzy"):
            return super()._scan_line_unit(line)
        with cycle_collector.paused():
            return self._fuzzy_line_unit(line)

    @api.model
    def _fuzzy_line_unit(self, line):
        """A unit of the fuzzy check of ``line``: a unit of its rescan or of its full
        pass, and the groups synced after the last. Returns the line's counters."""
        code = line.check
        rules = self._check_rules(code)
        domain = self._fuzzy_domain(code, rules)
        if line.since and self._fuzzy_keys_lost(code):
            line.write({"since": False, "mode": "full", "cursor_id": 0, "chunk_size": 0})
        if not rules:
            self._fuzzy_reset(code)
            done, counts = True, {"records_read": 0}
        elif line.since:
            done, counts = self._fuzzy_changed_unit(line, rules[0], domain)
        else:
            done, counts = self._fuzzy_full_unit(line, rules, domain)
        if done:
            counts.update(self._fuzzy_finish(line, rules, domain))
        return counts

    @api.model
    def _fuzzy_finish(self, line, rules, domain):
        """The last step of a pass: the stored pairs grouped into findings, synced, the
        pass remembered. Returns the line's counters to add."""
        now = line.run_id.scan_date
        counts = self._fuzzy_sync_groups(line, rules, domain)
        line.write({"state": "done", "finished": fields.Datetime.now(), "cursor_id": line.max_id})
        self._store_scan_state(
            rules, line.signature, now, line.pass_started, full=line.mode == "full"
        )
        return {f"{key}_count": value for key, value in counts.items()}

    @api.model
    def _fuzzy_sync_groups(self, line, rules, domain):
        """The groups of the stored pairs synced into findings: all of them after a
        full pass; after a rescan only those of the pair-graph components it touched
        (:meth:`_fuzzy_regroup_scope`), the other groups are as they were. Returns the
        sync's counts."""
        code, now = line.check, line.run_id.scan_date
        if not rules:
            return self._sync_findings(code, [], now, scope=None)
        if not line.since:
            return self._sync_findings(code, self._run_check(code, rules[:1], domain, now), now)
        nodes, scope_ids = self._fuzzy_regroup_scope(code, line.since, now.date())
        if not nodes:
            return {"updated": 0, "created": 0, "resolved": 0, "reopened": 0}
        vals_list = self.with_context(guardian_fuzzy_nodes=tuple(sorted(nodes)))._run_check(
            code, rules[:1], domain, now
        )
        scope = SQL("f.res_id = ANY(%s)", sorted(scope_ids))
        return self._sync_findings(code, vals_list, now, scope=scope)

    @api.model
    def _fuzzy_regroup_scope(self, code, since, today):
        """``(nodes, finding record ids)`` of a rescan since ``since`` on day ``today``:
        the records of the components of the stored pairs (their graph) that hold a
        touched record, whose groups may have changed, or re-open: the records changed
        since then (re-keyed and compared), those of the pairs flagged ``regroup`` (a
        former match changed, see :meth:`_fuzzy_forget_pairs`) or of a deleted record
        (:meth:`_fuzzy_forget_deleted`), the members of the groups whose dismissal ends
        by ``today``; and the record ids (``res_id``) of the findings they may rewrite
        or resolve: the groups of these records, new or standing. A component without
        a touched record has the same pairs and records as before: the same groups
        (``matcher.group_pairs`` splits each component alone)."""
        self.env.cr.execute(
            SQL(
                "SELECT res_id, res_id_b, regroup FROM crm_guardian_duplicate_pair "
                'WHERE "check" = %s',
                code,
            )
        )
        pairs = self.env.cr.fetchall()
        gone = self._fuzzy_forget_deleted(code, pairs)
        model = FUZZY_CHECKS[code][0]
        touched = set(self._changed_ids(model, self._changed_domain(code, since)))
        touched.update(i for _key, ids in self._expired_dismissals(code, today) for i in ids)
        touched.update(i for a, b, flag in pairs if flag or (a, b) in gone for i in (a, b))
        if not touched:
            return set(), set()
        nodes = set(touched)
        kept = [(a, b) for a, b, _flag in pairs if (a, b) not in gone]
        for component in matcher.components(kept):
            if not component.isdisjoint(touched):
                nodes |= component
        standing = self._standing_groups(code, sorted(nodes))
        return nodes, nodes | {res_id for res_id, _key in standing}

    @api.model
    def _fuzzy_forget_deleted(self, code, pairs):
        """Delete the stored ``pairs`` (``(a, b, flag)``) of the check whose record was
        deleted; returns them as ``{(a, b)}``. Which records exist is asked of the
        primary key index (an anti-join would read all of the model's ids)."""
        ids = sorted({i for a, b, _flag in pairs for i in (a, b)})
        if not ids:
            return set()
        table = SQL.identifier(self.env[FUZZY_CHECKS[code][0]]._table)
        self.env.cr.execute(SQL("SELECT id FROM %s WHERE id = ANY(%s)", table, ids))
        deleted = set(ids).difference(i for (i,) in self.env.cr.fetchall())
        if not deleted:
            return set()
        self.env.cr.execute(
            SQL(
                'DELETE FROM crm_guardian_duplicate_pair WHERE "check" = %s '
                "AND (res_id = ANY(%s) OR res_id_b = ANY(%s))",
                code,
                sorted(deleted),
                sorted(deleted),
            )
        )
        return {(a, b) for a, b, _flag in pairs if a in deleted or b in deleted}

    @api.model
    def _fuzzy_forget_pairs(self, code, changed):
        """Delete the pairs of the ``changed`` records (compared again); flag the other
        pairs of their former matches ``regroup``: the components these belong to are
        regrouped when the rescan ends (a flag in the table: a rescan interrupted
        before its end leaves it for the next one)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                'DELETE FROM crm_guardian_duplicate_pair WHERE "check" = %s '
                "AND (res_id = ANY(%s) OR res_id_b = ANY(%s)) RETURNING res_id, res_id_b",
                code,
                changed,
                changed,
            )
        )
        former = sorted({i for pair in cr.fetchall() for i in pair} - set(changed))
        if former:
            cr.execute(
                SQL(
                    'UPDATE crm_guardian_duplicate_pair SET regroup = TRUE WHERE "check" = %s '
                    "AND (res_id = ANY(%s) OR res_id_b = ANY(%s))",
                    code,
                    former,
                    former,
                )
            )

    @api.model
    def _fuzzy_changed_unit(self, line, rule, domain):
        """A unit of a rescan of the changed records. Returns ``(done, counters)``."""
        if not line.chunk_size:
            line.chunk_size = FIRST_CHUNK_CHANGED
        high, read = self._fuzzy_compare_changed(
            line.check, rule, domain, line.since, line.cursor_id, line.chunk_size
        )
        line.cursor_id = line.max_id if high is None else high
        return high is None, {"records_read": read}

    @api.model
    def _fuzzy_full_unit(self, line, rules, domain):
        """A unit of a full pass, in the phase ``line.fuzzy_phase`` says (see the class
        docstring). A pass whose keys were lost after its keys phase (a server crash
        empties unlogged tables) starts again. Returns ``(done, counters)``."""
        code = line.check
        # parts: the pass stored keys (none when no record has any: nothing to lose)
        lost_after_keys = (
            line.fuzzy_phase in ("blocks", "pairs")
            and line.fuzzy_parts
            and self._fuzzy_keys_lost(code, indexed=False)
        )
        if lost_after_keys or (line.fuzzy_phase == "keys" and self._fuzzy_keys_crashed(line)):
            line.write({"fuzzy_phase": False, "pass_started": self.env.cr.now()})
        if not line.fuzzy_phase:
            self._fuzzy_reset(code, rules)
            line.write(
                {
                    "fuzzy_phase": "keys",
                    "fuzzy_parts": 0,
                    "cursor_id": 0,
                    "chunk_size": FIRST_CHUNK_KEYS,
                }
            )
        if line.fuzzy_phase == "keys":
            return False, self._fuzzy_keys_unit(line, domain)
        if line.fuzzy_phase == "blocks":
            return False, self._fuzzy_blocks_unit(line)
        return self._fuzzy_pairs_unit(line, rules[0])

    @api.model
    def _fuzzy_keys_unit(self, line, domain):
        """Keys phase: the blocking keys of the records of the next id range appended;
        after the last range, the keys are counted into parts for the blocks phase
        (none without keys)."""
        code = line.check
        high, _count = self._next_range(FUZZY_CHECKS[code][0], line.cursor_id, line.chunk_size)
        id_range = [("id", ">", line.cursor_id)] + ([("id", "<=", high)] if high else [])
        read = self._fuzzy_store(
            code, self._fuzzy_normalise(code, expression.AND([domain, id_range]))
        )
        if high is not None:
            line.cursor_id = high
            return {"records_read": read}
        self.env.cr.execute(
            SQL(
                'SELECT COUNT(*) FROM crm_guardian_duplicate_block WHERE "check" = %s',
                KEY_TAGS[code],
            )
        )
        per_part = self.env.context.get("guardian_keys_per_part") or KEYS_PER_PART
        parts = math.ceil(self.env.cr.fetchone()[0] / per_part)
        line.write({"fuzzy_phase": "blocks", "fuzzy_parts": parts, "cursor_id": 0})
        return {"records_read": read}

    @api.model
    def _fuzzy_blocks_unit(self, line):
        """Blocks phase: part ``cursor_id`` of the check's keys (by a hash of the key:
        a block is in one part) grouped into blocks of 2 to ``matcher.BLOCK_CAP``
        records, their pairs stored as candidates (appended: the candidates' index is
        dropped by the first unit). The unit after the last part builds the check's key
        indexes and the candidates' index (by sort) and starts the pairs phase."""
        code, cr = line.check, self.env.cr
        if not line.cursor_id:
            self.env["crm.guardian.duplicate.candidate"]._empty()
        if line.cursor_id >= line.fuzzy_parts:
            self.env["crm.guardian.duplicate.block"]._create_check_indexes(code)
            self.env["crm.guardian.duplicate.candidate"]._create_index()
            line.write({"fuzzy_phase": "pairs", "cursor_id": 0})
            return {"next_chunk": FIRST_CHUNK_PAIRS}
        in_part = (
            SQL(
                "AND mod(hashtext(key) & 2147483647, %s) = %s",
                line.fuzzy_parts,
                line.cursor_id,
            )
            if line.fuzzy_parts > 1
            else SQL()
        )
        # the part's keys as 64-bit hashes (a collision of two keys of millions: two
        # blocks compared as one), grouped in numpy: PostgreSQL's hash aggregate of
        # the text keys with array_agg spilled to disk and took twice as long
        keys, ids = copy_io.read_columns(
            cr,
            SQL(
                "SELECT hashtextextended(key, 0), res_id FROM crm_guardian_duplicate_block "
                'WHERE "check" = %s %s',
                KEY_TAGS[code],
                in_part,
            ),
            ["int64", "int32"],
        )
        lower, higher = matcher.block_pairs(keys, ids)
        del keys, ids
        copy_io.write_columns(
            cr,
            "crm_guardian_duplicate_candidate",
            [
                ("check", np.full(len(lower), KEY_TAGS[code].encode(), "S1")),
                ("res_id", lower),
                ("res_id_b", higher),
            ],
        )
        line.cursor_id += 1
        return {}

    @api.model
    def _fuzzy_pairs_unit(self, line, rule):
        """Pairs phase: the candidates whose higher id is in the next id range scored,
        those that match stored. The stored texts of the range are read in one range
        scan (in id order, as the keys phase appended them), the lower ids' by id; a
        pair found in several blocks is deduplicated here. Returns ``(done, counters)``."""
        code, cr = line.check, self.env.cr
        high, _count = self._next_range(FUZZY_CHECKS[code][0], line.cursor_id, line.chunk_size)
        lower, higher = copy_io.read_columns(
            cr,
            SQL(
                "SELECT res_id, res_id_b FROM crm_guardian_duplicate_candidate "
                "WHERE res_id_b > %s %s",
                line.cursor_id,
                SQL("AND res_id_b <= %s", high) if high else SQL(),
            ),
            ["int32", "int32"],
        )
        # a pair found in several blocks of different parts was stored once per part
        candidates = matcher.distinct_pairs(lower, higher)
        cr.execute(
            SQL(
                "SELECT res_id, data FROM crm_guardian_duplicate_record "
                'WHERE "check" = %s AND res_id > %s %s',
                KEY_TAGS[code],
                line.cursor_id,
                SQL("AND res_id <= %s", high) if high else SQL(),
            )
        )
        self._fuzzy_store_pairs(code, rule, candidates, dict(cr.fetchall()))
        line.cursor_id = line.max_id if high is None else high
        return high is None, {}

    @api.model
    def _fuzzy_keys_lost(self, code, indexed=True):
        """Whether the check's blocking keys cannot serve: none is stored (the unlogged
        table was emptied by a crash, or never filled) or, when ``indexed``, its key
        index is missing (a full pass was not finished). A rescan of the changed
        records must then be a full pass."""
        if indexed and not self.env["crm.guardian.duplicate.block"]._check_indexed(code):
            return True
        self.env.cr.execute(
            SQL(
                'SELECT NOT EXISTS (SELECT 1 FROM crm_guardian_duplicate_block WHERE "check" = %s)',
                KEY_TAGS[code],
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _fuzzy_keys_crashed(self, line):
        """Whether the keys phase of ``line`` lost what it stored: the server started
        since the line was last written (a unit after the restart) and the check's
        stored records are gone (crash recovery empties unlogged tables; a clean
        restart keeps them). Its next range would otherwise go on without them."""
        if not line.cursor_id:
            return False
        self.env.cr.execute(
            SQL(
                """SELECT pg_postmaster_start_time() > %s::timestamp AT TIME ZONE 'UTC'
                          AND NOT EXISTS (SELECT 1 FROM crm_guardian_duplicate_record
                                           WHERE "check" = %s)""",
                line.write_date,
                KEY_TAGS[line.check],
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _fuzzy_domain(self, code, rules):
        """The records the check compares: active, of its kind, matching one of its rules."""
        return expression.AND(
            [
                [("active", "=", True)],
                FUZZY_CHECKS[code][1],
                expression.OR([rule._get_record_domain() for rule in rules] or [[]]),
            ]
        )

    @api.model
    def _fuzzy_reset(self, code, rules=None):
        """Start a full pass: forget the check's keys and pairs and drop its key
        indexes (the pass appends keys without them). The scan state of ``rules`` is
        forgotten until the pass is complete: a pass that never finishes is followed
        by a full one, never by a rescan of the changed records only."""
        cr = self.env.cr
        self.env["crm.guardian.duplicate.block"]._drop_check_indexes(code)
        # the check's child tables of the caches (no dead rows left), then its pairs
        for model in ("crm.guardian.duplicate.block", "crm.guardian.duplicate.record"):
            child = self.env[model]._check_child(code)
            cr.execute(SQL("TRUNCATE %s", SQL.identifier(child)))
        cr.execute(SQL('DELETE FROM crm_guardian_duplicate_pair WHERE "check" = %s', code))
        if rules:
            cr.execute(
                SQL(
                    "UPDATE crm_guardian_rule SET last_scan_date = NULL WHERE id IN %s",
                    tuple(rules.ids),
                )
            )
            rules.invalidate_recordset(["last_scan_date"])

    @api.model
    def _fuzzy_normalise(self, code, domain):
        """An iterator of ``(id, tagged keys, text)``, one per record of ``domain``: its
        blocking keys tagged with the check's tag (``matcher.stored_keys``) and its
        compared values as stored (``matcher.stored_line``, the text of
        ``matcher.dumps``). The records are read here (one query, rows as tuples), each
        normalised when the iterator reaches it and dropped once done: tens of
        thousands of prepared records alive at once cost the cycle collector more than
        normalising them."""
        model, _base, company, columns = FUZZY_CHECKS[code]
        # no dict per record (see _normalised for the columns)
        rows = self.env.execute_query(
            self.with_context(active_test=False)._rows_sql(model, domain, columns)
        )
        return (_normalised(row, company, KEY_TAGS[code]) for row in rows)

    @api.model
    def _fuzzy_compare_changed(self, code, rule, domain, since, low, chunk):
        """A unit of a same-day rescan: the next ``chunk`` records (ids above ``low``)
        changed since ``since`` lose their keys and pairs, and are keyed and compared
        again against every record of their blocks. Returns ``(high, read)``: the last
        id done (None: no changed record left) and the records read."""
        model = FUZZY_CHECKS[code][0]
        changed = sorted(
            self._changed_ids(
                model, expression.AND([[("id", ">", low)], self._changed_domain(code, since)])
            )
        )
        size = self._chunk_size(chunk)
        changed, high = changed[:size], (changed[size - 1] if len(changed) > size else None)
        cr = self.env.cr
        for table in ("crm_guardian_duplicate_block", "crm_guardian_duplicate_record"):
            cr.execute(
                SQL(
                    'DELETE FROM %s WHERE "check" = %s AND res_id = ANY(%s)',
                    SQL.identifier(table),
                    KEY_TAGS[code],
                    changed,
                )
            )
        self._fuzzy_forget_pairs(code, changed)
        normalised = list(
            self._fuzzy_normalise(code, expression.AND([domain, [("id", "in", changed)]]))
        )
        self._fuzzy_store(code, normalised)
        candidates = self._fuzzy_candidates(code, normalised)
        texts = {record_id: text for record_id, _keys, text in normalised}
        self._fuzzy_store_pairs(code, rule, candidates, texts)
        return high, len(changed)

    @api.model
    def _fuzzy_store(self, code, normalised):
        """Store the keys and texts of ``normalised`` (``(id, tagged keys, text)``, see
        :meth:`_fuzzy_normalise`; ``COPY`` in text format). The keys are streamed: each
        record is normalised as ``COPY`` reads on, so that PostgreSQL stores a record's
        keys while the next ones are normalised; the texts follow in a second ``COPY``.
        Returns how many records were stored."""
        values, tag = [], KEY_TAGS[code]

        def key_lines():
            for record_id, record_keys, text in normalised:
                suffix = f"\t{record_id}\n"
                if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
                    text = text.translate(_COPY_ESCAPES)
                values.append(f"{tag}\t{record_id}\t{text}\n")
                yield "".join(
                    [
                        # an email key may hold what COPY must see escaped
                        f"{tag}\t{key.translate(_COPY_ESCAPES) if key[1] == 'e' else key}{suffix}"
                        for key in record_keys
                    ]
                )

        # into the check's own child tables (the parents hold no row): the keys as the
        # records are normalised, then the texts, all in ``values`` by then
        block = self.env["crm.guardian.duplicate.block"]._check_child(code, create=False)
        record = self.env["crm.guardian.duplicate.record"]._check_child(code, create=False)
        self._fuzzy_copy(block, '"check", key, res_id', copy_io.LinesFile(key_lines()))
        self._fuzzy_copy(record, '"check", res_id, data', io.StringIO("".join(values)))
        return len(values)

    @api.model
    def _fuzzy_copy(self, table, columns, lines):
        """``COPY`` the text-format ``lines`` (a file) into ``columns`` of ``table``."""
        self.env.cr.copy_expert(
            SQL("COPY %s (%s) FROM STDIN", SQL.identifier(table), SQL(columns)).code,
            lines,
            size=copy_io.LinesFile.SIZE,
        )

    @api.model
    def _fuzzy_texts(self, code, ids):
        """``{id: stored text}`` (``matcher.dumps``) of the compared values of ``ids``;
        the ids stored none of (a crash emptied the table, or keyed before it existed)
        are normalised again (:meth:`_fuzzy_normalise`). The ids are a value the planner
        does not see (a pairs unit's tens of thousands of ids as a literal array: 50-120
        ms of planning, the same index scan), passed as one text."""
        self.env.cr.execute(
            SQL(
                "SELECT res_id, data FROM crm_guardian_duplicate_record "
                'WHERE "check" = %s AND res_id = ANY(ARRAY(SELECT unnest(%s::int[])))',
                KEY_TAGS[code],
                copy_io.int_array(sorted(ids)),
            )
        )
        texts = dict(self.env.cr.fetchall())
        missing = set(ids) - set(texts)
        if missing:
            normalised = self._fuzzy_normalise(code, [("id", "in", sorted(missing))])
            texts.update((record_id, text) for record_id, _keys, text in normalised)
        return texts

    @api.model
    def _fuzzy_candidates(self, code, normalised):
        """The pairs ``(a, b)`` (``a < b``, an array of two columns) of the records of
        ``normalised`` (see :meth:`_fuzzy_normalise`) and those sharing one of their
        blocks of at most ``matcher.BLOCK_CAP`` records (a rescan: a full pass finds
        its candidates by grouping all keys). One query: the members of the small
        blocks among the records' keys, through the check's key index."""
        keys = {key for _record_id, record_keys, _text in normalised for key in record_keys}
        mine = {record_id for record_id, _keys, _text in normalised}
        if not keys:
            return matcher.pair_array([])
        self.env.cr.execute(
            SQL(
                """SELECT array_agg(res_id) FROM crm_guardian_duplicate_block
                    WHERE "check" = %s AND key = ANY(%s)
                    GROUP BY key HAVING COUNT(*) BETWEEN 2 AND %s""",
                KEY_TAGS[code],
                sorted(keys),
                matcher.BLOCK_CAP,
            )
        )
        pairs = set()
        for (members,) in self.env.cr.fetchall():
            for record_id in members:
                if record_id not in mine:
                    continue
                for other in members:
                    if other != record_id:
                        pairs.add((other, record_id) if other < record_id else (record_id, other))
        return matcher.pair_array(sorted(pairs))

    @api.model
    def _fuzzy_store_pairs(self, code, rule, candidates, texts):
        """Score the candidate pairs (``candidates``: an array of two columns, lower id
        first, each pair once; ``matcher.score_stored``, from ``texts``: ``{id: text}``
        of ``matcher.dumps``, the other records' from their stored texts) and store
        those at or above the rule's threshold, but the pairs marked as not duplicates
        whose records kept their compared values (fingerprints of the records that need
        one only: those of a mark or a match)."""
        if not len(candidates):
            return
        # scored from their stored texts (matcher.score_stored loads only the few
        # pairs its bound does not rule out)
        texts = dict(texts)
        ids = np.unique(candidates)
        missing = ids[~np.isin(ids, np.fromiter(texts, np.int64, len(texts)))]
        if len(missing):
            texts.update(self._fuzzy_texts(code, missing.tolist()))
            # a record without a stored text (deleted meanwhile) is compared with none
            known = np.fromiter(texts, np.int64, len(texts))
            candidates = candidates[np.isin(candidates, known).all(axis=1)]
        if not len(candidates):
            return
        prints = _Fingerprints(texts)
        candidates = self._fuzzy_without_exclusions(code, candidates, prints)
        threshold = rule._match_threshold()
        rows = [
            (a, b, round(score, 4), _facts(sims), prints[a], prints[b])
            for a, b, score, sims in matcher.score_stored(
                candidates, texts, rule._match_fields(), threshold
            )
        ]
        if rows:
            self._fuzzy_insert_pairs(code, threshold, rows)

    @api.model
    def _fuzzy_without_exclusions(self, code, candidates, prints):
        """``candidates`` (see :meth:`_fuzzy_store_pairs`) but the pairs marked as not
        duplicates whose two records kept the fingerprint (``prints``) they had then."""
        excluded = self._fuzzy_exclusions(FUZZY_CHECKS[code][0], candidates)
        if not excluded:
            return candidates
        # a pair marked as not duplicates is stored lower id first, as candidates are
        marked = np.isin(matcher.pack(candidates), matcher.pack(matcher.pair_array(excluded)))
        keep = np.ones(len(candidates), dtype=bool)
        for k in np.flatnonzero(marked).tolist():
            a, b = candidates[k].tolist()
            keep[k] = excluded[a, b] != (prints[a], prints[b])
        return candidates[keep]

    @api.model
    def _fuzzy_insert_pairs(self, code, threshold, rows):
        """Insert the matched pairs ``rows`` (``(a, b, score, facts as JSON text,
        fingerprint a, fingerprint b)``) of check ``code``, one statement."""
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(
            SQL(
                """INSERT INTO crm_guardian_duplicate_pair
                          ("check", res_model, res_id, res_id_b, member_res_ids, score,
                           threshold, facts, fingerprint_a, fingerprint_b)
                   SELECT %(check)s, %(model)s, a, b, a || ',' || b, score, %(threshold)s,
                          facts::jsonb, fa, fb
                     FROM unnest(%(a)s::int[], %(b)s::int[], %(score)s::float8[],
                                 %(facts)s::text[], %(fa)s::varchar[], %(fb)s::varchar[])
                          AS t(a, b, score, facts, fa, fb)""",
                check=code,
                model=FUZZY_CHECKS[code][0],
                threshold=threshold,
                a=list(columns[0]),
                b=list(columns[1]),
                score=list(columns[2]),
                facts=list(columns[3]),
                fa=list(columns[4]),
                fb=list(columns[5]),
            )
        )

    @api.model
    def _fuzzy_exclusions(self, model, candidates):
        """``{(a, b): (fingerprint a, fingerprint b)}`` of the pairs marked as not
        duplicates, at least those among ``candidates`` (an array of two columns, lower
        id first, as the marks are stored): the marks within the bounds of the
        candidates' ids, one range of the marks' unique index (a pairs unit's higher
        ids are one id range; an array of its tens of thousands of ids cost more than
        the lookup)."""
        lows, highs = candidates[:, 0], candidates[:, 1]
        self.env.cr.execute(
            SQL(
                """SELECT res_id_a, res_id_b, fingerprint_a, fingerprint_b
                     FROM crm_guardian_duplicate_exclusion
                    WHERE res_model = %s AND res_id_a BETWEEN %s AND %s
                      AND res_id_b BETWEEN %s AND %s""",
                model,
                int(lows.min()),
                int(lows.max()),
                int(highs.min()),
                int(highs.max()),
            )
        )
        return {(a, b): (fa, fb) for a, b, fa, fb in self.env.cr.fetchall()}

    # ------------------------------------------------------------
    # GROUPS: the checks' findings
    # ------------------------------------------------------------

    def _check_company_duplicate_fuzzy(self, rule, domain, now):
        return self._fuzzy_groups("company_duplicate_fuzzy", rule, domain, now)

    def _check_contact_duplicate_fuzzy(self, rule, domain, now):
        return self._fuzzy_groups("contact_duplicate_fuzzy", rule, domain, now)

    def _check_lead_duplicate_fuzzy(self, rule, domain, now):
        return self._fuzzy_groups("lead_duplicate_fuzzy", rule, domain, now)

    @api.model
    def _fuzzy_groups(self, code, rule, domain, now):
        """One finding per group of the stored pairs whose records still match
        ``domain``, guarded against chaining (``matcher.group_pairs``: a centre matching
        every member, at most the rule's threshold of members); pairs record their
        group's finding key. Context ``guardian_fuzzy_nodes``: only the pairs of these
        records (whole components of the pairs' graph, see ``_fuzzy_regroup_scope``)."""
        model = FUZZY_CHECKS[code][0]
        cr = self.env.cr
        nodes = self.env.context.get("guardian_fuzzy_nodes")
        # the pairs of these records only (whole components: both records are in)
        within = SQL("AND res_id = ANY(%s)", list(nodes)) if nodes is not None else SQL()
        cr.execute(
            SQL(
                "SELECT res_id, res_id_b, score FROM crm_guardian_duplicate_pair "
                'WHERE "check" = %s %s',
                code,
                within,
            )
        )
        edges = {(a, b): score for a, b, score in cr.fetchall()}
        alive = self._fuzzy_alive(model, domain, {i for pair in edges for i in pair})
        edges = {pair: score for pair, score in edges.items() if set(pair) <= alive}
        groups, kept = matcher.group_pairs(edges, rule.threshold or 20)
        first = {member: group[0] for group in groups for member in group}
        # each pair of the scope: its group's key, or none (one statement: only the
        # rows whose key or flag changes are written)
        cr.execute(
            SQL(
                """UPDATE crm_guardian_duplicate_pair p
                      SET group_key = t.key, regroup = NULL
                     FROM (SELECT q.id, %(code)s || ':' || k.first AS key
                             FROM crm_guardian_duplicate_pair q
                             LEFT JOIN unnest(%(a)s::int[], %(b)s::int[], %(first)s::int[])
                                       AS k(a, b, first)
                                    ON k.a = q.res_id AND k.b = q.res_id_b
                            WHERE q."check" = %(code)s %(within)s) t
                    WHERE p.id = t.id
                      AND (p.group_key IS DISTINCT FROM t.key OR p.regroup IS NOT NULL)""",
                code=code,
                a=copy_io.int_array([a for a, _b in kept]),
                b=copy_io.int_array([b for _a, b in kept]),
                first=copy_io.int_array([first[a] for a, _b in kept]),
                within=within,
            )
        )
        return self._fuzzy_group_vals(code, model, groups, kept, rule, now)

    @api.model
    def _fuzzy_alive(self, model, domain, ids):
        """The ids among ``ids`` of the records of ``model`` that match ``domain``
        (archived ones too if it says so). The ids are one array value: a literal list
        of tens of thousands of them is slow to adapt and to plan."""
        query = self.env[model].with_context(active_test=False)._search(domain)
        query.add_where(
            SQL(
                "%s = ANY(%s::int[])",
                SQL.identifier(query.table, "id"),
                copy_io.int_array(sorted(ids)),
            )
        )
        return {record_id for (record_id,) in self.env.execute_query(query.select())}

    @api.model
    def _fuzzy_group_vals(self, code, model, groups, kept, rule, now):
        info = self._duplicate_member_info(
            model, [i for group in groups for i in group], {"created": "create_date"}
        )
        best = {}
        for (a, _b), score in kept.items():
            best[a] = max(best.get(a, 0.0), score)
        nouns = {
            "company_duplicate_fuzzy": self.env._("companies look alike"),
            "contact_duplicate_fuzzy": self.env._("contacts look alike"),
            "lead_duplicate_fuzzy": self.env._("leads look alike"),
        }
        # the stored texts name no member: a viewer may not read them all (record access)
        threshold = rule._match_threshold()
        member_field = "lead_ids" if model == "crm.lead" else "partner_ids"
        vals_list = []
        for group in groups:
            rows = [info[i] for i in group if i in info]
            created = max(row["created"] for row in rows)
            score = max(best.get(i, 0.0) for i in group)
            vals = {
                "res_id": group[0],
                "key": f"{code}:{group[0]}",
                "name": f"{len(group)} {nouns[code]}",
                "reference_date": created.date(),
                "age_days": (now.date() - created.date()).days,
                "user_id": rows[0]["user_id"] or False,
                **self._duplicate_common_values(rows),
                "threshold": rule.threshold or 20,
                "ratio": min(len(group) - 1, RATIO_CAP),
                "duplicate_key": str(group[0]),
                "member_count": len(group),
                "severity_level": len(group),
                member_field: group,
                "reason_params": {
                    "count": len(group),
                    "score": round(100 * score),
                    "match": round(100 * threshold),
                },
            }
            vals_list.append(vals)
        return vals_list


def _normalised(row, company, tag):
    """``(id, tagged keys, text)`` of a fuzzy check's row (see ``_fuzzy_normalise``): a
    tuple of the values of its columns (``FUZZY_CHECKS``). A lead without a contact
    name is compared by its company's name; a record without a phone by its mobile."""
    record_id, contact, company_name, street, street2, zip_, city, country, email, phone, mobile = (
        row
    )
    name, company_name = (contact, company_name) if contact else (company_name, None)
    values = matcher.normalise(
        name, company_name, street, street2, zip_, city, country, email, phone or mobile, company
    )
    return record_id, matcher.stored_keys(values, tag), matcher.stored_line(values)


def _facts(sims):
    """The facts of a match as stored (JSON text): each field's similarity."""
    return json.dumps({"sims": {key: round(sim, 3) for key, sim in sims.items()}})


class _Fingerprints(dict):
    """``{id: fingerprint}`` of the records stored as ``texts`` (``{id: text}``),
    each computed when first asked for (``matcher.stored_fingerprint``)."""

    def __init__(self, texts):
        super().__init__()
        self.texts = texts

    def __missing__(self, record_id):
        self[record_id] = matcher.stored_fingerprint(self.texts[record_id])
        return self[record_id]
