"""Debian's real prometheus-alertmanager on 127.0.0.1, with a throwaway config and data
dir (make test installs it); alerts are posted to its API v2 as Prometheus would."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import wait_for
from tests.sshd import free_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
CONFIG = """
route:
  receiver: "null"
  group_by: [alertname, namespace]
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: "null"
"""


class Alertmanager:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "alertmanager.yml").write_text(CONFIG)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "alertmanager.log"
        self.proc = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={root / 'alertmanager.yml'}",
                f"--storage.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # one instance, no gossip port
            ],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ready, 30, "alertmanager to answer")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
        return orjson.loads(raw) if raw.strip() else None

    def fire(self, **labels: str) -> None:
        """One alert, firing now, as Prometheus posts it."""
        summary = labels.pop("summary", "")
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 120))
        alert = {"labels": labels, "annotations": {"summary": summary}, "startsAt": start}
        self.api("POST", "/api/v2/alerts", [alert])

    def silences(self) -> list[Any]:
        return list(self.api("GET", "/api/v2/silences") or [])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
