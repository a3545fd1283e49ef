"""Service Desk customer-side benchmark: tracking page and job sheets (not a test).

Usage (from the repository root, after tools/test.sh or tools/run.sh set things up):

    python3 bench/service_desk_customer_bench.py --jobs 50 --clients 8 --seconds 10

It creates (or reuses) the database ``sd_bench`` with service_desk and repair, no demo data,
generates ``--jobs`` service jobs and as many repair orders, starts an Odoo server on
loopback, then measures in the same run:

(a) the direct tracking link (GET ``/service/track/<id>/<key>``) with ``--clients`` concurrent
    clients for ``--seconds`` against ``/web/login`` (GET) under the same load, in alternating
    windows: requests per second of each and their ratio (target: >= 0.8);
(b) rendering ``--jobs`` job sheets as one PDF against Odoo's repair order report for as many
    repair orders: seconds of each and their ratio (target: <= 1.5). With a wkhtmltopdf
    built on unpatched Qt (Debian's), which renders one document per call, the batch is
    timed as HTML and ten single-record PDFs of each report are timed instead.

Figures go to stdout and bench/results/service-desk-customer-<jobs>.json.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
import urllib.request

from bench_common import REPO, bench_env, report, timed

DB = os.environ.get("SD_CUSTOMER_BENCH_DB", "sd_bench")
PORT = 8289


def generate(env, count):
    Job = env["service.job"]
    jobs = Job.search([("title", "=like", "BENCH %")], limit=count)
    if len(jobs) < count:
        partner = env["res.partner"].create({"name": "Bench Customer", "email": "b@example.com"})
        jobs |= Job.create(
            [
                {
                    "partner_id": partner.id,
                    "title": f"BENCH {i}",
                    "item_type": "Phone",
                    "item_brand": "Acme",
                    "item_model": "X1",
                    "item_serial": f"SER{i:06d}",
                    "description": "<p>Screen broken</p>",
                    "customer_note": "<p>Ready next week</p>",
                }
                for i in range(len(jobs), count)
            ]
        )
    Repair = env["repair.order"]
    repairs = Repair.search([("internal_notes", "=", "BENCH")], limit=count)
    if len(repairs) < count:
        partner = env["res.partner"].search([("name", "=", "Bench Customer")], limit=1)
        product = env["product.product"].create({"name": "Bench Phone", "type": "consu"})
        repairs |= Repair.create(
            [
                {"partner_id": partner.id, "product_id": product.id, "internal_notes": "BENCH"}
                for _i in range(len(repairs), count)
            ]
        )
    env["ir.config_parameter"].set_param("web.base.url", f"http://127.0.0.1:{PORT}")
    env["ir.config_parameter"].set_param("service_desk.public_tracking", "True")
    env.cr.commit()  # pylint: disable=invalid-commit (the server process must see the data)
    return jobs, repairs


def load(url, clients, seconds):
    """Requests per second of ``clients`` threads fetching ``url`` for ``seconds``."""
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(index):
        while time.perf_counter() < stop:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                assert response.status == 200, response.status
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def start_server(workers):
    config_file = REPO / ".odoo" / f"bench-{DB}.conf"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "-c",
            str(config_file),
            "-d",
            DB,
            f"--http-port={PORT}",
            "--http-interface=127.0.0.1",
            f"--workers={workers}",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        cwd=REPO,
    )
    for _i in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/login", timeout=5):
                return server
        except OSError:
            time.sleep(1)
    server.terminate()
    raise RuntimeError("the bench server did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=0, help="Odoo HTTP workers (0: threaded)")
    args = parser.parse_args()
    figures = {}
    with bench_env(DB, "service_desk,repair", PORT) as env:
        jobs, repairs = generate(env, args.jobs)
        job = jobs[0]
        track_url = f"http://127.0.0.1:{PORT}/service/track/{job.id}/{job.tracking_key}"
        server = start_server(args.workers)
        try:
            load(track_url, args.clients, 1)  # warm-up (templates, assets)
            load(f"http://127.0.0.1:{PORT}/web/login", args.clients, 1)
            # alternate short windows of each URL: a shared machine's load drifts, and
            # both then see the same drift
            rounds = 4
            track, login = [], []
            for _round in range(rounds):
                track.append(load(track_url, args.clients, args.seconds / rounds))
                login.append(
                    load(f"http://127.0.0.1:{PORT}/web/login", args.clients, args.seconds / rounds)
                )
            figures["tracking_rps"] = sum(track) / rounds
            figures["web_login_rps"] = sum(login) / rounds
            Report = env["ir.actions.report"]
            try:
                figures["job_sheets_s"] = timed(
                    lambda: Report._render_qweb_pdf(
                        "service_desk.action_report_service_job", jobs.ids
                    ),
                    2,
                )[0]
                figures["repair_orders_s"] = timed(
                    lambda: Report._render_qweb_pdf(
                        "repair.action_report_repair_order", repairs.ids
                    ),
                    2,
                )[0]
            except Exception as error:
                # Debian's wkhtmltopdf (unpatched Qt) takes one input document only, and
                # Odoo passes one per record: time the HTML of the batch, and PDFs of
                # single records (the first ten of each report), one after the other
                print(f"PDF batch unavailable: {error!r}; timing HTML and single-record PDFs")
                sample = min(10, len(jobs))

                def each_pdf(report_ref, ids):
                    return lambda: [Report._render_qweb_pdf(report_ref, [i]) for i in ids]

                figures["job_sheet_pdfs_each_s"] = timed(
                    each_pdf("service_desk.action_report_service_job", jobs.ids[:sample])
                )[0]
                figures["repair_order_pdfs_each_s"] = timed(
                    each_pdf("repair.action_report_repair_order", repairs.ids[:sample])
                )[0]
                figures["job_sheets_html_s"] = timed(
                    lambda: Report._render_qweb_html(
                        "service_desk.action_report_service_job", jobs.ids
                    ),
                    2,
                )[0]
                figures["repair_orders_html_s"] = timed(
                    lambda: Report._render_qweb_html(
                        "repair.action_report_repair_order", repairs.ids
                    ),
                    2,
                )[0]
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures["tracking_ratio"] = figures["tracking_rps"] / figures["web_login_rps"]
    if "job_sheets_s" in figures:
        figures["job_sheet_ratio"] = figures["job_sheets_s"] / figures["repair_orders_s"]
    else:
        figures["job_sheet_html_ratio"] = (
            figures["job_sheets_html_s"] / figures["repair_orders_html_s"]
        )
        figures["job_sheet_pdf_each_ratio"] = (
            figures["job_sheet_pdfs_each_s"] / figures["repair_order_pdfs_each_s"]
        )
    figures.update(jobs=args.jobs, clients=args.clients, seconds=args.seconds)
    report(figures, f"service-desk-customer-{args.jobs}")


if __name__ == "__main__":
    main()
