"""Maintenance plans benchmark: the scheduled action over N due plans (not a test).

Usage (from the repository root, on a database with service_desk installed, e.g. the one
tools/test.sh created):

    python3 bench/service_maintenance_plan_bench.py -c .odoo/test-<db>.conf -d <db> --plans 100000

It creates N plans due today (customers without an email: the planned-visit email is
measured apart, on ``--mail`` plans of customers with one), runs the scheduled action's
calls until no plan is left, as Odoo's cron would call it, and prints the times. Everything
is rolled back at the end: the database is left as it was.
"""

import argparse
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--mail", type=int, default=500)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    import odoo  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        Plan = env["service.maintenance.plan"]
        Plan.search([]).active = False  # only the generated plans are due
        start = time.monotonic()
        partners = env["res.partner"].create([{"name": f"Bench {i}"} for i in range(1000)])
        mail_partners = env["res.partner"].create(
            [{"name": f"Mail {i}", "email": f"bench{i}@example.com"} for i in range(100)]
        )
        for low in range(0, args.plans, 5000):
            Plan.create(
                [
                    {"name": f"Plan {i}", "partner_id": partners[i % 1000].id, "lead_days": 0}
                    for i in range(low, min(args.plans, low + 5000))
                ]
            )
            env.invalidate_all()
        print(f"{args.plans} plans created in {time.monotonic() - start:.1f} s", flush=True)

        calls, created = 0, 0
        start, cpu = time.monotonic(), time.process_time()
        while Plan.search_count(Plan._due_domain(odoo.fields.Date.context_today(Plan))):
            created += Plan.with_context(tracking_disable=False)._cron_create_due_jobs(
                batch_size=args.batch
            )
            calls += 1
        spent, cpu = time.monotonic() - start, time.process_time() - cpu
        print(
            f"scheduled action: {created} jobs in {spent:.1f} s ({cpu:.1f} s CPU of Odoo's"
            f" process) over {calls} call(s), {1000 * spent / max(created, 1):.2f} ms per job"
        )
        assert created == args.plans, "one job per plan"

        if args.mail:
            Plan.search([]).active = False
            Plan.create(
                [
                    {"name": f"Mail {i}", "partner_id": mail_partners[i % 100].id, "lead_days": 0}
                    for i in range(args.mail)
                ]
            )
            start, cpu = time.monotonic(), time.process_time()
            created = Plan.with_context(tracking_disable=False)._cron_create_due_jobs(
                batch_size=args.batch
            )
            spent, cpu = time.monotonic() - start, time.process_time() - cpu
            mails = env["mail.mail"].search_count([("subject", "ilike", "maintenance visit")])
            print(
                f"with the email: {created} jobs, {mails} emails queued in {spent:.1f} s"
                f" ({cpu:.1f} s CPU), {1000 * spent / max(created, 1):.2f} ms per job"
            )
        cr.rollback()


if __name__ == "__main__":
    main()
