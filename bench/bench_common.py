"""What both benchmarks share: the database, an environment on it, timing, the report."""

import json
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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
