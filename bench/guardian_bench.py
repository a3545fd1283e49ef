"""CRM Guardian benchmark: data generator and measurements (not a test).

Usage (from the repository root, after tools/test.sh or tools/run.sh set things up):

    python3 bench/guardian_bench.py --leads 100000 --partners 30000 \
        --invoices 50000 --quotations 10000

It creates (or reuses) the database ``guardian_bench`` with crm_guardian and no demo data,
fills it with generated leads, partners, quotations, invoices and chatter messages (set-based
SQL, seconds even at a million rows), then measures in the same run:

- the plain read: a SELECT of the columns the checks need, over the same tables (baseline);
  (after the full scan and the rescans, ``VACUUM ANALYZE`` of the findings, as autovacuum
  would do: the figures after it are the steady state);
- a full scan (first run, creating every finding), a rescan with nothing changed, and a
  rescan after touching 1% of the leads — as ratios to the plain read / the full scan;
- the next night's full scan (every finding a day older: its age and risk change),
  rolled back, as a ratio to the plain read;
- the dashboard counts and the first findings page (80 rows) as server time, for a manager
  and for a salesperson limited to own documents, against the first page of the CRM pipeline
  list for the same user (baseline); in a fresh process, as an Odoo worker serving them
  (``--pages-only`` measures these alone, on the findings of an earlier run).

``--cron`` runs the real scheduled scan instead, as production does: ``odoo-bin
--workers=2 --max-cron-threads=1`` with Odoo's default limits (HTTP port
``GUARDIAN_BENCH_CRON_PORT``, 8270 by default), the nightly scan made due, on no findings
(first scan), then again with the findings standing (second scan, full). It reports the
cron calls, the longest call (real and CPU time, from the scan's log line per call), the
cron worker's peak memory (RSS, sampled every second), workers killed, and each run's
duration and rows written, next to the plain read.

Figures go to stdout and bench/results/guardian-<leads>.json. Machines are noisy: compare
ratios, and run twice.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import timedelta

import psycopg2
from bench_common import (
    REPO,
    bench_env,
    cron_worker_peak_rss,
    production_server,
    report,
    stop,
    timed,
)

DB = os.environ.get("GUARDIAN_BENCH_DB", "guardian_bench")
CRON_PORT = int(os.environ.get("GUARDIAN_BENCH_CRON_PORT", "8270"))


# ----------------------------------------------------------------------
# Data generator
# ----------------------------------------------------------------------


def generate(env, leads, partners, invoices, quotations):
    """Bench data, set-based. Its dates are three hours old: data that nobody touched
    since the last scan (a same-day rescan counts a record changed from an hour before
    the last scan: see ``_scan_since``)."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE 'Bench lead %'")
    if cr.fetchone()[0] >= leads:
        print(f"data: reusing {leads} generated leads")
        return
    rnd = random.Random(42)
    company = env.company
    stages = env["crm.stage"].search([("is_won", "=", False)]).ids
    users = env["res.users"]
    for i in range(5):
        login = f"bench_sales_{i}"
        user = env["res.users"].search([("login", "=", login)])
        users |= user or env["res.users"].create(
            {
                "name": f"Bench Salesperson {i}",
                "login": login,
                "groups_id": [
                    (4, env.ref("sales_team.group_sale_salesman").id),
                    (4, env.ref("crm_guardian.group_crm_guardian_user").id),
                ],
            }
        )
    team = env["crm.team"].search([], limit=1)
    user_ids = "ARRAY[%s]" % ",".join(map(str, users.ids))
    stage_ids = "ARRAY[%s]" % ",".join(map(str, stages))
    print(
        f"data: generating {partners} partners, {leads} leads, {quotations} quotations, "
        f"{invoices} invoices"
    )
    # Partners: a fifth are companies; 1% share an email, 1% of company names collide
    # after normalisation (ACME n Ltd / Acme n Limited).
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, email, email_normalized,
                                 phone, active, type, company_id, autopost_bills,
                                 create_date, write_date, create_uid, write_uid)
        SELECT CASE WHEN g %% 5 = 0 AND g %% 100 = 0 THEN 'ACME ' || (g / 100) || ' Ltd.'
                    WHEN g %% 5 = 0 AND g %% 100 = 5 THEN 'Acme ' || ((g - 5) / 100) || ' Limited'
                    WHEN g %% 5 = 0 THEN 'Bench Company ' || g
                    ELSE 'Bench Contact ' || g END,
               'Bench partner ' || g, g %% 5 = 0,
               CASE WHEN g %% 7 = 0 THEN NULL
                    ELSE 'contact' || (CASE WHEN g %% 100 = 1 THEN g - 1 ELSE g END)
                         || '@example' || (g %% 1000) || '.com' END,
               CASE WHEN g %% 7 = 0 THEN NULL
                    ELSE 'contact' || (CASE WHEN g %% 100 = 1 THEN g - 1 ELSE g END)
                         || '@example' || (g %% 1000) || '.com' END,
               CASE WHEN g %% 3 = 0 THEN NULL ELSE '+3247' || lpad(g::text, 7, '0') END,
               true, 'contact', %s, 'no',
               (now() - interval '3 hours'), (now() - interval '3 hours'), 1, 1
          FROM generate_series(1, %s) g
        """,
        [company.id, partners],
    )
    cr.execute(
        "SELECT min(id), max(id) FROM res_partner WHERE complete_name LIKE 'Bench partner %%'"
    )
    pmin, pmax = cr.fetchone()
    # Leads: 1% share an email, 1% a phone; last stage change spread over 60 days; one
    # chatter message each (creation), a tenth with a recent message.
    cr.execute(
        f"""
        INSERT INTO crm_lead (name, type, active, stage_id, user_id, team_id, company_id,
                              partner_id, email_from, email_normalized, phone,
                              phone_sanitized, contact_name, partner_name, probability,
                              date_last_stage_update, create_date, write_date, create_uid,
                              write_uid, priority)
        SELECT 'Bench lead ' || g, CASE WHEN g %% 4 = 0 THEN 'lead' ELSE 'opportunity' END,
               true, ({stage_ids})[1 + g %% array_length({stage_ids}, 1)],
               CASE WHEN g %% 10 = 0 THEN NULL
                    ELSE ({user_ids})[1 + g %% array_length({user_ids}, 1)] END,
               %s, %s, %s + (g %% (%s - %s + 1)),
               'lead' || (CASE WHEN g %% 100 = 1 THEN g - 1 ELSE g END) || '@bench.example',
               'lead' || (CASE WHEN g %% 100 = 1 THEN g - 1 ELSE g END) || '@bench.example',
               CASE WHEN g %% 9 = 0 THEN NULL ELSE '+3248' || lpad((CASE WHEN g %% 100 = 2
                    THEN g - 1 ELSE g END)::text, 7, '0') END,
               CASE WHEN g %% 9 = 0 THEN NULL ELSE '+3248' || lpad((CASE WHEN g %% 100 = 2
                    THEN g - 1 ELSE g END)::text, 7, '0') END,
               'Contact ' || g, CASE WHEN g %% 6 = 0 THEN NULL ELSE 'Lead Co ' || g END, 10,
               (now() - interval '3 hours') - (g %% 60) * interval '1 day',
               (now() - interval '3 hours') - (g %% 90) * interval '1 day',
               (now() - interval '3 hours'), 1, 1, '0'
          FROM generate_series(1, %s) g
        """,
        [team.id or None, company.id, pmin, pmax, pmin, leads],
    )
    cr.execute(
        """
        INSERT INTO mail_message (model, res_id, message_type, body, date, author_id,
                                  create_date, write_date, create_uid, write_uid)
        SELECT 'crm.lead', id, 'notification', '<p>Lead created</p>',
               CASE WHEN id % 10 = 0 THEN (now() - interval '3 hours') - interval '1 day'
                    ELSE create_date END,
               3, (now() - interval '3 hours'), (now() - interval '3 hours'), 1, 1
          FROM crm_lead WHERE name LIKE 'Bench lead %'
        """
    )
    currency = company.currency_id.id
    cr.execute(
        """
        INSERT INTO sale_order (name, state, company_id, partner_id, partner_invoice_id,
                                partner_shipping_id, date_order, validity_date, user_id,
                                team_id, currency_id, amount_total, amount_untaxed,
                                require_signature, create_date, write_date, create_uid,
                                write_uid)
        SELECT 'BENCH/SO/' || g, CASE WHEN g %% 3 = 0 THEN 'draft' ELSE 'sent' END, %s,
               %s + (g %% (%s - %s + 1)), %s + (g %% (%s - %s + 1)),
               %s + (g %% (%s - %s + 1)),
               (now() - interval '3 hours') - (g %% 40) * interval '1 day',
               ((now() - interval '3 hours') + ((g %% 30) - 5) * interval '1 day')::date,
               %s, %s, %s,
               100 + g %% 5000, 100 + g %% 5000, g %% 2 = 0,
               (now() - interval '3 hours'), (now() - interval '3 hours'), 1, 1
          FROM generate_series(1, %s) g
        """,
        [
            company.id,
            pmin,
            pmax,
            pmin,
            pmin,
            pmax,
            pmin,
            pmin,
            pmax,
            pmin,
            rnd.choice(users.ids),
            team.id or None,
            currency,
            quotations,
        ],
    )
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    cr.execute(
        """
        INSERT INTO account_move (name, move_type, state, journal_id, company_id,
                                  currency_id, partner_id, commercial_partner_id, date,
                                  invoice_date, invoice_date_due, payment_state,
                                  amount_total, amount_residual, amount_total_signed,
                                  amount_residual_signed, invoice_user_id, auto_post,
                                  create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/INV/' || g, 'out_invoice', 'posted', %s, %s, %s,
               %s + (g %% (%s - %s + 1)), %s + (g %% (%s - %s + 1)),
               ((now() - interval '3 hours') - (g %% 120) * interval '1 day')::date,
               ((now() - interval '3 hours') - (g %% 120) * interval '1 day')::date,
               ((now() - interval '3 hours') - ((g %% 120) - 30) * interval '1 day')::date,
               CASE WHEN g %% 3 = 0 THEN 'paid' ELSE 'not_paid' END,
               100 + g %% 9000, CASE WHEN g %% 3 = 0 THEN 0 ELSE 100 + g %% 9000 END,
               100 + g %% 9000, CASE WHEN g %% 3 = 0 THEN 0 ELSE 100 + g %% 9000 END,
               %s, 'no', (now() - interval '3 hours'), (now() - interval '3 hours'), 1, 1
          FROM generate_series(1, %s) g
        """,
        [
            journal.id,
            company.id,
            currency,
            pmin,
            pmax,
            pmin,
            pmin,
            pmax,
            pmin,
            rnd.choice(users.ids),
            invoices,
        ],
    )
    # The guardian's stored name key of the generated companies (computed by the ORM).
    env.invalidate_all()
    generated = env["res.partner"].search([("complete_name", "like", "Bench partner %")])
    env.add_to_compute(env["res.partner"]._fields["guardian_name_key"], generated)
    env.flush_all()
    cr.execute("ANALYZE")
    env.cr.commit()


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------

PLAIN_READ = [
    """SELECT id, type, active, stage_id, user_id, team_id, company_id, partner_id,
              email_normalized, phone_sanitized, source_id, partner_name,
              date_last_stage_update, create_date FROM crm_lead""",
    """SELECT id, name, is_company, parent_id, email_normalized, phone, company_id, active
         FROM res_partner""",
    """SELECT id, state, date_order, validity_date, partner_id, user_id, team_id,
              company_id, amount_total, require_signature FROM sale_order""",
    """SELECT id, move_type, state, payment_state, invoice_date_due, amount_residual,
              partner_id, invoice_user_id, company_id FROM account_move""",
    """SELECT model, res_id, max(date) FROM mail_message GROUP BY model, res_id""",
]


def vacuum(env, table):
    """``VACUUM ANALYZE`` (outside a transaction: its own connection, in autocommit)."""
    from odoo.sql_db import connection_info_for  # noqa: PLC0415 (odoo set up by bench_env)

    connection = psycopg2.connect(**connection_info_for(env.cr.dbname)[1])
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        connection.close()


def measure(env, leads):
    cr = env.cr
    figures = {}

    def plain_read():
        for query in PLAIN_READ:
            cr.execute(query)
            cr.fetchall()

    figures["plain_read_s"], _ = timed(plain_read, repeat=3)
    Finding = env["crm.guardian.finding"]
    Scan = env["crm.guardian.scan"]
    # a first scan: no finding, no scan state (the rescans below are incremental)
    cr.execute("DELETE FROM crm_guardian_finding")
    cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
    env.invalidate_all()
    figures["full_scan_s"], _result = timed(Scan._scan)
    env.cr.commit()
    # what autovacuum does after such a write (dead rows of the deleted findings, the
    # visibility map of index-only scans): later figures are the steady state
    vacuum(env, "crm_guardian_finding")
    figures["findings"] = Finding.sudo().search_count([("state", "=", "open")])
    figures["rescan_unchanged_s"], _ = timed(Scan._scan)
    env.cr.commit()
    cr.execute(
        """UPDATE crm_lead SET date_last_stage_update = now(), write_date = now()
            WHERE name LIKE 'Bench lead %' AND id % 100 = 0"""
    )
    env.invalidate_all()
    figures["rescan_1pct_s"], _ = timed(Scan._scan)
    env.cr.commit()
    # the next night's full scan: every finding ages by a day (rolled back: the figures
    # below are of today)
    from odoo import fields  # noqa: PLC0415 (odoo set up by bench_env)

    tomorrow = fields.Datetime.now() + timedelta(days=1)
    figures["next_day_scan_s"], night = timed(lambda: Scan._scan(now=tomorrow))
    figures["next_day_rows_written"] = rows_written(night)
    env.cr.rollback()
    vacuum(env, "crm_guardian_finding")
    figures["full_scan_vs_plain_read"] = figures["full_scan_s"] / figures["plain_read_s"]
    figures["next_day_scan_vs_plain_read"] = figures["next_day_scan_s"] / figures["plain_read_s"]
    figures["rescan_1pct_vs_full_scan"] = figures["rescan_1pct_s"] / figures["full_scan_s"]
    figures["rescan_unchanged_vs_full_scan"] = (
        figures["rescan_unchanged_s"] / figures["full_scan_s"]
    )
    return figures


def rows_written(result):
    """Findings a scan created, updated (rewritten) or resolved, from ``_scan``'s result."""
    return sum(
        counts["created"] + counts["updated"] + counts["resolved"] for counts in result.values()
    )


def measure_next_night(env):
    """The next night's full scan on the findings standing: a full scan today first (so
    that every finding holds what this version stores; committed), then the scan of
    tomorrow, timed against the plain read, with the rows it writes (rolled back)."""
    from odoo import fields  # noqa: PLC0415 (odoo set up by bench_env)

    cr = env.cr

    def plain_read():
        for query in PLAIN_READ:
            cr.execute(query)
            cr.fetchall()

    Scan = env["crm.guardian.scan"]
    figures = {}
    cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
    env.invalidate_all()
    figures["today_scan_s"], today = timed(Scan._scan)
    figures["today_rows_written"] = rows_written(today)
    cr.commit()
    vacuum(env, "crm_guardian_finding")
    figures["plain_read_s"], _ = timed(plain_read, repeat=3)
    figures["findings"] = env["crm.guardian.finding"].search_count([("state", "=", "open")])
    tomorrow = fields.Datetime.now() + timedelta(days=1)
    figures["next_day_scan_s"], night = timed(lambda: Scan._scan(now=tomorrow))
    figures["next_day_rows_written"] = rows_written(night)
    cr.rollback()
    figures["next_day_scan_vs_plain_read"] = figures["next_day_scan_s"] / figures["plain_read_s"]
    return figures


def measure_pages(env):
    """Server time of the dashboard and of the first findings page, in ms."""
    figures = {}
    manager = env.ref("base.user_admin")
    salesperson = env["res.users"].search([("login", "=", "bench_sales_0")])
    # What the web client sends (Odoo 18 relational model, ungrouped list or kanban):
    # web_search_read with the view's fields, limit 80 (list) / 40 (kanban), the
    # default order and count_limit 10001 (it counts up to 10000 and shows "10000+").
    # The findings list: every field of the list view (optional hidden columns are
    # fetched too; company_id only for multi-company users); many2one: display_name.
    m2o = {"fields": {"display_name": {}}}
    spec = {
        "reference_date": {},
        "check": {},
        "section": {},
        "name": {},
        "partner_id": m2o,
        "user_id": m2o,
        "team_id": m2o,
        "age_days": {},
        "threshold": {},
        "currency_id": m2o,
        "amount": {},
        "risk_score": {},
        "reason": {},
        "has_open_activity": {},
        "dismiss_until": {},
        "state": {},
        "can_schedule_activity": {},
    }
    # the dashboard: kanban of the section cards
    card_spec = {
        "color": {},
        "name": {},
        "description": {},
        "open_count_label": {},
        "high_risk_count_label": {},
    }
    lead_spec = {
        "name": {},
        "stage_id": m2o,
        "user_id": m2o,
        "expected_revenue": {},
    }
    for label, user in (("manager", manager), ("salesperson", salesperson)):
        uenv = env(user=user, context={"lang": "en_US", "bin_size": True})

        def dashboard(uenv=uenv):
            uenv.invalidate_all()
            return uenv["crm.guardian.section"].web_search_read(
                [], card_spec, limit=40, order="", count_limit=10001
            )

        def first_page(uenv=uenv):
            uenv.invalidate_all()
            return uenv["crm.guardian.finding"].web_search_read(
                [("state", "=", "open")], spec, limit=80, order="", count_limit=10001
            )

        def pipeline_page(uenv=uenv):
            uenv.invalidate_all()
            return uenv["crm.lead"].web_search_read(
                [("type", "=", "opportunity")], lead_spec, limit=80, order="", count_limit=10001
            )

        figures[f"dashboard_{label}_ms"] = timed(dashboard, repeat=5)[0] * 1000
        figures[f"first_page_{label}_ms"] = timed(first_page, repeat=5)[0] * 1000
        figures[f"pipeline_page_{label}_ms"] = timed(pipeline_page, repeat=5)[0] * 1000
    return figures


# ----------------------------------------------------------------------
# The scheduled scan in a multi-worker server (--cron)
# ----------------------------------------------------------------------

CALL_LINE = re.compile(
    r"CRM Guardian scan run (\d+): (\d+) units in this call, ([\d.]+) s real, ([\d.]+) s CPU"
)


def measure_cron(env):
    """Two nightly scans by the real cron worker: the first (no finding), the second
    (findings standing, rules' scan state cleared: a full pass)."""
    cr = env.cr
    figures = {}

    def plain_read():
        for query in PLAIN_READ:
            cr.execute(query)
            cr.fetchall()

    figures["plain_read_s"], _ = timed(plain_read, repeat=3)
    cr.execute("DELETE FROM crm_guardian_finding")
    cr.execute("DELETE FROM crm_guardian_scan_run")
    cr.commit()
    vacuum(env, "crm_guardian_finding")
    for label in ("first", "second"):
        cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        cr.commit()
        run = cron_scan(env, label)
        figures.update({f"{label}_{key}": value for key, value in run.items()})
        figures[f"{label}_scan_vs_plain_read"] = run["run_s"] / figures["plain_read_s"]
    return figures


def cron_scan(env, label):
    """Make the nightly scan due, serve the database with ``odoo-bin`` as production
    does, wait for the run to end; the figures of the run and of its calls."""
    cr = env.cr
    cron = env.ref("crm_guardian.ir_cron_crm_guardian_scan")
    cr.execute(
        """UPDATE ir_cron SET active = true, failure_count = 0, first_failure_date = NULL,
                  nextcall = (now() at time zone 'UTC') - interval '1 minute', lastcall = NULL
            WHERE id = %s""",
        [cron.id],
    )
    cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM crm_guardian_scan_run")
    last_run = cr.fetchone()[0]
    cr.commit()
    log = REPO / ".odoo" / f"cron-{DB}-{label}.log"
    server = production_server(DB, CRON_PORT, log)
    started = time.time()
    try:
        peak_rss, state = watch_run(env, server, last_run, log)
    finally:
        stop(server)
    figures = run_figures(env, last_run)
    figures.update(call_figures(log.read_text()))
    figures["state"] = state
    figures["peak_cron_worker_rss_mb"] = peak_rss / 2**20
    figures["wall_s"] = time.time() - started
    return figures


def watch_run(env, server, last_run, log, timeout=3 * 3600):
    """Sample the cron workers' memory (their pids from the log) every second until the
    run after ``last_run`` ends; returns the peak RSS and the run's state."""
    from odoo.sql_db import connection_info_for  # noqa: PLC0415 (odoo set up by bench_env)

    connection = psycopg2.connect(**connection_info_for(env.cr.dbname)[1])
    connection.autocommit = True
    peak, state, deadline = 0, None, time.time() + timeout
    try:
        while time.time() < deadline and server.poll() is None:
            time.sleep(1)
            peak = cron_worker_peak_rss(log.read_text() if log.exists() else "", peak)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT state FROM crm_guardian_scan_run WHERE id > %s ORDER BY id LIMIT 1",
                    [last_run],
                )
                row = cursor.fetchone()
            state = row and row[0]
            if state and state != "running":
                break
    finally:
        connection.close()
    return peak, state


def run_figures(env, last_run):
    cr = env.cr
    cr.rollback()  # a fresh snapshot
    cr.execute(
        """SELECT r.id, EXTRACT(EPOCH FROM r.finished - r.started), r.calls, r.units,
                  COALESCE(SUM(l.created_count), 0), COALESCE(SUM(l.updated_count), 0),
                  COALESCE(SUM(l.resolved_count), 0), COALESCE(SUM(l.records_read), 0)
             FROM crm_guardian_scan_run r JOIN crm_guardian_scan_run_line l ON l.run_id = r.id
            WHERE r.id > %s GROUP BY r.id ORDER BY r.id LIMIT 1""",
        [last_run],
    )
    run_id, duration, calls, units, created, updated, resolved, read = cr.fetchone()
    return {
        "run_id": run_id,
        "run_s": float(duration or 0),
        "run_calls": calls,
        "units": units,
        "rows_written": int(created + updated + resolved),
        "created": int(created),
        "updated": int(updated),
        "resolved": int(resolved),
        "records_read": int(read),
    }


def call_figures(log_text):
    calls = [
        (int(units), float(real), float(cpu))
        for _run, units, real, cpu in CALL_LINE.findall(log_text)
    ]
    return {
        "calls": len(calls),
        "calls_with_units": sum(1 for units, _real, _cpu in calls if units),
        "longest_call_real_s": max((real for _u, real, _c in calls), default=0.0),
        "longest_call_cpu_s": max((cpu for _u, _r, cpu in calls), default=0.0),
        "workers_killed": log_text.count("timeout after"),
        "cpu_limit_reached": log_text.count("CPU time limit"),
        "memory_limit_reached": log_text.count("virtual memory limit"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=30_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--quotations", type=int, default=10_000)
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="measure the dashboard and the first page only, on the findings of an earlier "
        "run (a fresh process, as an Odoo worker serving them)",
    )
    parser.add_argument(
        "--cron",
        action="store_true",
        help="run the real scheduled scan in a multi-worker odoo-bin with default limits",
    )
    parser.add_argument(
        "--next-night",
        action="store_true",
        help="on the findings of an earlier run: the next night's scan, its time and the "
        "rows it writes",
    )
    args = parser.parse_args()

    if args.next_night:
        with bench_env(DB, "crm_guardian", 8269) as env:
            report(measure_next_night(env), f"guardian-{args.leads}-next-night")
        return

    if args.cron:
        with bench_env(DB, "crm_guardian", 8269) as env:
            generate(env, args.leads, args.partners, args.invoices, args.quotations)
            env.cr.commit()
            figures = measure_cron(env)
        figures.update(vars(args))
        report(figures, f"guardian-{args.leads}-cron")
        return
    if args.pages_only:
        with bench_env(DB, "crm_guardian", 8269) as env:
            report(measure_pages(env), f"guardian-{args.leads}-pages")
        return
    with bench_env(DB, "crm_guardian", 8269) as env:
        generate(env, args.leads, args.partners, args.invoices, args.quotations)
        figures = measure(env, args.leads)
    # The pages are served by an Odoo worker, not by the process that ran the scans
    # (its Python heap of millions of objects slows every garbage collection: pages
    # measured there took up to 4 times longer).
    subprocess.run(
        [sys.executable, __file__, "--pages-only", "--leads", str(args.leads)], check=True
    )
    pages = REPO / "bench" / "results" / f"guardian-{args.leads}-pages.json"
    figures.update(json.loads(pages.read_text()))
    figures.update(vars(args))
    report(figures, f"guardian-{args.leads}")


if __name__ == "__main__":
    main()
