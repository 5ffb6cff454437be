"""A bench cluster in its own process: N realistic pods (~3 KB of JSON each), optional churn.

    python -m bench.server --pods 10000 --kubeconfig PATH
Prints the server URL, then reads commands on stdin: `churn RATE` (pod and event
changes per second), `logs RATE`, `quiet`, `slow SECONDS` (every request answered that
late, the watches cut so they must ask again), `down` / `up` (the API server killed, then
back on the same port), `stop`.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from tui.demo.apiserver import Emulator
from tui.demo.state import Cluster, now_rfc3339

NAMESPACES = [f"team-{i:02d}" for i in range(40)]


def realistic_pod(i: int, ns: str) -> dict[str, Any]:
    app = f"svc-{i % 500:03d}"
    name = f"{app}-{random.randbytes(4).hex()[:10]}-{random.randbytes(3).hex()[:5]}"
    started = now_rfc3339(time.time() - random.uniform(3600, 86400 * 30))
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {
                "app": app,
                "app.kubernetes.io/name": app,
                "app.kubernetes.io/part-of": "platform",
                "pod-template-hash": "7d9f8c6b5",
                "team": ns,
            },
            "annotations": {
                "kubectl.kubernetes.io/restartedAt": started,
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9090",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{app}-7d9f8c6b5",
                    "uid": "0b7d0c8e-5a3c-4a1e-9b1d-2f6f0a6c1e11",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": f"node-{i % 20:02d}",
            "serviceAccountName": "default",
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "containers": [
                {
                    "name": app,
                    "image": f"registry.example.com/platform/{app}:1.{i % 30}.{i % 7}",
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "env": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {
                            "name": "KAFKA_BOOTSTRAP",
                            "value": "mercurious-cluster-kafka-bootstrap.kafka:9092",
                        },
                        {
                            "name": "POD_NAME",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                        },
                    ],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/health", "port": 8080},
                        "periodSeconds": 10,
                        "timeoutSeconds": 1,
                    },
                    "volumeMounts": [
                        {
                            "name": "kube-api-access",
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            "readOnly": True,
                        }
                    ],
                }
            ],
            "volumes": [
                {
                    "name": "kube-api-access",
                    "projected": {
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                        ]
                    },
                }
            ],
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
        },
        "status": {
            "phase": "Running",
            "qosClass": "Burstable",
            "hostIP": f"10.0.0.{i % 20 + 10}",
            "podIP": f"10.42.{i // 250 % 250}.{i % 250}",
            "startTime": started,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": started}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": app,
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "image": f"registry.example.com/platform/{app}:1.{i % 30}.{i % 7}",
                    "imageID": "registry.example.com/platform/app@sha256:"
                    + random.randbytes(32).hex(),
                    "containerID": "containerd://" + random.randbytes(32).hex(),
                    "lastState": {},
                    "state": {"running": {"startedAt": started}},
                }
            ],
        },
    }


def seed(cluster: Cluster, pods: int) -> list[tuple[str, str]]:
    keys = []
    for i in range(pods):
        ns = NAMESPACES[i % len(NAMESPACES)]
        p = realistic_pod(i, ns)
        cluster.put("Pod", p)
        keys.append((ns, p["metadata"]["name"]))
    return keys


class LogPump:
    """Appends lines to one pod's log at a steady rate, in batches every 50 ms."""

    def __init__(self, cluster: Cluster, key: tuple[str, str]) -> None:
        self.cluster, self.key = cluster, key
        self.rate = 0.0
        self.sent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        pod = self.cluster.get("Pod", *self.key)
        assert pod is not None
        container = pod["spec"]["containers"][0]["name"]
        next_t = time.monotonic()
        while not self.stop.is_set():
            rate = self.rate
            if rate <= 0:
                time.sleep(0.05)
                next_t = time.monotonic()
                continue
            n = max(1, int(rate * 0.05))
            batch = [
                f'level=info msg="GET /orders/{self.sent + i}" status=200 duration={i % 97}ms '
                f"trace={random.randbytes(8).hex()}"
                for i in range(n)
            ]
            self.cluster.append_log(self.key[0], self.key[1], container, *batch)
            self.sent += n
            next_t += 0.05
            time.sleep(max(0.0, next_t - time.monotonic()))


class Churn:
    def __init__(self, cluster: Cluster, keys: list[tuple[str, str]]) -> None:
        self.cluster, self.keys = cluster, keys
        self.rate = 0.0
        self.stop = threading.Event()
        self.n = 0

    def run(self) -> None:
        next_t = time.monotonic()
        while not self.stop.is_set():
            rate = self.rate  # read once: "quiet" may set it to 0 meanwhile
            if rate <= 0:
                time.sleep(0.05)
                next_t = time.monotonic()
                continue
            ns, name = random.choice(self.keys)
            pod = self.cluster.get("Pod", ns, name)
            if pod is not None:
                pod = orjson.loads(orjson.dumps(pod))
                cs = pod["status"]["containerStatuses"][0]
                cs["restartCount"] += 1
                bad = random.random() < 0.5
                cs["ready"] = not bad
                cs["state"] = (
                    {"waiting": {"reason": "CrashLoopBackOff"}}
                    if bad
                    else {"running": {"startedAt": now_rfc3339()}}
                )
                self.cluster.put("Pod", pod)
                self.n += 1
                self.cluster.put(
                    "Event",
                    {
                        "metadata": {"name": f"{name}.{self.n % 50}", "namespace": ns},
                        "involvedObject": {"kind": "Pod", "name": name, "namespace": ns},
                        "reason": "BackOff" if bad else "Started",
                        "message": f"churn {self.n}",
                        "type": "Warning" if bad else "Normal",
                        "count": 1,
                        "lastTimestamp": now_rfc3339(),
                    },
                )
            next_t += 1.0 / rate
            time.sleep(max(0.0, next_t - time.monotonic()))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10_000)
    ap.add_argument("--kubeconfig", type=Path, required=True)
    args = ap.parse_args()
    cluster = Cluster()
    keys = seed(cluster, args.pods)
    size = len(orjson.dumps(cluster.list("Pod")[0]))
    emulator = Emulator(cluster).start()
    emulator.write_kubeconfig(args.kubeconfig, context="bench")
    churn = Churn(cluster, keys)
    threading.Thread(target=churn.run, daemon=True).start()
    pump = LogPump(cluster, keys[0])
    threading.Thread(target=pump.run, daemon=True).start()
    print(f"ready {emulator.url} pod_bytes={size} log_pod={keys[0][0]}/{keys[0][1]}", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "churn":
            churn.rate = float(cmd[1])
        elif cmd[0] == "logs":
            pump.rate = float(cmd[1])
        elif cmd[0] == "quiet":
            churn.rate = 0
            pump.rate = 0
        elif cmd[0] == "slow":  # every request waits this long; open watches are cut
            cluster.slow(float(cmd[1]))
            cluster.drop_watches()
        elif cmd[0] == "down":  # the API server dies: every connection cut
            emulator.stop()
        elif cmd[0] == "up":  # and comes back on the same port
            emulator.start()
        elif cmd[0] == "stop":
            break
        print(f"ok {line.strip()} log_lines={pump.sent} changes={churn.n}", flush=True)
    churn.stop.set()
    pump.stop.set()
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
