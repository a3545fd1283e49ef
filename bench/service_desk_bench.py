"""Service Desk benchmark: data generator and measurements (not a test).

Usage (from the repository root, after tools/test.sh or tools/run.sh set things up):

    SERVICE_BENCH_DB=service_bench_1m nice python3 bench/service_desk_bench.py --jobs 1000000

It creates (or reuses) the database ``$SERVICE_BENCH_DB`` (default ``service_bench``) with
service_desk and crm, no demo data, and fills it with N jobs (each with 5 part / labour
lines, 5 checklist lines and 3 chatter messages) and, as the baseline, a CRM pipeline of N
opportunities (3 messages each). Data is written with set-based SQL (``INSERT ... SELECT
generate_series``), not the ORM: 1,000,000 jobs take minutes, not days. The jobs' and lines'
stored computed fields are written by the same SQL: one SQL function gives each line's
values *and* its amounts (subtotal, tax, total, cost, margin, computed as
``account.tax.compute_all`` does for one percent tax excluded from the price, rounded to the
currency), the jobs' totals are the sums of that function over their 5 lines, and the
checklist counters follow the lines ticked. After generating, the bench recomputes a sample
of jobs and lines with the ORM and fails if a stored value differs (``check_consistency``).

Users: one officer (all jobs; sales manager for the pipeline) and 50 technicians (own jobs
only; salespersons who see their own and the unassigned opportunities); jobs and
opportunities are spread over the technicians, 1 in 8 unassigned, so a technician has
1/50 of 7/8 of the jobs.

Then it measures, in the same run and as server time (best of 5, caches cleared), the web
client's calls for the views of the addons (the field specification is read from each
view's arch, as the web client builds it):

- kanban first load: ``web_read_group`` by stage, ``read_progress_bar`` and the first 40
  cards of every unfolded column (``web_search_read``);
- list first page: ``web_search_read`` of 80 rows with the count (limited to 10,001, as the
  list view asks);
- dashboard: the Service Desk dashboard (open stages with their open / overdue / unassigned
  counts) against the pipeline's analysis (``read_group`` by stage and salesperson);
- form: ``web_read`` of one job with its lines and checklist against one opportunity;

for the officer against the sales manager and for a technician against a salesperson, and
prints each figure with its ratio to the CRM pipeline's (target: 1x at most).
Figures go to stdout and bench/results/service-desk-<jobs>.json.
"""

import argparse
import os
import time

from bench_common import bench_env, report, timed
from lxml import etree

DB = os.environ.get("SERVICE_BENCH_DB", "service_bench")
PORT = int(os.environ.get("SERVICE_BENCH_PORT", "8279"))
TECHNICIANS = 50
TAX_PERCENT = 15.0


def best_ms(fn, repeat=5):
    return timed(fn, repeat)[0] * 1000


def step(cr, label, sql, params=None, done=None):
    """Run one generation statement, commit, and say how long it took; skipped when the
    ``done`` query finds rows (a run stopped half-way goes on where it stopped)."""
    if done:
        cr.execute(done)
        if cr.fetchone():
            print(f"data: {label}: already there")
            return
    start = time.perf_counter()
    cr.execute(sql, params)
    rows = cr.rowcount
    cr.commit()
    print(f"data: {label}: {rows} rows in {time.perf_counter() - start:.0f} s", flush=True)


def ensure_users(env):
    """The officer and the technicians (created once, with the ORM)."""
    Users = env["res.users"].with_context(no_reset_password=True, mail_create_nolog=True)
    officer = Users.search([("login", "=", "bench_officer")]) or Users.create(
        {
            "name": "Bench Officer",
            "login": "bench_officer",
            "groups_id": [
                (4, env.ref("service_desk.group_service_desk_user").id),
                (4, env.ref("sales_team.group_sale_manager").id),
            ],
        }
    )
    technicians = Users.browse()
    for i in range(TECHNICIANS):
        login = f"bench_tech_{i}"
        technicians |= Users.search([("login", "=", login)]) or Users.create(
            {
                "name": f"Bench Technician {i}",
                "login": login,
                "groups_id": [
                    (4, env.ref("service_desk.group_service_desk_own").id),
                    (4, env.ref("sales_team.group_sale_salesman").id),
                ],
            }
        )
    env.cr.commit()
    return officer, technicians


def ensure_products(env):
    """Three parts and two labour products, one sale tax (percent, excluded) if the company
    has or can have one."""
    company = env.company
    Tax = env["account.tax"]
    tax = Tax.search(
        [
            ("company_id", "=", company.id),
            ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"),
            ("amount", "=", TAX_PERCENT),
            ("price_include", "=", False),
        ],
        limit=1,
    )
    if not tax and company.account_fiscal_country_id:
        tax = Tax.create(
            {"name": f"Bench VAT {TAX_PERCENT:g}%", "amount": TAX_PERCENT, "type_tax_use": "sale"}
        )
    Product = env["product.product"]
    products = Product.browse()
    for code, name, ptype, price, cost in (
        ("BP1", "Bench Screen", "consu", 120.0, 70.0),
        ("BP2", "Bench Battery", "consu", 45.0, 21.5),
        ("BP3", "Bench Connector", "consu", 9.9, 2.35),
        ("BL1", "Bench Repair Labour", "service", 60.0, 32.0),
        ("BL2", "Bench Diagnosis Labour", "service", 40.0, 25.0),
    ):
        products |= Product.search([("default_code", "=", code)]) or Product.create(
            {
                "default_code": code,
                "name": name,
                "type": ptype,
                "list_price": price,
                "standard_price": cost,
                "taxes_id": [(6, 0, tax.ids)],
            }
        )
    env.cr.commit()
    return products, tax


def create_line_function(env, products, tax):
    """``pg_temp.bench_line(g, s)``: line ``s`` (1-5) of job number ``g``, with its amounts.

    Lines 1-3 are parts, 4-5 labour; quantities, discount and product vary with g. The
    amounts are Odoo's for these values: subtotal = round(price * (1 - disc) * qty, 2),
    tax = round(subtotal * 15 %, 2), cost = round(cost_unit * qty, 2), margin = subtotal -
    cost (checked against the ORM by ``check_consistency``)."""
    parts, labour = products[:3], products[3:]
    rows = [
        (p.id, p.uom_id.id, p.list_price, p.standard_price, p.display_name) for p in parts + labour
    ]
    values = ",".join(
        env.cr.mogrify("(%s, %s, %s, %s::numeric, %s::numeric, %s)", (i,) + row).decode()
        for i, row in enumerate(rows)
    )
    rate = TAX_PERCENT / 100.0 if tax else 0.0
    env.cr.execute(
        f"""
        CREATE OR REPLACE FUNCTION pg_temp.bench_line(g int, s int)
        RETURNS TABLE (line_type varchar, product_id int, uom_id int, name text,
                       quantity numeric, price_unit numeric, discount numeric,
                       cost_unit numeric, price_subtotal numeric, price_tax numeric,
                       price_total numeric, cost_subtotal numeric, margin numeric)
        LANGUAGE sql IMMUTABLE AS $$
            -- One SELECT without WITH: PostgreSQL inlines it in the INSERTs below.
            SELECT a.line_type, a.id, a.uom, a.name, a.qty, a.price, a.disc, a.cost,
                   a.subtotal, round(a.subtotal * {rate}, 2),
                   a.subtotal + round(a.subtotal * {rate}, 2), a.cost_subtotal,
                   a.subtotal - a.cost_subtotal
              FROM (
                SELECT l.*, round(l.price * (1 - l.disc / 100) * l.qty, 2) AS subtotal,
                       round(l.cost * l.qty, 2) AS cost_subtotal
                  FROM (
                    SELECT (CASE WHEN s <= 3 THEN 'part' ELSE 'labour' END)::varchar
                               AS line_type,
                           p.id, p.uom, p.name,
                           CASE WHEN s <= 3 THEN (1 + (g + s) % 3)::numeric
                                ELSE 0.5 * (1 + g % 4) END AS qty,
                           p.price, CASE WHEN g % 5 = 0 THEN 10.0 ELSE 0.0 END AS disc, p.cost
                      FROM (VALUES {values}) p(i, id, uom, price, cost, name)
                     WHERE p.i = CASE WHEN s <= 3 THEN (g + s) % 3 ELSE 3 + (g + s) % 2 END
                ) l
              ) a
        $$
        """
    )


def generate(env, jobs):
    cr = env.cr
    company = env.company
    officer, technicians = ensure_users(env)
    products, tax = ensure_products(env)
    create_line_function(env, products, tax)
    cr.execute(
        "SELECT 1 FROM mail_message WHERE model = 'crm.lead' AND res_id IN "
        "(SELECT max(id) FROM crm_lead WHERE name LIKE 'Bench opportunity %%')"
    )
    if cr.fetchone():
        print("data: reusing the generated jobs")
        return officer, technicians
    print(f"data: generating {jobs} jobs and {jobs} opportunities", flush=True)
    tech_ids = "ARRAY[%s]" % ",".join(map(str, technicians.ids))
    stages = env["service.stage"].search([])
    stage_ids = "ARRAY[%s]" % ",".join(map(str, stages.ids))
    closed_ids = "ARRAY[%s]::int[]" % ",".join(map(str, stages.filtered("is_closed").ids) or [])
    crm_stages = "ARRAY[%s]" % ",".join(map(str, env["crm.stage"].search([]).ids))
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %%'")
    if not cr.fetchone()[0]:
        step(
            cr,
            "customers",
            """
            INSERT INTO res_partner (name, complete_name, email, active, type, company_id,
                                     autopost_bills, create_date, write_date, create_uid,
                                     write_uid)
            SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, 'c' || g || '@bench.example',
                   true, 'contact', %s, 'no', now(), now(), 1, 1
              FROM generate_series(1, %s) g
            """,
            [company.id, max(jobs // 5, 1)],
        )
    cr.execute("SELECT min(id), max(id) FROM res_partner WHERE name LIKE 'Bench Customer %%'")
    pmin, pmax = cr.fetchone()
    # The job's amounts are the sums of its lines' (the same function gives both).
    step(
        cr,
        "jobs",
        done="SELECT 1 FROM service_job WHERE name LIKE 'BENCH/%%' LIMIT 1",
        sql=f"""
        INSERT INTO service_job (name, title, active, company_id, partner_id,
                                 commercial_partner_id, stage_id, is_closed, user_id,
                                 priority, date_deadline, item_type, item_brand,
                                 checklist_total_count, checklist_done_count,
                                 checklist_progress, amount_untaxed, amount_tax, amount_total,
                                 amount_cost, amount_margin, amount_warranty_cost,
                                 is_under_warranty, create_date, write_date, create_uid,
                                 write_uid)
        SELECT 'BENCH/' || g, 'Screen broken ' || g, true, %s,
               %s + g %% (%s - %s + 1), %s + g %% (%s - %s + 1),
               ({stage_ids})[1 + g %% array_length({stage_ids}, 1)],
               ({stage_ids})[1 + g %% array_length({stage_ids}, 1)] = ANY({closed_ids}),
               CASE WHEN g %% 8 = 0 THEN NULL
                    ELSE ({tech_ids})[1 + g %% array_length({tech_ids}, 1)] END,
               (g %% 4)::text, (now() + ((g %% 30) - 10) * interval '1 day')::date,
               'Phone', 'Brand ' || (g %% 20), 5, g %% 6, (g %% 6) * 20.0,
               t.untaxed, t.tax, t.total, t.cost, t.untaxed - t.cost, 0, false,
               now() - (g %% 200) * interval '1 day', now(), 1, 1
          FROM generate_series(1, %s) g
         CROSS JOIN LATERAL (
               SELECT sum(l.price_subtotal) AS untaxed, sum(l.price_tax) AS tax,
                      sum(l.price_total) AS total, sum(l.cost_subtotal) AS cost
                 FROM generate_series(1, 5) s, pg_temp.bench_line(g, s) l) t
        """,
        params=[company.id, pmin, pmax, pmin, pmin, pmax, pmin, jobs],
    )
    step(
        cr,
        "job lines",
        done="SELECT 1 FROM service_job_line WHERE create_uid = 1 LIMIT 1",
        sql="""
        INSERT INTO service_job_line (job_id, company_id, sequence, line_type, product_id,
                                      name, technician_id, quantity, product_uom_id,
                                      is_warranty, price_unit, technical_price_unit,
                                      discount, cost_unit,
                                      price_subtotal, price_tax, price_total, cost_subtotal,
                                      margin, qty_invoiced, create_date, write_date,
                                      create_uid, write_uid)
        SELECT j.id, j.company_id, 10 * s, l.line_type, l.product_id, l.name,
               CASE WHEN l.line_type = 'labour' THEN j.user_id END, l.quantity, l.uom_id,
               false, l.price_unit, l.price_unit, l.discount, l.cost_unit, l.price_subtotal,
               l.price_tax,
               l.price_total, l.cost_subtotal, l.margin, 0, now(), now(), 1, 1
          FROM service_job j
         CROSS JOIN generate_series(1, 5) s
         CROSS JOIN LATERAL pg_temp.bench_line(substr(j.name, 7)::int, s) l
         WHERE j.name LIKE 'BENCH/%%'
        """,
    )
    if tax:
        field = env["service.job.line"]._fields["tax_ids"]
        step(
            cr,
            "job line taxes",
            done=f"SELECT 1 FROM {field.relation} LIMIT 1",
            sql=f"""
            INSERT INTO {field.relation} ({field.column1}, {field.column2})
            SELECT id, %s FROM service_job_line WHERE create_uid = 1 AND price_tax <> 0
            """,
            params=[tax.id],
        )
    step(
        cr,
        "checklist lines",
        done="SELECT 1 FROM service_checklist_line WHERE create_uid = 1 LIMIT 1",
        sql="""
        INSERT INTO service_checklist_line (job_id, company_id, sequence, name, is_done,
                                            create_date, write_date, create_uid, write_uid)
        SELECT j.id, j.company_id, s, 'Step ' || s, s <= j.checklist_done_count,
               now(), now(), 1, 1
          FROM service_job j CROSS JOIN generate_series(1, 5) s
         WHERE j.name LIKE 'BENCH/%%'
        """,
    )
    step(
        cr,
        "opportunities",
        done="SELECT 1 FROM crm_lead WHERE name LIKE 'Bench opportunity %%' LIMIT 1",
        sql=f"""
        INSERT INTO crm_lead (name, type, active, stage_id, user_id, company_id, partner_id,
                              probability, expected_revenue, priority, date_deadline,
                              create_date, write_date, create_uid, write_uid)
        SELECT 'Bench opportunity ' || g, 'opportunity', true,
               ({crm_stages})[1 + g %% array_length({crm_stages}, 1)],
               CASE WHEN g %% 8 = 0 THEN NULL
                    ELSE ({tech_ids})[1 + g %% array_length({tech_ids}, 1)] END,
               %s, %s + g %% (%s - %s + 1), 10, 100 * (g %% 50), (g %% 4)::text,
               (now() + ((g %% 30) - 10) * interval '1 day')::date,
               now() - (g %% 200) * interval '1 day', now(), 1, 1
          FROM generate_series(1, %s) g
        """,
        params=[company.id, pmin, pmax, pmin, jobs],
    )
    for model, table, pattern in (
        ("service.job", "service_job", "BENCH/%%"),
        ("crm.lead", "crm_lead", "Bench opportunity %%"),
    ):
        step(
            cr,
            f"{model} messages",
            done=f"SELECT 1 FROM mail_message WHERE model = '{model}' LIMIT 1",
            sql=f"""
            INSERT INTO mail_message (model, res_id, message_type, body, date, author_id,
                                      create_date, write_date, create_uid, write_uid)
            SELECT %s, t.id, 'comment', '<p>Message ' || m || '</p>',
                   t.create_date + m * interval '1 hour', 3, now(), now(), 1, 1
              FROM {table} t CROSS JOIN generate_series(1, 3) m
             WHERE t.name LIKE '{pattern}'
            """,
            params=[model],
        )
    vacuum_analyze(cr)
    return officer, technicians


def vacuum_analyze(cr):
    """VACUUM ANALYZE, outside a transaction: the planner's statistics, and the visibility
    map that lets counts use index-only scans, as autovacuum gives a database in use."""
    import odoo.sql_db  # noqa: PLC0415

    start = time.perf_counter()
    with odoo.sql_db.db_connect(cr.dbname).cursor() as vacuum_cr:
        vacuum_cr._cnx.autocommit = True
        vacuum_cr.execute("VACUUM ANALYZE")
    print(f"data: vacuum analyze in {time.perf_counter() - start:.0f} s", flush=True)


def check_consistency(env, sample=200):
    """Recompute the stored amounts of a sample of generated jobs and lines with the ORM
    (rolled back) and compare them with what the SQL wrote."""
    cr = env.cr
    cr.execute(
        "SELECT id FROM service_job WHERE name LIKE 'BENCH/%%' ORDER BY random() LIMIT %s",
        [sample],
    )
    jobs = env["service.job"].browse([row[0] for row in cr.fetchall()])
    line_fields = ["price_subtotal", "price_tax", "price_total", "cost_subtotal", "margin"]
    job_fields = [
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_cost",
        "amount_margin",
        "checklist_done_count",
        "checklist_progress",
    ]
    stored_lines = {line.id: [line[f] for f in line_fields] for line in jobs.line_ids}
    stored_jobs = {job.id: [job[f] for f in job_fields] for job in jobs}
    errors = []
    # Recomputed in the cache only, never flushed: the transaction is thrown away below.
    jobs.line_ids._compute_amounts()
    jobs._compute_amounts()
    jobs._compute_checklist()
    for line in jobs.line_ids:
        computed = [line[f] for f in line_fields]
        if any(abs(a - b) > 0.005 for a, b in zip(stored_lines[line.id], computed, strict=True)):
            errors.append(("line", line.id, stored_lines[line.id], computed))
    for job in jobs:
        computed = [job[f] for f in job_fields]
        if any(abs(a - b) > 0.005 for a, b in zip(stored_jobs[job.id], computed, strict=True)):
            errors.append(("job", job.id, stored_jobs[job.id], computed))
    env.transaction.clear()
    cr.rollback()
    if errors:
        raise SystemExit(f"stored amounts differ from the ORM's: {errors[:5]}")
    print(f"data: {len(jobs)} jobs and {len(stored_lines)} lines match the ORM's amounts")


# ------------------------------------------------------------
# What the web client asks
# ------------------------------------------------------------


def spec_of(Model, arch_node, fields_info=None):
    """The web client's specification for the fields of a view (one level of sub-views)."""
    spec = {}
    for node in arch_node.iter("field"):
        # Fields of sub-views are read through their x2many field.
        parent = node.getparent()
        skip = False
        while parent is not None and parent is not arch_node:
            if parent.tag == "field":
                skip = True
                break
            parent = parent.getparent()
        if skip:
            continue
        name = node.get("name")
        field = Model._fields.get(name)
        if field is None:  # get_views already dropped the nodes of other groups
            continue
        if field.type == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            sub = node.find("list") if node.find("list") is not None else node.find("kanban")
            comodel = Model.env[field.comodel_name]
            sub_spec = spec_of(comodel, sub) if sub is not None else {"display_name": {}}
            spec[name] = {"fields": sub_spec, "limit": 40 if sub is not None else None}
            if spec[name]["limit"] is None:
                del spec[name]["limit"]
        elif field.type == "properties":
            spec[name] = {}
        else:
            spec[name] = {}
    return spec


def view_arch(Model, view_type, view_ref=None):
    view_id = Model.env.ref(view_ref).id if view_ref else False
    views = Model.get_views([(view_id, view_type)])
    return etree.fromstring(views["views"][view_type]["arch"])


def kanban_load(Model, domain, arch):
    """web_read_group by the default group, read_progress_bar, 40 cards of each open column."""
    spec = spec_of(Model, arch)
    group_by = arch.get("default_group_by")
    progress = arch.find("progressbar")
    aggregates = []
    if progress is not None:
        aggregates = [
            f"{progress.get(attr)}:sum"
            for attr in ("sum_field", "recurring_revenue_sum_field")
            if progress.get(attr)
        ]
    groups = Model.web_read_group(domain, aggregates, [group_by], lazy=True)["groups"]
    if progress is not None:
        bar = {"field": progress.get("field"), "colors": {}}
        if progress.get("sum_field"):
            bar["sum_field"] = progress.get("sum_field")
        Model.read_progress_bar(domain, group_by, bar)
    for group in groups:
        if not group.get("__fold"):
            Model.web_search_read(group["__domain"], spec, limit=40, count_limit=10001)


def list_load(Model, domain, arch):
    return Model.web_search_read(domain, spec_of(Model, arch), limit=80, count_limit=10001)


def form_load(Model, record_id, arch):
    return Model.browse(record_id).web_read(spec_of(Model, arch))


def measure_user(env, user, prefix):
    uenv = env(user=user, context={"lang": "en_US", "tz": "UTC"})
    Job, Lead, Stage = uenv["service.job"], uenv["crm.lead"], uenv["service.stage"]
    job_kanban = view_arch(Job, "kanban")
    job_list = view_arch(Job, "list")
    job_form = view_arch(Job, "form")
    lead_kanban = view_arch(Lead, "kanban", "crm.crm_case_kanban_view_leads")
    lead_list = view_arch(Lead, "list", "crm.crm_case_tree_view_oppor")
    lead_form = view_arch(Lead, "form", "crm.crm_lead_view_form")
    dashboard = view_arch(Stage, "kanban", "service_desk.service_stage_view_kanban_dashboard")
    opportunity = [("type", "=", "opportunity")]
    job_id = Job.search([], limit=1).id
    lead_id = Lead.search(opportunity, limit=1).id

    def fresh(fn):
        def run():
            uenv.invalidate_all()
            fn()

        return run

    calls = {
        "kanban_jobs": lambda: kanban_load(Job, [], job_kanban),
        "kanban_pipeline": lambda: kanban_load(Lead, opportunity, lead_kanban),
        "list_jobs": lambda: list_load(Job, [], job_list),
        "list_pipeline": lambda: list_load(Lead, opportunity, lead_list),
        "dashboard_jobs": lambda: Stage.web_search_read(
            [("is_closed", "=", False)], spec_of(Stage, dashboard)
        ),
        "dashboard_pipeline": lambda: Lead.read_group(
            opportunity,
            ["stage_id", "user_id", "expected_revenue:sum"],
            ["stage_id", "user_id"],
            lazy=False,
        ),
        "form_jobs": lambda: form_load(Job, job_id, job_form),
        "form_pipeline": lambda: form_load(Lead, lead_id, lead_form),
    }
    figures = {f"{prefix}_{name}_ms": best_ms(fresh(fn)) for name, fn in calls.items()}
    for name in ("kanban", "list", "dashboard", "form"):
        figures[f"{prefix}_{name}_ratio"] = (
            figures[f"{prefix}_{name}_jobs_ms"] / figures[f"{prefix}_{name}_pipeline_ms"]
        )
    figures[f"{prefix}_visible_jobs"] = Job.search_count([])
    figures[f"{prefix}_visible_opportunities"] = Lead.search_count(opportunity)
    return figures


def measure(env, officer, technician):
    figures = measure_user(env, officer, "officer")
    figures.update(measure_user(env, technician, "technician"))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    with bench_env(DB, "service_desk,crm", PORT) as env:
        officer, technicians = generate(env, args.jobs)
        check_consistency(env)
        if args.generate_only:
            return
        with open("/proc/loadavg") as loadavg:
            load = loadavg.read().split()[0]
        # bench_tech_1 has exactly 1 job in 50 (bench_tech_0 shares its share with the
        # unassigned jobs).
        figures = measure(env, officer, technicians[1])
    figures["jobs"] = args.jobs
    figures["load_average_1min"] = load
    report(figures, f"service-desk-{args.jobs}")


if __name__ == "__main__":
    main()
