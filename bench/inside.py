"""make bench: inside the cluster. A probe's round trip by exec (the websocket upgrade,
the command, the status channel) against the same exec through kubectl; port-forward
throughput (MB/s) through the API against a direct socket to the same little HTTP app
on this machine. Printed, not asserted: the issue sets no goal for them."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

ROUNDS = 20
SIZE = 64 * 1024 * 1024


def fetch(port: int, n: int) -> float:
    """Seconds to GET n bytes from 127.0.0.1:port."""
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/bytes?n={n}", timeout=60) as r:
        while r.read(1 << 20):
            pass
    return time.perf_counter() - started


def main() -> int:
    from tui.demo import start_demo
    from tui.demo.execs import app_for
    from tui.sources.client import Kube
    from tui.sources.podexec import exec_command
    from tui.sources.portforward import Forwarder

    work = Path(tempfile.mkdtemp(prefix="ic-inside-"))
    emulator, demo, kubeconfig = start_demo(kubeconfig=work / "kubeconfig")
    try:
        kube = Kube.from_kubeconfig(str(kubeconfig), None)
        pods = kube.json("GET", "/api/v1/namespaces/default/pods")["items"]
        pod = next(p for p in pods if p["metadata"]["name"].startswith("api-enrichment-"))
        name = pod["metadata"]["name"]
        argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "localhost:8080/health"]
        ours = [exec_command(kube, "default", name, argv).seconds for _ in range(ROUNDS)]
        print("inside the cluster (the demo's API on 127.0.0.1)")
        median, p95 = statistics.median(ours) * 1000, sorted(ours)[int(ROUNDS * 0.95) - 1] * 1000
        print(f"  probe by exec, round trip       median {median:6.1f} ms   p95 {p95:6.1f} ms")
        if shutil.which("kubectl"):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                words = ["exec", "-n", "default", name, "--", *argv]
                subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *words],
                               capture_output=True, check=True)  # fmt: skip
                times.append(time.perf_counter() - started)
            kubectl_ms = statistics.median(times) * 1000
            print(f"  kubectl exec (process included) median {kubectl_ms:6.1f} ms")
        forwards = Forwarder(kube)
        fwd = forwards.open("pod", "default", name, 8080)
        fetch(fwd.local_port, 1 << 20)  # warm
        through = min(fetch(fwd.local_port, SIZE) for _ in range(3))
        direct_server = ThreadingHTTPServer(("127.0.0.1", 0), app_for(pod))
        threading.Thread(target=direct_server.serve_forever, daemon=True).start()
        direct = min(fetch(direct_server.server_address[1], SIZE) for _ in range(3))
        direct_server.shutdown()
        mb = SIZE / 1e6
        print(
            f"  port-forward throughput         {mb / through:8.1f} MB/s  ({mb:.0f} MB, best of 3)"
        )
        print(f"  direct socket, same app         {mb / direct:8.1f} MB/s  "
              f"(port-forward at {100 * direct / through:.0f} % of it)")  # fmt: skip
        forwards.close_all()
        kube.close()
    finally:
        demo.stop()
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
