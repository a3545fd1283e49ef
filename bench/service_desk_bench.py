"""Service Desk benchmark: data generator and measurements (not a test).

Usage (from the repository root, after tools/test.sh or tools/run.sh set things up):

    python3 bench/service_desk_bench.py --jobs 100000

It creates (or reuses) the database ``service_bench`` with service_desk and crm, no demo
data, and fills it with N jobs (each with 5 checklist lines and 3 chatter messages) and, as
the baseline, a CRM pipeline of N opportunities (3 messages each). Then it measures, in the
same run and as server time, for an officer (all jobs / all leads):

- kanban first load: the grouped read by stage plus the first 40 cards of every column;
- list first page: 80 rows with their display fields;
- dashboard: the stage cards with their open / overdue / unassigned counts (against a
  read_group of the pipeline by stage and salesperson);

and prints each figure with its ratio to the CRM pipeline's (target: 2x at most).
Figures go to stdout and bench/results/service-desk-<jobs>.json.
"""

import argparse
import os

from bench_common import bench_env, report, timed

DB = os.environ.get("SERVICE_BENCH_DB", "service_bench")


def best_ms(fn, repeat=5):
    return timed(fn, repeat)[0] * 1000


def generate(env, jobs):
    cr = env.cr
    cr.execute("SELECT count(*) FROM service_job WHERE name LIKE 'BENCH/%'")
    if cr.fetchone()[0] >= jobs:
        print(f"data: reusing {jobs} generated jobs")
        return
    print(f"data: generating {jobs} jobs and {jobs} opportunities")
    company = env.company
    technicians = env["res.users"]
    for i in range(10):
        login = f"bench_tech_{i}"
        technicians |= env["res.users"].search([("login", "=", login)]) or env["res.users"].create(
            {
                "name": f"Bench Technician {i}",
                "login": login,
                "groups_id": [
                    (4, env.ref("service_desk.group_service_desk_user").id),
                    (4, env.ref("sales_team.group_sale_salesman_all_leads").id),
                ],
            }
        )
    tech_ids = "ARRAY[%s]" % ",".join(map(str, technicians.ids))
    stages = env["service.stage"].search([])
    stage_ids = "ARRAY[%s]" % ",".join(map(str, stages.ids))
    closed_ids = "ARRAY[%s]::int[]" % ",".join(map(str, stages.filtered("is_closed").ids) or [])
    crm_stages = "ARRAY[%s]" % ",".join(map(str, env["crm.stage"].search([]).ids))
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, email, active, type, company_id,
                                 autopost_bills, create_date, write_date, create_uid, write_uid)
        SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, 'c' || g || '@bench.example',
               true, 'contact', %s, 'no', now(), now(), 1, 1
          FROM generate_series(1, %s) g
        """,
        [company.id, max(jobs // 5, 1)],
    )
    cr.execute("SELECT min(id), max(id) FROM res_partner WHERE name LIKE 'Bench Customer %'")
    pmin, pmax = cr.fetchone()
    cr.execute(
        f"""
        INSERT INTO service_job (name, title, active, company_id, partner_id,
                                 commercial_partner_id, stage_id, is_closed, user_id,
                                 priority, date_deadline, item_type, item_brand,
                                 checklist_total_count, checklist_done_count,
                                 checklist_progress, create_date, write_date, create_uid,
                                 write_uid)
        SELECT 'BENCH/' || g, 'Screen broken ' || g, true, %s,
               %s + g %% (%s - %s + 1), %s + g %% (%s - %s + 1),
               ({stage_ids})[1 + g %% array_length({stage_ids}, 1)],
               ({stage_ids})[1 + g %% array_length({stage_ids}, 1)] = ANY({closed_ids}),
               CASE WHEN g %% 8 = 0 THEN NULL
                    ELSE ({tech_ids})[1 + g %% array_length({tech_ids}, 1)] END,
               (g %% 4)::text, (now() + ((g %% 30) - 10) * interval '1 day')::date,
               'Phone', 'Brand ' || (g %% 20), 5, g %% 6, (g %% 6) * 20.0,
               now() - (g %% 200) * interval '1 day', now(), 1, 1
          FROM generate_series(1, %s) g
        """,
        [company.id, pmin, pmax, pmin, pmin, pmax, pmin, jobs],
    )
    cr.execute(
        """
        INSERT INTO service_checklist_line (job_id, company_id, sequence, name, is_done,
                                            create_date, write_date, create_uid, write_uid)
        SELECT j.id, j.company_id, s, 'Step ' || s, s <= j.checklist_done_count,
               now(), now(), 1, 1
          FROM service_job j CROSS JOIN generate_series(1, 5) s
         WHERE j.name LIKE 'BENCH/%'
        """
    )
    cr.execute(
        f"""
        INSERT INTO crm_lead (name, type, active, stage_id, user_id, company_id, partner_id,
                              probability, priority, date_deadline, create_date, write_date,
                              create_uid, write_uid)
        SELECT 'Bench opportunity ' || g, 'opportunity', true,
               ({crm_stages})[1 + g %% array_length({crm_stages}, 1)],
               CASE WHEN g %% 8 = 0 THEN NULL
                    ELSE ({tech_ids})[1 + g %% array_length({tech_ids}, 1)] END,
               %s, %s + g %% (%s - %s + 1), 10, (g %% 4)::text,
               (now() + ((g %% 30) - 10) * interval '1 day')::date,
               now() - (g %% 200) * interval '1 day', now(), 1, 1
          FROM generate_series(1, %s) g
        """,
        [company.id, pmin, pmax, pmin, jobs],
    )
    for model, table, pattern in (
        ("service.job", "service_job", "BENCH/%"),
        ("crm.lead", "crm_lead", "Bench opportunity %"),
    ):
        cr.execute(
            f"""
            INSERT INTO mail_message (model, res_id, message_type, body, date, author_id,
                                      create_date, write_date, create_uid, write_uid)
            SELECT %s, t.id, 'comment', '<p>Message ' || m || '</p>',
                   t.create_date + m * interval '1 hour', 3, now(), now(), 1, 1
              FROM {table} t CROSS JOIN generate_series(1, 3) m
             WHERE t.name LIKE %s
            """,
            [model, pattern],
        )
    cr.execute("ANALYZE")
    env.cr.commit()


def kanban_load(env, model, group_field, spec):
    Model = env[model]
    groups = Model.web_read_group([], [group_field], [group_field])["groups"]
    for group in groups:
        value = group[group_field]
        stage_id = value[0] if value else False
        Model.web_search_read([(group_field, "=", stage_id)], spec, limit=40)


def measure(env):
    officer = env["res.users"].search([("login", "=", "bench_tech_0")])
    uenv = env(user=officer)
    job_spec = {
        "name": {},
        "title": {},
        "partner_id": {"fields": {"display_name": {}}},
        "stage_id": {"fields": {"display_name": {}}},
        "user_id": {"fields": {"display_name": {}}},
        "priority": {},
        "date_deadline": {},
        "checklist_progress": {},
        "activity_state": {},
    }
    lead_spec = {
        "name": {},
        "partner_id": {"fields": {"display_name": {}}},
        "stage_id": {"fields": {"display_name": {}}},
        "user_id": {"fields": {"display_name": {}}},
        "priority": {},
        "date_deadline": {},
        "probability": {},
        "activity_state": {},
    }
    figures = {}

    def fresh(fn):
        def run():
            uenv.invalidate_all()
            fn()

        return run

    figures["kanban_jobs_ms"] = best_ms(
        fresh(lambda: kanban_load(uenv, "service.job", "stage_id", job_spec))
    )
    figures["kanban_pipeline_ms"] = best_ms(
        fresh(lambda: kanban_load(uenv, "crm.lead", "stage_id", lead_spec))
    )
    figures["list_jobs_ms"] = best_ms(
        fresh(lambda: uenv["service.job"].web_search_read([], job_spec, limit=80))
    )
    figures["list_pipeline_ms"] = best_ms(
        fresh(lambda: uenv["crm.lead"].web_search_read([], lead_spec, limit=80))
    )
    figures["dashboard_jobs_ms"] = best_ms(
        fresh(
            lambda: (
                uenv["service.stage"]
                .search([])
                .read(["open_job_count", "overdue_job_count", "unassigned_job_count"])
            )
        )
    )
    figures["dashboard_pipeline_ms"] = best_ms(
        fresh(
            lambda: uenv["crm.lead"].read_group(
                [],
                ["stage_id", "user_id", "expected_revenue:sum"],
                ["stage_id", "user_id"],
                lazy=False,
            )
        )
    )
    for name in ("kanban", "list", "dashboard"):
        figures[f"{name}_ratio"] = figures[f"{name}_jobs_ms"] / figures[f"{name}_pipeline_ms"]
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    with bench_env(DB, "service_desk,crm", 8279) as env:
        generate(env, args.jobs)
        figures = measure(env)
    figures["jobs"] = args.jobs
    report(figures, f"service-desk-{args.jobs}")


if __name__ == "__main__":
    main()
