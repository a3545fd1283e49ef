"""Screenshots of the running Odoo for the README and for reviews:

    python3 tools/screenshot.py URL_PATH OUT.png [--base URL] [--login L --password P]
                                                 [--anonymous] [--width W] [--height H]

Logs in (admin/admin by default) on http://localhost:8069 (tools/run.sh), opens URL_PATH in
headless Chromium through the DevTools protocol and saves a PNG. ``--anonymous`` opens the page
as a visitor; ``--width 390 --height 844`` is a phone. Several can run at once (each Chromium
takes a free debugging port). Needs Debian's chromium and the websocket-client package (both
installed by the README commands).
"""

import argparse
import base64
import json
import socket
import subprocess
import tempfile
import time

import requests
import websocket


def login(base, user, password):
    """The session id of ``user`` on the server at ``base``."""
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    session.post(
        f"{base}/web/login",
        data={"login": user, "password": password, "csrf_token": csrf},
        timeout=30,
    )
    return session.cookies["session_id"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(path, out, base, sid=None, width=1400, height=900):
    debug_port = free_port()
    profile = tempfile.mkdtemp()
    chrome = subprocess.Popen(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={debug_port}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                targets = requests.get(f"http://127.0.0.1:{debug_port}/json", timeout=2).json()
                break
            except requests.RequestException:
                time.sleep(0.2)
        target = next(t for t in targets if t["type"] == "page")
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60)
        counter = iter(range(1, 1000))

        def call(method, **params):
            message_id = next(counter)
            ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
            while True:
                answer = json.loads(ws.recv())
                if answer.get("id") == message_id:
                    return answer.get("result", {})

        call("Network.enable")
        if sid:
            host = base.split("//", 1)[1].split(":", 1)[0].split("/", 1)[0]
            call("Network.setCookie", name="session_id", value=sid, domain=host, path="/")
        call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        call("Page.navigate", url=f"{base}{path}")
        time.sleep(8)  # the web client loads its assets and data
        data = call("Page.captureScreenshot", format="png")["data"]
        with open(out, "wb") as image:
            image.write(base64.b64decode(data))
        ws.close()
    finally:
        chrome.terminate()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--base", default="http://localhost:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--anonymous", action="store_true")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    session_id = None if args.anonymous else login(args.base, args.login, args.password)
    main(args.path, args.out, args.base, session_id, args.width, args.height)
