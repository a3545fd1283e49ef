"""Maintenance plans' scheduled action in a production-like server (not a test).

Usage (from the repository root):

    nice python3 bench/service_maintenance_plan_cron_bench.py --plans 100000

It (re)creates the database ``PLAN_CRON_BENCH_DB`` (default ``h_i23c_plan_cron``) with
service_desk and no demo data, inserts N plans due today (set-based SQL, 1,000 customers
without an email), makes the scheduled action *Service Desk: create jobs of maintenance plans*
due and serves the database with ``odoo-bin --workers=2 --max-cron-threads=1`` and Odoo's
default limits (HTTP port ``PLAN_CRON_BENCH_PORT``, 8301 by default), as production does. It
waits for the run to complete, then makes the action due again (a second run, which must
create nothing). For each run it reports the cron calls and the longest call (from Odoo's
"Job ... done in" log lines), the jobs created, plans left, the cron worker's peak memory and
workers killed. Figures go to stdout and bench/results/plan-cron-<plans>.json.
"""

import argparse
import os
import re
import subprocess
import time

from bench_common import REPO, bench_env, cron_worker_peak_rss, production_server, report, stop

DB = os.environ.get("PLAN_CRON_BENCH_DB", "h_i23c_plan_cron")
PORT = int(os.environ.get("PLAN_CRON_BENCH_PORT", "8301"))
CRON_XMLID = "service_desk.ir_cron_service_maintenance_plan"
CREATED_LINE = re.compile(r"Maintenance plans: (\d+) served, (\d+) jobs created, (\d+) left\.")


def insert_plans(env, count):
    """``count`` monthly plans due today, spread over 1,000 customers (no email)."""
    cr = env.cr
    partners = env["res.partner"].create([{"name": f"Bench {i}"} for i in range(1000)])
    cr.execute(
        """INSERT INTO service_maintenance_plan
               (name, active, company_id, partner_id, commercial_partner_id, interval_number,
                interval_unit, next_date, lead_days, job_create_date, create_uid, write_uid,
                create_date, write_date)
           SELECT 'Bench plan ' || n, true, %(company)s, p.id, p.id, 1, 'months',
                  CURRENT_DATE, 0, CURRENT_DATE, 1, 1, now() at time zone 'UTC',
                  now() at time zone 'UTC'
             FROM generate_series(0, %(count)s - 1) n
             JOIN unnest(%(partners)s::int[]) WITH ORDINALITY p(id, i) ON p.i = n %% 1000 + 1""",
        {"company": env.company.id, "count": count, "partners": partners.ids},
    )
    cr.execute("ANALYZE service_maintenance_plan")
    cr.commit()


def make_due(env):
    cr = env.cr
    cron = env.ref(CRON_XMLID)
    cr.execute(
        """UPDATE ir_cron SET active = true, failure_count = 0, first_failure_date = NULL,
                  nextcall = (now() at time zone 'UTC') - interval '1 minute', lastcall = NULL
            WHERE id = %s""",
        [cron.id],
    )
    cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
    cr.commit()
    return cron


def count_state(env):
    cr = env.cr
    cr.rollback()  # a fresh snapshot
    cr.execute("SELECT count(*) FROM service_job WHERE maintenance_plan_id IS NOT NULL")
    jobs = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM service_maintenance_plan"
        " WHERE active AND job_create_date <= CURRENT_DATE"
    )
    return jobs, cr.fetchone()[0]


def cron_run(env, label, timeout):
    """Serve the database with odoo-bin until the action's run completes; its figures."""
    cron = make_due(env)
    jobs_before, _due = count_state(env)
    log = REPO / ".odoo" / f"plan-cron-{DB}-{label}.log"
    server = production_server(DB, PORT, log)
    started = time.time()
    completed = re.compile(rf"Job '[^']*' \({cron.id}\) completed")
    peak, deadline, text = 0, started + timeout, ""
    try:
        while time.time() < deadline and server.poll() is None:
            time.sleep(1)
            text = log.read_text() if log.exists() else ""
            peak = cron_worker_peak_rss(text, peak)
            if completed.search(text):
                break
    finally:
        stop(server)
    text = log.read_text()
    calls = [float(s) for s in re.findall(rf"Job '[^']*' \({cron.id}\) done in ([\d.]+)s", text)]
    jobs_after, due = count_state(env)
    return {
        f"{label}_completed": bool(completed.search(text)),
        f"{label}_wall_s": time.time() - started,
        f"{label}_calls": len(calls),
        f"{label}_longest_call_s": max(calls, default=0.0),
        f"{label}_calls_s": sum(calls),
        f"{label}_jobs_created": jobs_after - jobs_before,
        f"{label}_jobs_created_logged": sum(int(c) for _s, c, _l in CREATED_LINE.findall(text)),
        f"{label}_plans_left": due,
        f"{label}_peak_cron_worker_rss_mb": peak / 2**20,
        f"{label}_workers_killed": text.count("timeout after") + text.count("CPU time limit"),
        f"{label}_errors": len(re.findall(r" (ERROR|CRITICAL) ", text)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--timeout", type=int, default=3 * 3600, help="seconds per run")
    args = parser.parse_args()
    subprocess.run(
        ["bash", "-c", f"source {REPO}/tools/lib.sh && drop_db {DB}"], check=True, cwd=REPO
    )
    with bench_env(DB, "service_desk", PORT) as env:
        start = time.monotonic()
        insert_plans(env, args.plans)
        figures = {"plans": args.plans, "insert_plans_s": time.monotonic() - start}
        figures.update(cron_run(env, "first", args.timeout))
        figures.update(cron_run(env, "second", 600))
    report(figures, f"plan-cron-{args.plans}")
    assert figures["first_jobs_created"] == args.plans, "one job per plan"
    assert figures["second_jobs_created"] == 0, "a second run creates nothing"


if __name__ == "__main__":
    main()
