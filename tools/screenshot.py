"""Screenshots of the running Odoo for the README: python3 tools/screenshot.py URL_PATH OUT.png

Logs in as admin/admin on http://localhost:8069 (tools/run.sh), opens URL_PATH in headless
Chromium through the DevTools protocol and saves a PNG. Needs Debian's chromium and the
websocket-client package (both installed by the README commands).
"""

import base64
import json
import subprocess
import sys
import tempfile
import time

import requests
import websocket

BASE = "http://localhost:8069"


def main(path, out, width=1400, height=900):
    session = requests.Session()
    page = session.get(f"{BASE}/web/login", timeout=30).text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    session.post(
        f"{BASE}/web/login",
        data={"login": "admin", "password": "admin", "csrf_token": csrf},
        timeout=30,
    )
    sid = session.cookies["session_id"]
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
            "--remote-debugging-port=9333",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                targets = requests.get("http://127.0.0.1:9333/json", timeout=2).json()
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
        call("Network.setCookie", name="session_id", value=sid, domain="localhost", path="/")
        call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        call("Page.navigate", url=f"{BASE}{path}")
        time.sleep(8)  # the web client loads its assets and data
        data = call("Page.captureScreenshot", format="png")["data"]
        with open(out, "wb") as image:
            image.write(base64.b64decode(data))
        ws.close()
    finally:
        chrome.terminate()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
