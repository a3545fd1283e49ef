"""Read replica check: which PostgreSQL server serves each customer-facing page (not a test).

Usage (from the repository root, as root, after tools/test.sh or tools/run.sh set things up):

    python3 bench/replica_check.py [--requests 5]

1. Makes a streaming replica of the local PostgreSQL 15 cluster (``main``): a second cluster
   ``replica`` on port 5433, filled by ``pg_basebackup -R`` (a copy of the whole cluster: a
   minute or more), dropped at the end unless ``--keep``.
2. Creates (or reuses) the database ``sd_replica`` with service_desk, no demo data, and one
   customer with a portal login, a job and its tracking link.
3. Starts ``odoo-bin --workers=2`` with ``--db_replica_host``/``--db_replica_port`` on
   loopback, as production would run it behind a replica.
4. Requests each page ``--requests`` times and counts, on each server, the transactions of the
   database (``pg_stat_database``: ``xact_commit + xact_rollback``) that these requests added
   (less what the counting itself adds, measured the same way with no request): pages declared
   ``readonly=True`` are served by the replica, the others by the primary.

Figures go to stdout and bench/results/replica-check.json.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import requests
from bench_common import REPO, bench_env, report

DB = os.environ.get("SD_REPLICA_DB", "sd_replica")
PORT = 8389
REPLICA_PORT = 5433
PORTAL_LOGIN, PORTAL_PASSWORD = "replica_portal", "replica_portal"


def as_postgres(command):
    subprocess.run(["su", "postgres", "-c", command], check=True)


def ensure_replica():
    """A hot standby of cluster 15/main on REPLICA_PORT, streaming from it."""
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    if " replica " not in clusters:
        as_postgres(f"pg_createcluster 15 replica -p {REPLICA_PORT} >/dev/null")
        data = Path("/var/lib/postgresql/15/replica")
        shutil.rmtree(data)
        as_postgres(f"pg_basebackup -D {data} -R -X stream -c fast")
    if f"{REPLICA_PORT} online" not in subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True
    ).stdout.replace("  ", " "):
        subprocess.run(["pg_ctlcluster", "15", "replica", "start"], check=False)


def prepare(env):
    """A customer with a portal login and a job: the pages to request."""
    user = env["res.users"].search([("login", "=", PORTAL_LOGIN)])
    if not user:
        user = env["res.users"].create(
            {
                "name": "Replica Customer",
                "login": PORTAL_LOGIN,
                "password": PORTAL_PASSWORD,
                "email": "replica.customer@example.com",
                "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
    Job = env["service.job"]
    job = Job.search([("partner_id", "=", user.partner_id.id)], limit=1)
    if not job:
        job = Job.create({"partner_id": user.partner_id.id, "title": "Replica check job"})
    env["ir.config_parameter"].set_param("web.base.url", f"http://127.0.0.1:{PORT}")
    env.cr.commit()
    tracking_path = job.tracking_url.split(str(PORT), 1)[1] if job.tracking_url else None
    return {
        "tracking search form": ("anonymous", "/service/track"),
        "tracking link": ("anonymous", tracking_path),
        "portal job list": ("portal", "/my/service_jobs"),
        "portal job page": ("portal", f"/my/service_jobs/{job.id}"),
        "job sheet (portal)": ("portal", f"/my/service_jobs/{job.id}?report_type=html"),
    }


def transactions(port):
    """Transactions of DB on the server at ``port`` so far."""
    conn = psycopg2.connect(
        dbname="postgres", host="localhost", port=port, user="odoo", password="odoo"
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT pg_stat_clear_snapshot()")
            cr.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                (DB,),
            )
            return cr.fetchone()[0]
    finally:
        conn.close()


def settle():
    # an idle backend (Odoo keeps its connections) flushes its statistics after 10 s
    time.sleep(11)


def start_server(config_file):
    odoo_bin = Path(__import__("odoo").__path__[0]).parent / "odoo-bin"
    command = [sys.executable, str(odoo_bin)] if odoo_bin.is_file() else ["odoo"]
    server = subprocess.Popen(
        [
            *command,
            "-c",
            str(config_file),
            "-d",
            DB,
            "--workers=2",
            "--max-cron-threads=0",
            f"--http-port={PORT}",
            f"--gevent-port={PORT + 3}",
            "--db_replica_host=localhost",
            f"--db_replica_port={REPLICA_PORT}",
            "--log-level=warn",
        ],
        start_new_session=True,
    )
    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{PORT}/web/login", timeout=5).ok:
                return server
        except requests.RequestException:
            time.sleep(1)
    raise RuntimeError("the server did not start")


def stop_server(server):
    for _ in range(2):
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue


def portal_session():
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{PORT}/web/login", timeout=30).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    session.post(
        f"http://127.0.0.1:{PORT}/web/login",
        data={"login": PORTAL_LOGIN, "password": PORTAL_PASSWORD, "csrf_token": csrf},
        timeout=30,
    )
    return session


def measure(pages, count):
    sessions = {"anonymous": requests.Session(), "portal": portal_session()}
    figures = {}

    def deltas(action):
        settle()
        before = transactions(5432), transactions(REPLICA_PORT)
        action()
        settle()
        after = transactions(5432), transactions(REPLICA_PORT)
        return after[0] - before[0], after[1] - before[1]

    idle = deltas(lambda: None)
    for label, (who, path) in pages.items():
        if path is None:
            continue
        statuses = set()

        def request_page(who=who, path=path, statuses=statuses):
            for _ in range(count):
                response = sessions[who].get(f"http://127.0.0.1:{PORT}{path}", timeout=60)
                statuses.add(response.status_code)

        primary, replica = deltas(request_page)
        figures[f"{label}: status"] = ",".join(map(str, sorted(statuses)))
        figures[f"{label}: primary"] = primary - idle[0]
        figures[f"{label}: replica"] = replica - idle[1]
        served_by = "replica" if replica - idle[1] >= count else "primary"
        figures[f"{label}: served by"] = served_by
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the replica cluster")
    args = parser.parse_args()
    with bench_env(DB, "service_desk", PORT) as env:
        pages = prepare(env)
    ensure_replica()
    try:
        time.sleep(2)  # the replica replays what was just committed
        server = start_server(REPO / ".odoo" / f"bench-{DB}.conf")
        try:
            figures = measure(pages, args.requests)
        finally:
            stop_server(server)
    finally:
        if not args.keep:
            as_postgres("pg_dropcluster --stop 15 replica")
    report(figures, "replica-check")


if __name__ == "__main__":
    main()
