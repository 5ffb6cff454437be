"""A real Prometheus and node-exporter on 127.0.0.1 for the tests and benches (Debian's
`prometheus` and `prometheus-node-exporter`): a throwaway config and data dir, one
exporter scraped once per node it stands for.

Each copy is the same exporter under another node's labels, as relabelling would do:
`instance` becomes that node's InternalIP:9100 and `node_uname_info{nodename}` its
name, so the console matches them exactly as it would a cluster's exporters.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tests.sshd import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"
COLLECTORS = ("cpu", "loadavg", "meminfo", "filesystem", "netdev", "uname")


def installed() -> bool:
    return Path(PROMETHEUS).is_file() and Path(NODE_EXPORTER).is_file()


def config(exporter: str, nodes: list[tuple[str, str]], scrape: float, log: Path) -> str:
    """One job scraping `exporter` once per (node name, InternalIP); "" for the IP keeps
    the exporter's own instance, "" for the name its own nodename."""
    lines = [
        "global:",
        f"  scrape_interval: {scrape * 1000:.0f}ms",  # Prometheus takes no "0.5s"
        f"  evaluation_interval: {scrape * 1000:.0f}ms",
        f"  query_log_file: {log}",
        "scrape_configs:",
        "  - job_name: node-exporter",
        "    static_configs:",
    ]
    for name, ip in nodes:
        lines += [f"      - targets: ['{exporter}']", "        labels:"]
        lines += [f"          as_node: '{name}'", f"          as_ip: '{ip}'"]
    lines += [
        "    relabel_configs:",
        "      - source_labels: [as_ip]",
        "        regex: '(.+)'",
        "        target_label: instance",
        "        replacement: '${1}:9100'",
        "    metric_relabel_configs:",
        "      - source_labels: [__name__, as_node]",
        "        regex: 'node_uname_info;(.+)'",
        "        target_label: nodename",
        "        replacement: '${1}'",
        "      - regex: 'as_node|as_ip'",
        "        action: labeldrop",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Prometheus:
    root: Path
    nodes: list[tuple[str, str]]  # (node name, InternalIP) each copy stands for
    scrape: float = 1.0
    port: int = field(default_factory=free_port)
    exporter_port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    admin_api: bool = False  # --web.enable-admin-api (the TSDB snapshot API)

    @property
    def query_log(self) -> Path:
        """Every query Prometheus answered, one JSON line each (what the server received)."""
        return self.root / "queries.log"

    def queries(self) -> list[str]:
        if not self.query_log.exists():
            return []
        lines = self.query_log.read_text().splitlines()
        return [str(orjson.loads(line)["params"]["query"]) for line in lines if line.strip()]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Prometheus:
        self.root.mkdir(parents=True, exist_ok=True)
        exporter = f"127.0.0.1:{self.exporter_port}"
        argv = [NODE_EXPORTER, f"--web.listen-address={exporter}", "--collector.disable-defaults"]
        argv += [f"--collector.{c}" for c in COLLECTORS]
        self._spawn(argv, "exporter.log")
        (self.root / "prometheus.yml").write_text(
            config(exporter, self.nodes, self.scrape, self.query_log)
        )
        self._spawn(
            [
                PROMETHEUS,
                f"--config.file={self.root / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.root / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
                *(["--web.enable-admin-api"] if self.admin_api else []),
            ],
            "prometheus.log",
        )
        return self

    def _spawn(self, argv: list[str], log: str) -> None:
        out = (self.root / log).open("ab")
        self.procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT))

    def query(self, promql: str) -> list[dict[str, object]]:
        from urllib.parse import urlencode

        url = f"{self.url}/api/v1/query?" + urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=5) as response:
            body = orjson.loads(response.read())
        result: list[dict[str, object]] = body["data"]["result"]
        return result

    def wait_ready(self, timeout: float = 60.0, rated: bool = True, kept: float = 0.0) -> None:
        """Until every copy was scraped (with `rated`, often enough for a rate; with
        `kept`, that many seconds ago already: a history to ask for)."""
        deadline = time.monotonic() + timeout
        want = len(self.nodes)
        offset = f" offset {kept:g}s" if kept else ""
        promql = (
            f"count(rate(node_cpu_seconds_total{{mode='idle',cpu='0'}}[1m]{offset}))"
            if rated
            else "count(up == 1)"
        )
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited: see {self.root}")
            with contextlib.suppress(OSError, KeyError, ValueError):
                result = self.query(promql)
                if result and int(float(result[0]["value"][1])) >= want:  # type: ignore[index]
                    return
            time.sleep(0.2)
        raise TimeoutError(f"Prometheus did not scrape {want} copies in {timeout:g}s")

    def stop_prometheus(self) -> None:
        """Prometheus down (the exporter stays)."""
        self.procs[-1].terminate()
        self.procs[-1].wait(10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
