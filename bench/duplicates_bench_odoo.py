"""The Odoo side of bench/duplicates_bench.py: FEBRL loaded into a database and scanned by
the fuzzy duplicate checks end to end (``odoo``), and the timing at scale (``timing``).
See the docstring of duplicates_bench.py."""

import os
import random
import string
import time

from bench_common import bench_env

DB = os.environ.get("GUARDIAN_DUP_DB", "guardian_dup_bench")
PORT = int(os.environ.get("GUARDIAN_DUP_PORT", "8276"))
CHECKS = ("company_duplicate_fuzzy", "contact_duplicate_fuzzy", "lead_duplicate_fuzzy")
KIND_CHECK = dict(zip(("company", "contact", "lead"), CHECKS, strict=True))


def scan_in_units(env, checks):
    """Run ``checks`` as the scheduled scan does: unit by unit, each committed. Returns
    (total seconds, longest unit seconds, units, run)."""
    Scan = env["crm.guardian.scan"]
    # a run left running by an interrupted bench
    env.cr.execute("UPDATE crm_guardian_scan_run SET state = 'interrupted' WHERE state = 'running'")
    run = Scan._create_run(list(checks), env.cr.now(), "direct")
    env.cr.commit()
    total, longest, units = 0.0, 0.0, 0
    while True:
        start = time.perf_counter()
        step = Scan._scan_unit(run)
        env.cr.commit()
        elapsed = time.perf_counter() - start
        total += elapsed
        if step != "unit":
            return total, longest, units, run
        longest = max(longest, elapsed)
        units += 1


# ----------------------------------------------------------------------
# FEBRL end to end
# ----------------------------------------------------------------------


def run_odoo(dataset, crm_rows, load, scores):
    frame, truth = load(dataset)
    figures = {}
    with bench_env(DB, "crm_guardian", PORT) as env:
        env.cr.execute("DELETE FROM crm_guardian_finding")
        env.cr.execute("DELETE FROM crm_guardian_duplicate_pair")
        env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        au = env.ref("base.au").id
        rec_of = {}
        for kind in ("company", "contact", "lead"):
            rows = crm_rows(frame, kind)
            model = "crm.lead" if kind == "lead" else "res.partner"
            env.cr.execute(
                "DELETE FROM crm_lead WHERE name LIKE 'FEBRL %%'"
                if kind == "lead"
                else "UPDATE res_partner SET active = false WHERE ref = %s",
                [] if kind == "lead" else [f"febrl-{kind}"],
            )
            values = []
            for row in rows:
                address = {
                    "street": row["street"],
                    "street2": row["street2"],
                    "zip": row["zip"],
                    "city": row["city"],
                    "country_id": au,
                }
                if kind == "lead":
                    values.append(
                        {"name": f"FEBRL {row['rec_id']}", "contact_name": row["name"], **address}
                    )
                else:
                    values.append(
                        {
                            "name": row["name"],
                            "is_company": kind == "company",
                            "ref": f"febrl-{kind}",
                            **address,
                        }
                    )
            records = env[model].with_context(tracking_disable=True).create(values)
            for record, row in zip(records, rows, strict=True):
                rec_of[(model, record.id)] = row["rec_id"]
        env.cr.commit()
        seconds, _longest, _units, _run = scan_in_units(env, CHECKS)
        figures[f"{dataset}.scan_seconds"] = seconds
        for kind, check in KIND_CHECK.items():
            found = set()
            findings = env["crm.guardian.finding"].search(
                [("check", "=", check), ("state", "=", "open")]
            )
            for finding in findings:
                members = [rec_of.get((finding.res_model, i)) for i in finding._member_ids()]
                members = [m for m in members if m]
                for i, a in enumerate(members):
                    for b in members[i + 1 :]:
                        found.add(tuple(sorted((a, b))))
            result = scores(found, truth)
            for key, value in result.items():
                figures[f"{dataset}.{kind}.odoo.{key}"] = value
            print(
                f"{dataset} {kind:8} guardian in Odoo: P {result['precision']:.3f} "
                f"R {result['recall']:.3f} F1 {result['f1']:.3f}",
                flush=True,
            )
    return figures


# ----------------------------------------------------------------------
# Timing at scale
# ----------------------------------------------------------------------


def _words(rnd, count, low, high):
    words = set()
    while len(words) < count:
        length = rnd.randint(low, high)
        words.add("".join(rnd.choice(string.ascii_lowercase) for _ in range(length)).title())
    return sorted(words)


def generate(env, partners, leads):
    """``partners`` partners (half companies) and ``leads`` leads with names and Australian
    style addresses; two records in 50 are near-duplicates of the one two before (a company
    of a company; a letter of the surname changed, the street abbreviated). Set-based
    SQL."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE 'Dup bench %%'")
    if cr.fetchone()[0] >= leads:
        print(f"data: reusing {leads} generated leads")
        return
    rnd = random.Random(7)
    given = _words(rnd, 400, 4, 8)
    surnames = _words(rnd, 20000, 5, 10)
    streets = _words(rnd, 3000, 5, 11)
    cities = _words(rnd, 2000, 5, 12)
    company = env.company.id
    au = env.ref("base.au").id
    stage = env["crm.stage"].search([], limit=1).id
    print(f"data: generating {partners} partners, {leads} leads")
    # k: the record whose values this one takes (the one before, for a near-duplicate)
    common = """
        WITH v AS (SELECT g, CASE WHEN g %% 50 IN (1, 2) THEN g - 2 ELSE g END::bigint AS k
                     FROM generate_series(1, %(count)s) g),
             w AS (SELECT g, k, (%(given)s::varchar[])
                  [1 + abs(hashtext(k || 'given')) %% array_length(%(given)s, 1)] AS gn,
                          (%(surnames)s::varchar[])
                  [1 + abs(hashtext(k || 'surnames')) %% array_length(%(surnames)s, 1)] AS sn,
                          (%(streets)s::varchar[])
                  [1 + abs(hashtext(k || 'streets')) %% array_length(%(streets)s, 1)] AS st,
                          1 + abs(hashtext(k || 'num')) %% 300 AS num,
                          1000 + abs(hashtext(k || 'zip')) %% 8000 AS zip,
                          (%(cities)s::varchar[])
                  [1 + abs(hashtext(k || 'cities')) %% array_length(%(cities)s, 1)] AS city
                     FROM v),
             x AS (SELECT g, gn, CASE WHEN g <> k THEN overlay(sn placing 'q' from 3 for 1)
                                      ELSE sn END AS sn,
                          num || ' ' || st
                              || CASE WHEN g <> k THEN ' St' ELSE ' Street' END AS street,
                          zip::text AS zip, city FROM w)
    """
    params = {
        "given": given,
        "surnames": surnames,
        "streets": streets,
        "cities": cities,
        "company": company,
        "au": au,
        "stage": stage,
    }
    cr.execute(
        common
        + """
        INSERT INTO res_partner (name, complete_name, is_company, active, type, company_id,
                                 autopost_bills, street, zip, city, country_id, ref,
                                 create_date, write_date, create_uid, write_uid)
        SELECT CASE WHEN g %% 2 = 0 THEN sn || ' ' || gn || ' Pty Ltd' ELSE gn || ' ' || sn END,
               CASE WHEN g %% 2 = 0 THEN sn || ' ' || gn || ' Pty Ltd' ELSE gn || ' ' || sn END,
               g %% 2 = 0, true, 'contact', %(company)s, 'no', street, zip, city, %(au)s,
               'dup-bench', now() - interval '2 days', now() - interval '2 days', 1, 1
          FROM x""",
        {**params, "count": partners},
    )
    cr.execute(
        common
        + """
        INSERT INTO crm_lead (name, type, active, stage_id, company_id, contact_name,
                              street, zip, city, country_id, probability, priority,
                              create_date, write_date, create_uid, write_uid)
        SELECT 'Dup bench ' || g, 'lead', true, %(stage)s, %(company)s, gn || ' ' || sn,
               street, zip, city, %(au)s, 10, '0', now() - interval '2 days',
               now() - interval '2 days', 1, 1
          FROM x""",
        {**params, "count": leads},
    )
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE crm_lead")
    cr.commit()


PLAIN_READ = (
    """SELECT id, name, street, street2, zip, city, country_id, email_normalized, phone,
              mobile, is_company FROM res_partner WHERE active""",
    """SELECT id, contact_name, partner_name, street, street2, zip, city, country_id,
              email_normalized, phone, mobile FROM crm_lead WHERE active""",
)


def plain_read(env):
    rows = 0
    for query in PLAIN_READ:
        env.cr.execute(query)
        rows += len(env.cr.fetchall())
    return rows


def run_timing(partners, leads):
    figures = {"partners": partners, "leads": leads}
    with bench_env(DB, "crm_guardian", PORT) as env:
        generate(env, partners, leads)
        env.cr.execute("DELETE FROM crm_guardian_finding WHERE section = 'duplicates'")
        env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        env.cr.commit()
        best = None
        for _ in range(2):
            start = time.perf_counter()
            rows = plain_read(env)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        figures["plain_read_rows"] = rows
        figures["plain_read_s"] = best
        seconds, longest, units, run = scan_in_units(env, CHECKS)
        figures["full_scan_s"] = seconds
        figures["full_scan_ratio"] = seconds / best
        figures["full_scan_units"] = units
        figures["full_scan_longest_unit_s"] = longest
        figures["findings_created"] = sum(run.line_ids.mapped("created_count"))
        env.cr.execute("SELECT count(*) FROM crm_guardian_duplicate_pair")
        figures["pairs"] = env.cr.fetchone()[0]
        # same day: 1 % of the records change
        env.cr.execute(
            "UPDATE crm_lead SET write_date = now() WHERE id IN "
            "(SELECT id FROM crm_lead WHERE name LIKE 'Dup bench %' AND id % 100 = 7)"
        )
        env.cr.execute(
            "UPDATE res_partner SET write_date = now() WHERE id IN "
            "(SELECT id FROM res_partner WHERE ref = 'dup-bench' AND id % 100 = 7)"
        )
        env.cr.commit()
        seconds, longest, units, run = scan_in_units(env, CHECKS)
        figures["rescan_1pct_s"] = seconds
        figures["rescan_1pct_ratio"] = seconds / best
        figures["rescan_modes"] = ",".join(run.line_ids.mapped("mode"))
        figures["rescan_longest_unit_s"] = longest
    return figures
