import io
import json

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import duplicate_matcher as matcher
from .crm_guardian_scan import RATIO_CAP

# The fuzzy duplicate checks: {code: (model, base domain, company names, columns)}.
# Columns map the matcher's keys to fields (``_fetch_rows``).
_PARTNER_COLUMNS = {
    "id": "id",
    "name": "name",
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


# The tag of each check's blocking keys in crm.guardian.duplicate.block: keys are unique
# per check, so the key alone is indexed (narrow, see the block model)
KEY_TAGS = {
    "company_duplicate_fuzzy": "C",
    "contact_duplicate_fuzzy": "P",
    "lead_duplicate_fuzzy": "L",
}
# COPY's text format: these characters of a key (an email may hold them) are escaped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# Records of a fuzzy check's first unit of a pass (the next ones adapt to its speed, see
# crm.guardian.scan _next_chunk_size): a record costs about 0.3 ms in a full pass and
# 2 ms in a same-day rescan (its keys and pairs replaced in the big tables; measured at
# 1.3 million records, README)
FIRST_CHUNK_FULL = 5000
FIRST_CHUNK_CHANGED = 1000


class CrmGuardianScan(models.AbstractModel):
    """The fuzzy duplicate checks: companies, individual contacts and leads that look
    alike by name and address (and email, phone), found by blocking keys and scored by
    ``tools/duplicate_matcher.py``, grouped with a guard against chaining.

    A full pass is a series of units over id ranges, like the record checks: each unit
    stores its records' blocking keys (``crm.guardian.duplicate.block``) and compares
    them with the records of lower ids sharing a key, storing the pairs that match
    (``crm.guardian.duplicate.pair``, with the facts of the match); the last unit
    groups the pairs into findings. A same-day rescan compares only the changed records
    against their blocks, then regroups. The method and its figures: README, "Fuzzy
    duplicates".
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
        code, now = line.check, line.run_id.scan_date
        model = FUZZY_CHECKS[code][0]
        rules = self._check_rules(code)
        domain = self._fuzzy_domain(code, rules)
        if line.since and self._fuzzy_keys_lost(code):
            line.write({"since": False, "mode": "full", "cursor_id": 0})
        if not line.chunk_size:
            # the first unit's size, from which the next ones adapt (see _scan_unit)
            line.chunk_size = FIRST_CHUNK_CHANGED if line.since else FIRST_CHUNK_FULL
        if not rules:
            high, read = None, 0
            self._fuzzy_reset(code)
        elif line.since:
            high, read = self._fuzzy_compare_changed(
                code,
                rules[0],
                domain,
                line.since,
                line.cursor_id,
                line.chunk_size,
            )
        else:
            if not line.cursor_id:
                self._fuzzy_reset(code)
            high, read = self._next_range(model, line.cursor_id, line.chunk_size)
            id_range = [("id", ">", line.cursor_id)] + ([("id", "<=", high)] if high else [])
            self._fuzzy_compare_range(code, rules[0], expression.AND([domain, id_range]))
        counts = {"created": 0, "updated": 0, "resolved": 0, "reopened": 0}
        if high is None:
            vals_list = self._run_check(code, rules[:1], domain, now) if rules else []
            counts = self._sync_findings(code, vals_list, now, scope=None)
            line.write({"state": "done", "finished": fields.Datetime.now()})
            self._store_scan_state(
                rules, line.signature, now, line.pass_started, full=line.mode == "full"
            )
        line.cursor_id = line.max_id if high is None else high
        return {
            "records_read": read,
            "created_count": counts["created"],
            "updated_count": counts["updated"],
            "resolved_count": counts["resolved"],
            "reopened_count": counts["reopened"],
        }

    @api.model
    def _fuzzy_keys_lost(self, code):
        """Whether the check has no blocking key stored (the unlogged table was emptied
        by a crash, or never filled): a same-day rescan must then be a full pass."""
        self.env.cr.execute(
            SQL(
                'SELECT NOT EXISTS (SELECT 1 FROM crm_guardian_duplicate_block WHERE "check" = %s)',
                code,
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
    def _fuzzy_reset(self, code):
        """Start a full pass: forget the check's keys and pairs."""
        for table in ("crm_guardian_duplicate_block", "crm_guardian_duplicate_pair"):
            self.env.cr.execute(
                SQL('DELETE FROM %s WHERE "check" = %s', SQL.identifier(table), code)
            )

    @api.model
    def _fuzzy_prepared(self, code, domain):
        """``{id: prepared record}`` of the records of ``domain`` (one query)."""
        model, _base, company, columns = FUZZY_CHECKS[code]
        rows = self.with_context(active_test=False)._fetch_rows(model, domain, columns)
        prepared = {}
        for row in rows:
            row["phone"] = row["phone"] or row.pop("mobile", None)
            if "contact" in row:
                row["name"] = row["contact"] or row["company"]
                row["company"] = row["company"] if row["contact"] else None
            prepared[row["id"]] = matcher.prepare(row, company)
        return prepared

    @api.model
    def _fuzzy_compare_range(self, code, rule, domain):
        """A unit of a full pass: key the records of ``domain`` (an id range) and compare
        each with the records of lower ids sharing a block."""
        prepared = self._fuzzy_prepared(code, domain)
        self._fuzzy_store_keys(code, prepared)
        candidates = self._fuzzy_candidates(code, prepared, lower_only=True)
        self._fuzzy_store_pairs(code, rule, candidates, prepared)
        return len(prepared)

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
        cr.execute(
            SQL(
                'DELETE FROM crm_guardian_duplicate_block WHERE "check" = %s AND res_id = ANY(%s)',
                code,
                changed,
            )
        )
        cr.execute(
            SQL(
                'DELETE FROM crm_guardian_duplicate_pair WHERE "check" = %s '
                "AND (res_id = ANY(%s) OR res_id_b = ANY(%s))",
                code,
                changed,
                changed,
            )
        )
        prepared = self._fuzzy_prepared(code, expression.AND([domain, [("id", "in", changed)]]))
        self._fuzzy_store_keys(code, prepared)
        candidates = self._fuzzy_candidates(code, prepared, lower_only=False)
        self._fuzzy_store_pairs(code, rule, candidates, prepared)
        return high, len(changed)

    @api.model
    def _fuzzy_store_keys(self, code, prepared):
        """Store the blocking keys of ``prepared``, tagged with the check's tag
        (``COPY`` in text format: one round trip)."""
        lines = []
        for record_id, record in prepared.items():
            suffix = f"\t{record_id}\n"
            lines.extend(
                # an email key may hold what COPY must see escaped
                f"{code}\t{key.translate(_COPY_ESCAPES) if key[1] == 'e' else key}{suffix}"
                for key in self._fuzzy_keys(code, record)
            )
        self.env.cr.copy_expert(
            'COPY crm_guardian_duplicate_block ("check", key, res_id) FROM STDIN',
            io.StringIO("".join(lines)),
        )

    @api.model
    def _fuzzy_keys(self, code, record):
        """The stored form of ``record``'s blocking keys: tagged with the check's tag
        (cached on the prepared record)."""
        if "tagged_keys" not in record:
            tag = KEY_TAGS[code]
            record["tagged_keys"] = [tag + key for key in matcher.block_keys(record)]
        return record["tagged_keys"]

    @api.model
    def _fuzzy_candidates(self, code, prepared, lower_only):
        """``{(a, b)}`` (``a < b``): the records of ``prepared`` and those sharing one of
        their blocks of at most ``matcher.BLOCK_CAP`` records (with lower ids only when
        ``lower_only``: each pair of a full pass is compared once). One query: the
        members of the small blocks among the records' keys."""
        keys = {key for record in prepared.values() for key in self._fuzzy_keys(code, record)}
        if not keys:
            return set()
        self.env.cr.execute(
            SQL(
                """SELECT array_agg(res_id) FROM crm_guardian_duplicate_block
                    WHERE key = ANY(%s)
                    GROUP BY key HAVING COUNT(*) BETWEEN 2 AND %s""",
                sorted(keys),
                matcher.BLOCK_CAP,
            )
        )
        pairs = set()
        for (members,) in self.env.cr.fetchall():
            for mine in members:
                if mine not in prepared:
                    continue
                for other in members:
                    if other < mine or (other > mine and not lower_only):
                        pairs.add((other, mine) if other < mine else (mine, other))
        return pairs

    @api.model
    def _fuzzy_store_pairs(self, code, rule, candidates, prepared):
        """Score the candidate pairs (records not in ``prepared`` are read) and store those
        at or above the rule's threshold, but the pairs marked as not duplicates whose
        records kept their compared values."""
        if not candidates:
            return
        model = FUZZY_CHECKS[code][0]
        missing = {i for pair in candidates for i in pair} - set(prepared)
        if missing:
            prepared = {
                **prepared,
                **self._fuzzy_prepared(code, [("id", "in", sorted(missing))]),
            }
        excluded = self._fuzzy_exclusions(model, prepared)
        threshold = rule._match_threshold()
        compared = rule._match_fields()
        rows = []
        for a, b in candidates:
            if a not in prepared or b not in prepared:
                continue
            first, second = prepared[a], prepared[b]
            prints = (matcher.fingerprint(first), matcher.fingerprint(second))
            if excluded.get((a, b)) == prints:
                continue
            score, sims = matcher.compare(first, second, compared, threshold)
            if score >= threshold:
                sims = {key: round(sim, 3) for key, sim in sims.items()}
                rows.append((a, b, round(score, 4), json.dumps({"sims": sims}), *prints))
        if not rows:
            return
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
                model=model,
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
    def _fuzzy_exclusions(self, model, prepared):
        """``{(a, b): (fingerprint a, fingerprint b)}`` of the pairs among ``prepared``
        marked as not duplicates."""
        self.env.cr.execute(
            SQL(
                """SELECT res_id_a, res_id_b, fingerprint_a, fingerprint_b
                     FROM crm_guardian_duplicate_exclusion
                    WHERE res_model = %s AND res_id_a = ANY(%s)""",
                model,
                list(prepared),
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
        group's finding key."""
        model = FUZZY_CHECKS[code][0]
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT res_id, res_id_b, score FROM crm_guardian_duplicate_pair "
                'WHERE "check" = %s',
                code,
            )
        )
        edges = {(a, b): score for a, b, score in cr.fetchall()}
        ids = sorted({i for pair in edges for i in pair})
        alive = set(
            self.env[model]
            .with_context(active_test=False)
            ._search(expression.AND([domain, [("id", "in", ids)]]))
        )
        edges = {pair: score for pair, score in edges.items() if set(pair) <= alive}
        groups, kept = matcher.group_pairs(edges, rule.threshold or 20)
        keys = {}
        for group in groups:
            for member in group:
                keys[member] = f"{code}:{group[0]}"
        cr.execute(
            SQL('UPDATE crm_guardian_duplicate_pair SET group_key = NULL WHERE "check" = %s', code)
        )
        if kept:
            cr.execute(
                SQL(
                    """UPDATE crm_guardian_duplicate_pair p SET group_key = t.key
                         FROM unnest(%s::int[], %s::varchar[]) AS t(a, key)
                        WHERE p."check" = %s AND p.res_id = t.a""",
                    [a for a, _b in kept],
                    [keys[a] for a, _b in kept],
                    code,
                )
            )
        return self._fuzzy_group_vals(code, model, groups, kept, rule, now)

    @api.model
    def _fuzzy_group_vals(self, code, model, groups, kept, rule, now):
        member_ids = [i for group in groups for i in group]
        columns = {
            "id": "id",
            "user_id": "user_id",
            "company_id": "company_id",
            "partner_id": "partner_id" if model == "crm.lead" else "id",
            "created": "create_date",
        }
        if "team_id" in self.env[model]._fields:
            columns["team_id"] = "team_id"
        info = {
            row["id"]: row
            for row in self.with_context(active_test=False)._fetch_rows(
                model, [("id", "in", member_ids)], columns
            )
        }
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
