"""The addons served the way production runs Odoo: a multi-worker server started through
``odoo-bin`` (or the ``odoo`` script), whose websocket (gevent) process comes up and answers.

``python -m odoo`` cannot do this: in multi-worker mode Odoo respawns its websocket process
from ``sys.argv[0]``."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import websocket

import odoo
from odoo.tools import config

REPO = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_command():
    """What tools/run.sh starts (tools/lib.sh, set_odoo_server)."""
    odoo_bin = Path(odoo.__path__[0]).parent / "odoo-bin"
    if odoo_bin.is_file():
        return [sys.executable, str(odoo_bin)]
    script = shutil.which("odoo")
    assert script, "neither odoo-bin beside the odoo package nor an odoo script on PATH"
    return [script]


def _wait_for(url, deadline):
    while time.monotonic() < deadline:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        time.sleep(1)
    return None


@pytest.fixture(scope="module")
def multi_worker_server(tmp_path_factory):
    http_port, gevent_port = _free_port(), _free_port()
    log = tmp_path_factory.mktemp("server") / "odoo.log"
    command = [
        *_server_command(),
        "--addons-path",
        str(REPO),
        "--db_host",
        config["db_host"] or "localhost",
        "--db_user",
        config["db_user"],
        "--db_password",
        config["db_password"],
        "--data-dir",
        config["data_dir"],
        "-d",
        config["db_name"],
        "--db-filter",
        f"^{config['db_name']}$",
        "--workers=2",
        "--max-cron-threads=0",
        f"--http-port={http_port}",
        f"--gevent-port={gevent_port}",
        f"--logfile={log}",
    ]
    server = subprocess.Popen(command, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{http_port}"
        assert _wait_for(f"{base}/web/login", time.monotonic() + 120), log.read_text()[-4000:]
        yield base, gevent_port, log
    finally:
        # Odoo's handler wants a second signal to stop a busy server
        for _attempt in range(2):
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    continue
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_workers_serve_the_apps(multi_worker_server):
    base, _gevent_port, log = multi_worker_server
    response = requests.get(f"{base}/web/login", timeout=30)
    assert response.status_code == 200
    assert "WorkerHTTP" in log.read_text()


def test_websocket_process_answers(multi_worker_server):
    _base, gevent_port, log = multi_worker_server
    health = _wait_for(f"http://127.0.0.1:{gevent_port}/websocket/health", time.monotonic() + 60)
    assert health is not None, log.read_text()[-4000:]
    connection = websocket.create_connection(
        f"ws://127.0.0.1:{gevent_port}/websocket",
        origin=f"http://127.0.0.1:{gevent_port}",
        timeout=30,
    )
    try:
        assert connection.getstatus() == 101
    finally:
        connection.close()
    text = log.read_text()
    assert "Evented Service (longpolling) running" in text
    assert "attempted relative import" not in text
