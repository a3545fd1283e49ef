"""What both benchmarks share: the database, an environment on it, timing, the report."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
# odoo-bin, not "python -m odoo": in multi-worker mode Odoo respawns its websocket
# process from sys.argv[0]
ODOO_BIN = os.environ.get("ODOO_BIN", "/opt/odoo18/odoo-bin")
CRON_WORKER = re.compile(r"Worker WorkerCron \((\d+)\) alive")


@contextmanager
def bench_env(db, addons, port):
    """A superuser environment on ``db``, created once with ``addons`` and no demo data."""
    config_file = REPO / ".odoo" / f"bench-{db}.conf"
    subprocess.run(
        [
            "bash",
            "-c",
            f"source {REPO}/tools/lib.sh && ensure_postgres && "
            f"write_config {config_file} {db} {port} && "
            f"(db_exists {db} || {sys.executable} -m odoo -c {config_file} -d {db} "
            f"-i {addons} --without-demo=all --stop-after-init --no-http --log-level=warn)",
        ],
        check=True,
        cwd=REPO,
    )
    import odoo  # noqa: PLC0415 (imported once the database exists)
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", str(config_file), "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def timed(fn, repeat=1):
    """Best wall time of ``repeat`` runs, in seconds, and the last result."""
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def report(figures, name):
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:36} {value:12.3f}" if isinstance(value, float) else f"{key:36} {value}")


def production_server(db, port, log):
    """Serve ``db`` as production does: ``odoo-bin --workers=2 --max-cron-threads=1`` with
    Odoo's default limits (those of the bench's configuration file), logging to ``log``."""
    log.unlink(missing_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            ODOO_BIN,
            "-c",
            str(REPO / ".odoo" / f"bench-{db}.conf"),
            "-d",
            db,
            "--workers=2",
            "--max-cron-threads=1",
            f"--http-port={port}",
            f"--gevent-port={port + 3}",
            f"--logfile={log}",
            "--log-level=info",
        ]
    )


def cron_worker_peak_rss(log_text, peak=0):
    """The largest resident memory of ``peak`` and of the cron workers alive now (their
    pids from the server's log)."""
    for pid in set(CRON_WORKER.findall(log_text)):
        try:
            peak = max(peak, psutil.Process(int(pid)).memory_info().rss)
        except psutil.Error:
            continue
    return peak


def stop(server):
    """Odoo's signal handler needs a second SIGTERM to stop a busy server."""
    for _attempt in range(2):
        if server.poll() is not None:
            return
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            continue
    server.kill()
    server.wait()
