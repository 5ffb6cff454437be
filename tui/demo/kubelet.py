"""The demo's kubelet: pods started, made ready, OOMKilled and restarted with the
kubelet's growing back-off; their events, logs and usage."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import orjson

from tui.demo.clock import RNG, now, stable_hash
from tui.demo.objects import (
    APP_LOG,
    NODE,
    _ago,
    template_hash,
)
from tui.demo.state import Cluster, Obj, now_rfc3339


@dataclass
class PodLife:
    """What the kubelet is doing with one pod."""

    started: float
    ready_at: float
    oom: bool = False
    next_crash: float = 0.0
    back_off_until: float = 0.0
    crashes: int = 0


# the apps listen on 8080 and say on /health whether they are ready
APP_PORT: Obj = {
    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
    "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10},
}


class Kubelet:
    """The pods' side of the demo cluster (DemoCluster runs the controllers)."""

    cluster: Cluster
    lives: dict[tuple[str, str], PodLife]
    _ip: int

    def _pod_obj(
        self,
        ns: str,
        name: str,
        image: str,
        resources: Obj,
        owner_kind: str,
        owner: str,
        labels: dict[str, str],
        age: float,
    ) -> Obj:
        cname = labels.get("app", name) if ns == "default" else name.rsplit("-", 2)[0][:40]
        if ns == "flux-system":
            cname = "manager"  # as in Flux's own Deployments
        return {
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": labels,
                "creationTimestamp": _ago(age),
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": owner_kind,
                        "name": owner,
                        "uid": f"uid-{owner}",
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "nodeName": NODE,
                "containers": [
                    {
                        "name": cname,
                        "image": image,
                        "resources": resources,
                        **(APP_PORT if ns == "default" else {}),
                    }
                ],
                "restartPolicy": "Always",
            },
            "status": {"phase": "Pending", "qosClass": "Burstable"},
        }

    def _put_pod(
        self,
        ns: str,
        name: str,
        image: str,
        resources: Obj,
        owner_kind: str,
        owner: str,
        labels: dict[str, str],
        age: float,
        life: PodLife,
    ) -> None:
        obj = self._pod_obj(ns, name, image, resources, owner_kind, owner, labels, age)
        self.lives[(ns, name)] = life
        self._ip += 1
        obj["status"]["podIP"] = f"10.42.0.{self._ip % 250 + 2}"
        self._render_pod(obj, life, now())
        self.cluster.put("Pod", obj)

    def _render_pod(self, obj: Obj, life: PodLife, now: float) -> None:
        st = obj["status"]
        c = obj["spec"]["containers"][0]
        cs: Obj = {
            "name": c["name"],
            "image": c["image"],
            "imageID": "",
            "restartCount": life.crashes,
            "started": False,
            "ready": False,
        }
        if life.crashes:
            crashed = life.back_off_until - self._backoff(life.crashes)
            cs["lastState"] = {
                "terminated": {
                    "exitCode": 137,
                    "reason": "OOMKilled",
                    "startedAt": now_rfc3339(crashed - 11),
                    "finishedAt": now_rfc3339(crashed),
                }
            }
        else:
            cs["lastState"] = {}
        st["startTime"] = now_rfc3339(life.started)
        if now < life.started + 1.5:
            st["phase"] = "Pending"
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
            ready = False
        elif life.oom and now < life.back_off_until:
            st["phase"] = "Running"
            name = obj["metadata"]["name"]
            cs["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {int(self._backoff(life.crashes))}s restarting failed "
                    f"container={c['name']} pod={name}_{obj['metadata']['namespace']}"
                    f"({obj['metadata'].get('uid', '')})",
                }
            }
            ready = False
        else:
            st["phase"] = "Running"
            cs["started"] = True
            cs["state"] = {
                "running": {"startedAt": now_rfc3339(max(life.started + 1.5, life.back_off_until))}
            }
            ready = now >= life.ready_at
        cs["ready"] = ready
        st["containerStatuses"] = [cs]
        st["conditions"] = [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True" if ready else "False"},
            {"type": "ContainersReady", "status": "True" if ready else "False"},
            {"type": "PodScheduled", "status": "True"},
        ]

    @staticmethod
    def _backoff(crashes: int) -> float:
        # kubelet: 10s doubling to 5 minutes; the demo runs it four times faster.
        return float(min(10 * 2 ** max(crashes - 1, 0), 300)) / 4

    # -- events ----------------------------------------------------------------------
    def event(self, obj: Obj, etype: str, reason: str, message: str) -> None:
        """Emit or bump an event as the kubelet does (same name, count + 1)."""
        meta = obj["metadata"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        key = f"{name}.{template_hash([reason, message])[:8]}"
        old = self.cluster.get("Event", ns, key)
        now = now_rfc3339()
        ev = {
            "metadata": {"name": key, "namespace": ns},
            "involvedObject": {
                "kind": obj.get("kind", "Pod"),
                "namespace": ns,
                "name": name,
                "uid": meta.get("uid", ""),
                "apiVersion": "v1",
                "fieldPath": f"spec.containers{{{name.rsplit('-', 2)[0]}}}",
            },
            "reason": reason,
            "message": message,
            "source": {"component": "kubelet", "host": NODE},
            "firstTimestamp": old["firstTimestamp"] if old else now,
            "lastTimestamp": now,
            "count": (old.get("count", 1) + 1) if old else 1,
            "type": etype,
            "reportingComponent": "kubelet",
            "reportingInstance": NODE,
        }
        self.cluster.put("Event", ev)

    def crash_log(self, ns: str, pod: str, container: str) -> None:
        """What the JVM says before the kernel's OOM killer ends it; then the log rotates."""
        c = self.cluster
        c.append_log(ns, pod, container, *APP_LOG["api-gateway"])
        c.append_log(
            ns,
            pod,
            container,
            'level=warn msg="heap pressure" heap_used=251Mi heap_max=256Mi',
            "java.lang.OutOfMemoryError: Java heap space",
            "\tat com.mercurious.gateway.cache.ResponseCache.fill(ResponseCache.java:212)",
        )
        c.rotate_logs(ns, pod, container)

    def backoff_event(self, pod: Obj) -> None:
        meta, cname = pod["metadata"], pod["spec"]["containers"][0]["name"]
        self.event(
            pod,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {cname} in pod "
            f"{meta['name']}_{meta['namespace']}({meta.get('uid', '')})",
        )

    # -- controllers -----------------------------------------------------------------

    def _terminate(self, pod: Obj) -> None:
        meta = pod["metadata"]
        if "deletionTimestamp" in meta:
            return
        self.event(
            pod, "Normal", "Killing", f"Stopping container {pod['spec']['containers'][0]['name']}"
        )
        pod = dict(
            pod, metadata=dict(meta, deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=30)
        )
        self.cluster.put("Pod", pod)
        life = self.lives.get((meta["namespace"], meta["name"]))
        if life:
            life.oom = False
            life.ready_at = float("inf")
        threading.Timer(2.0, self._remove, (meta["namespace"], meta["name"])).start()

    def _remove(self, ns: str, name: str) -> None:
        self.cluster.remove("Pod", ns, name)
        self.lives.pop((ns, name), None)

    def _kubelet(self, now: float) -> None:
        c = self.cluster
        for pod in c.list("Pod"):
            meta = pod["metadata"]
            key = (meta["namespace"], meta["name"])
            life = self.lives.get(key)
            if life is None or pod.get("status", {}).get("phase") == "Succeeded":
                continue
            if "deletionTimestamp" in meta:
                continue
            cname = pod["spec"]["containers"][0]["name"]
            if (
                life.oom
                and life.next_crash
                and now >= life.next_crash
                and now >= life.back_off_until
            ):
                life.crashes += 1
                self.crash_log(*key, cname)
                life.back_off_until = now + self._backoff(life.crashes)
                life.next_crash = life.back_off_until + RNG.uniform(8, 14)
                self.backoff_event(pod)
            elif (
                life.oom
                and life.back_off_until
                and now >= life.back_off_until
                and (
                    pod["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting")
                )
            ):
                image = pod["spec"]["containers"][0]["image"]
                self.event(
                    pod, "Normal", "Pulled", f'Container image "{image}" already present on machine'
                )
                self.event(pod, "Normal", "Created", f"Created container {cname}")
                self.event(pod, "Normal", "Started", f"Started container {cname}")
            if life.oom and now < life.back_off_until and RNG.random() < 0.15:
                self.backoff_event(pod)
            if life.oom and life.back_off_until < now < life.next_crash and RNG.random() < 0.3:
                ip = pod["status"].get("podIP", "10.42.0.9")
                self.event(
                    pod,
                    "Warning",
                    "Unhealthy",
                    f'Readiness probe failed: Get "http://{ip}:8080/health": dial tcp {ip}:8080: '
                    "connect: connection refused",
                )
            before = orjson.dumps(pod.get("status"))
            new = dict(pod, status=dict(pod.get("status", {})))
            self._render_pod(new, life, now)
            if orjson.dumps(new["status"]) != before:
                c.put("Pod", new)
            if RNG.random() < 0.25:
                lines = APP_LOG.get(cname, APP_LOG["default"])
                c.append_log(*key, cname, RNG.choice(lines))
            self._usage(key, cname, life, now)

    def _usage(self, key: tuple[str, str], cname: str, life: PodLife, now: float) -> None:
        if life.oom:
            mem = 120 + min(now - life.back_off_until, 12) * 11 if now > life.back_off_until else 0
        else:
            mem = 40 + (stable_hash("/".join(key)) % 300)
        cpu = 2 + (stable_hash("/".join(key)) % 40) + RNG.uniform(0, 8)
        if cname == "api-gateway":
            cpu += 180
        self.cluster.usage[key] = {cname: (f"{int(cpu * 1e6)}n", f"{int(mem * 1024)}Ki")}

    # -- the scenario's clock ---------------------------------------------------------
