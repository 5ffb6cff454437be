"""The demo cluster: the runbook's K3s node and workloads, with controllers and a scenario.

Deployments are reconciled into ReplicaSets and Pods by a small controller loop, so
what the console's actions change (restart, scale, resources) plays out as on a real
cluster. api-gateway runs with a 256Mi memory limit and is OOMKilled over and over,
crash-looping with kubelet's growing back-off, until its limit is raised to 1Gi.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from tui.demo.apiserver import Cluster, Obj, now_rfc3339
from tui.demo.units import quantity

NODE = "vps-6227e9e1"
NODE_IP = "37.59.98.241"
KUBELET = "v1.30.6+k3s1"
OOM_LIMIT = 1 * 2**30  # below this memory limit, api-gateway is OOMKilled

# namespace, name, replicas, image, memory limit, cpu limit, labels
DEPLOYMENTS: list[tuple[str, str, int, str, str, str]] = [
    ("kube-system", "coredns", 1, "rancher/mirrored-coredns-coredns:1.11.3", "170Mi", ""),
    ("kube-system", "traefik", 1, "rancher/mirrored-library-traefik:2.11.10", "", ""),
    ("kube-system", "metrics-server", 1, "rancher/mirrored-metrics-server:v0.7.2", "", ""),
    (
        "kube-system",
        "local-path-provisioner",
        1,
        "rancher/local-path-provisioner:v0.0.30",
        "",
        "",
    ),
    ("flux-system", "source-controller", 1, "ghcr.io/fluxcd/source-controller:v1.4.1", "1Gi", "1"),
    (
        "flux-system",
        "kustomize-controller",
        1,
        "ghcr.io/fluxcd/kustomize-controller:v1.4.0",
        "1Gi",
        "1",
    ),
    ("flux-system", "helm-controller", 1, "ghcr.io/fluxcd/helm-controller:v1.1.0", "1Gi", "1"),
    (
        "flux-system",
        "notification-controller",
        1,
        "ghcr.io/fluxcd/notification-controller:v1.4.0",
        "1Gi",
        "1",
    ),
    (
        "flux-system",
        "image-reflector-controller",
        1,
        "ghcr.io/fluxcd/image-reflector-controller:v0.33.0",
        "1Gi",
        "1",
    ),
    (
        "flux-system",
        "image-automation-controller",
        1,
        "ghcr.io/fluxcd/image-automation-controller:v0.39.0",
        "1Gi",
        "1",
    ),
    ("kafka", "strimzi-cluster-operator", 1, "quay.io/strimzi/operator:0.43.0", "384Mi", "1"),
    (
        "kafka",
        "mercurious-cluster-entity-operator",
        1,
        "quay.io/strimzi/operator:0.43.0",
        "512Mi",
        "",
    ),
    ("monitoring", "kube-prometheus-stack-grafana", 1, "docker.io/grafana/grafana:11.2.2", "", ""),
    (
        "monitoring",
        "kube-prometheus-stack-operator",
        1,
        "quay.io/prometheus-operator/prometheus-operator:v0.77.1",
        "",
        "",
    ),
    (
        "monitoring",
        "kube-prometheus-stack-kube-state-metrics",
        1,
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
        "",
        "",
    ),
    ("cert-manager", "cert-manager", 1, "quay.io/jetstack/cert-manager-controller:v1.16.1", "", ""),
    (
        "cert-manager",
        "cert-manager-cainjector",
        1,
        "quay.io/jetstack/cert-manager-cainjector:v1.16.1",
        "",
        "",
    ),
    (
        "cert-manager",
        "cert-manager-webhook",
        1,
        "quay.io/jetstack/cert-manager-webhook:v1.16.1",
        "",
        "",
    ),
    (
        "default",
        "api-gateway",
        3,
        "registry.example.com/mercurious/api-gateway:1.8.2",
        "256Mi",
        "500m",
    ),
    (
        "default",
        "api-generation",
        1,
        "registry.example.com/mercurious/api-generation:2.3.0",
        "512Mi",
        "",
    ),
    (
        "default",
        "api-enrichment",
        1,
        "registry.example.com/mercurious/api-enrichment:1.4.1",
        "512Mi",
        "",
    ),
]

# Pods owned by StatefulSets, StrimziPodSets and DaemonSets: namespace, name, owner kind, image
STATIC_PODS: list[tuple[str, str, str, str, str]] = [
    (
        "kafka",
        "mercurious-cluster-kafka-0",
        "StrimziPodSet",
        "mercurious-cluster-kafka",
        "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
    ),
    (
        "monitoring",
        "prometheus-kube-prometheus-stack-prometheus-0",
        "StatefulSet",
        "prometheus-kube-prometheus-stack-prometheus",
        "quay.io/prometheus/prometheus:v2.54.1",
    ),
    (
        "monitoring",
        "alertmanager-kube-prometheus-stack-alertmanager-0",
        "StatefulSet",
        "alertmanager-kube-prometheus-stack-alertmanager",
        "quay.io/prometheus/alertmanager:v0.27.0",
    ),
    (
        "monitoring",
        "kube-prometheus-stack-prometheus-node-exporter-8xk2p",
        "DaemonSet",
        "kube-prometheus-stack-prometheus-node-exporter",
        "quay.io/prometheus/node-exporter:v1.8.2",
    ),
    (
        "kube-system",
        "svclb-traefik-5d2c1a3e-7qzxv",
        "DaemonSet",
        "svclb-traefik-5d2c1a3e",
        "rancher/klipper-lb:v0.4.9",
    ),
]

APP_LOG = {
    "api-gateway": [
        'level=info msg="GET /api/v1/orders" status=200 duration=12ms',
        'level=info msg="POST /api/v1/enrich" status=202 duration=48ms',
        'level=warn msg="upstream api-generation slow" duration=870ms',
        'level=info msg="cache fill" entries=18231 heap_used=201Mi',
    ],
    "default": ['level=info msg="tick"', 'level=info msg="consumer lag" lag=0'],
}


def _rand_suffix(n: int = 5) -> str:
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))


def template_hash(template: Any) -> str:
    digest = hashlib.sha256(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return "".join(c for c in digest if c in "bcdf0123456789")[:10]


def _ago(seconds: float) -> str:
    return now_rfc3339(time.time() - seconds)


def make_node() -> Obj:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": NODE,
        "kubernetes.io/os": "linux",
        "node-role.kubernetes.io/control-plane": "true",
        "node-role.kubernetes.io/master": "true",
        "node.kubernetes.io/instance-type": "k3s",
    }
    since = _ago(86400 * 41)
    return {
        "metadata": {
            "name": NODE,
            "labels": labels,
            "annotations": {
                "k3s.io/node-args": '["server"]',
                "flannel.alpha.coreos.com/backend-type": "vxlan",
            },
            "creationTimestamp": _ago(86400 * 212),
        },
        "spec": {"podCIDR": "10.42.0.0/24", "providerID": f"k3s://{NODE}"},
        "status": {
            "capacity": {
                "cpu": "4",
                "memory": "8129300Ki",
                "pods": "110",
                "ephemeral-storage": "82083148Ki",
            },
            "allocatable": {
                "cpu": "4",
                "memory": "8129300Ki",
                "pods": "110",
                "ephemeral-storage": "79850922291",
            },
            "conditions": [
                {
                    "type": t,
                    "status": "False",
                    "reason": f"KubeletHas{ok}",
                    "message": msg,
                    "lastHeartbeatTime": now_rfc3339(),
                    "lastTransitionTime": since,
                }
                for t, ok, msg in (
                    (
                        "MemoryPressure",
                        "SufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                    ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"),
                )
            ]
            + [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now_rfc3339(),
                    "lastTransitionTime": since,
                },
            ],
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": NODE},
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET,
                "kubeProxyVersion": KUBELET,
                "containerRuntimeVersion": "containerd://1.7.22-k3s1",
                "kernelVersion": "6.1.0-26-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def make_deployment(
    ns: str, name: str, replicas: int, image: str, mem: str, cpu: str, age: float
) -> Obj:
    limits = {k: v for k, v in (("memory", mem), ("cpu", cpu)) if v}
    requests = {"memory": mem} if mem else {}
    if name == "api-gateway":
        requests = {"memory": "128Mi", "cpu": "100m"}
    container: Obj = {
        "name": name if ns == "default" else name.replace("kube-prometheus-stack-", "") or name,
        "image": image,
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "resources": {"limits": limits, "requests": requests},
    }
    if ns == "default":
        container["readinessProbe"] = {
            "httpGet": {"path": "/health", "port": 8080},
            "periodSeconds": 10,
        }
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "generation": 1,
            "labels": {"app": name, "app.kubernetes.io/name": name},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "creationTimestamp": _ago(age),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
        "status": {},
    }


@dataclass
class PodLife:
    """What the kubelet is doing with one pod."""

    started: float
    ready_at: float
    oom: bool = False
    next_crash: float = 0.0
    back_off_until: float = 0.0
    crashes: int = 0


@dataclass
class DemoCluster:
    cluster: Cluster
    scenario: bool = True
    lives: dict[tuple[str, str], PodLife] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _ip: int = 10

    def seed(self) -> None:
        c = self.cluster
        for ns in (
            "default",
            "kube-system",
            "kube-public",
            "kube-node-lease",
            "flux-system",
            "kafka",
            "monitoring",
            "cert-manager",
        ):
            c.put(
                "Namespace",
                {
                    "metadata": {"name": ns, "creationTimestamp": _ago(86400 * 212)},
                    "status": {"phase": "Active"},
                },
            )
        c.put("Node", make_node())
        for ns, name, replicas, image, mem, cpu in DEPLOYMENTS:
            age = 86400 * (3 if ns == "default" else 40)
            c.put("Deployment", make_deployment(ns, name, replicas, image, mem, cpu, age))
            if ns == "default":
                c.put(
                    "Service",
                    {
                        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                        "spec": {
                            "selector": {"app": name},
                            "ports": [{"port": 80, "targetPort": 8080}],
                            "clusterIP": f"10.43.{len(name)}.{len(ns) * 7}",
                            "type": "ClusterIP",
                        },
                    },
                )
        for ns, name, kind, owner, image in STATIC_PODS:
            self._put_pod(
                ns,
                name,
                image,
                {},
                kind,
                owner,
                {"app": owner},
                age=86400 * 40,
                life=PodLife(started=time.time() - 86400 * 40, ready_at=0),
            )
        # A completed k3s helm-install job, as every K3s node has.
        job = self._pod_obj(
            "kube-system",
            "helm-install-traefik-crd-zt6xq",
            "rancher/klipper-helm:v0.9.3",
            {},
            "Job",
            "helm-install-traefik-crd",
            {"job-name": "helm-install-traefik-crd"},
            86400 * 212,
        )
        job["status"] = {
            "phase": "Succeeded",
            "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted"}],
            "containerStatuses": [
                {
                    "name": "helm",
                    "ready": False,
                    "restartCount": 0,
                    "image": "rancher/klipper-helm:v0.9.3",
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": _ago(86400 * 212),
                            "finishedAt": _ago(86400 * 212 - 20),
                        }
                    },
                }
            ],
        }
        c.put("Pod", job)
        self.reconcile(initial=True)

    # -- pods ------------------------------------------------------------------------
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
                "containers": [{"name": cname, "image": image, "resources": resources}],
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
        self._render_pod(obj, life, time.time())
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
    def reconcile(self, initial: bool = False) -> None:
        c, now = self.cluster, time.time()
        for dep in c.list("Deployment"):
            self._reconcile_deployment(dep, now, initial)
        self._kubelet(now)
        self._endpoints()
        self._flux()

    def _reconcile_deployment(self, dep: Obj, now: float, initial: bool) -> None:
        c = self.cluster
        ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
        spec = dep["spec"]
        tmpl = spec["template"]
        h = template_hash(tmpl)
        rs_name = f"{name}-{h}"
        rss = [
            r
            for r in c.list("ReplicaSet", ns)
            if any(o.get("name") == name for o in r["metadata"].get("ownerReferences", []))
        ]
        desired = int(spec.get("replicas", 1))
        current = next((r for r in rss if r["metadata"]["name"] == rs_name), None)
        if current is None:
            revision = 1 + max(
                (
                    int(
                        r["metadata"]
                        .get("annotations", {})
                        .get("deployment.kubernetes.io/revision", "0")
                    )
                    for r in rss
                ),
                default=0,
            )
            current = {
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": {**tmpl["metadata"].get("labels", {}), "pod-template-hash": h},
                    "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": name,
                            "uid": dep["metadata"]["uid"],
                            "controller": True,
                        }
                    ],
                    "creationTimestamp": dep["metadata"]["creationTimestamp"]
                    if initial
                    else now_rfc3339(),
                },
                "spec": {"replicas": desired, "template": tmpl},
                "status": {},
            }
            c.put("ReplicaSet", current)
            rss.append(current)
            if not initial:
                self.event(
                    {"kind": "Deployment", "metadata": dep["metadata"]},
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled up replica set {rs_name} to {desired}",
                )
        # Rolling: the new ReplicaSet gets the desired count; old ones go once new pods are Ready.
        new_pods = self._pods_of(ns, rs_name)
        new_ready = sum(1 for p in new_pods if self._ready(p))
        for rs in rss:
            rname = rs["metadata"]["name"]
            want = (
                desired
                if rname == rs_name
                else (0 if new_ready >= desired else rs["spec"]["replicas"])
            )
            if rs["spec"]["replicas"] != want:
                rs = dict(rs, spec=dict(rs["spec"], replicas=want))
                c.put("ReplicaSet", rs)
                if rname != rs_name:
                    self.event(
                        {"kind": "Deployment", "metadata": dep["metadata"]},
                        "Normal",
                        "ScalingReplicaSet",
                        f"Scaled down replica set {rname} to {want}",
                    )
            self._reconcile_rs(dep, rs, now, initial)
        all_pods = [p for r in rss for p in self._pods_of(ns, r["metadata"]["name"])]
        ready = sum(1 for p in all_pods if self._ready(p))
        updated = len(self._pods_of(ns, rs_name))
        status = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": len(all_pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(desired - ready, 0),
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready >= desired else "False",
                    "reason": "MinimumReplicasAvailable"
                    if ready >= desired
                    else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability."
                    if ready >= desired
                    else "Deployment does not have minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable"
                    if updated == desired and ready >= desired
                    else "ReplicaSetUpdated",
                    "message": f'ReplicaSet "{rs_name}" has successfully progressed.'
                    if ready >= desired
                    else f'ReplicaSet "{rs_name}" is progressing.',
                },
            ],
        }
        if not ready:
            status.pop("readyReplicas")
            status.pop("availableReplicas")
        if dep.get("status") != status:
            c.put("Deployment", dict(dep, status=status))

    def _flux(self) -> None:
        """Flux's controllers: a reconcile request is handled (lastHandledReconcileAt)."""
        from tui.demo.flux import play_reconcile

        for r in list(self.cluster.resources.values()):
            if r.group.endswith(".toolkit.fluxcd.io"):
                for obj in self.cluster.list(r.kind):
                    play_reconcile(self.cluster, r.kind, obj)

    def _endpoints(self) -> None:
        """The endpoints controller: each Service's Endpoints lists its pods' addresses."""
        c = self.cluster
        for svc in c.list("Service"):
            meta, spec = svc["metadata"], svc.get("spec") or {}
            selector = spec.get("selector") or {}
            ready: list[Obj] = []
            not_ready: list[Obj] = []
            for pod in c.list("Pod", meta["namespace"]):
                labels = pod["metadata"].get("labels") or {}
                if not selector or any(labels.get(k) != v for k, v in selector.items()):
                    continue
                if "deletionTimestamp" in pod["metadata"]:
                    continue
                address = {
                    "ip": pod.get("status", {}).get("podIP", ""),
                    "nodeName": NODE,
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": meta["namespace"],
                        "name": pod["metadata"]["name"],
                    },
                }
                (ready if self._ready(pod) else not_ready).append(address)
            subset: Obj = {"ports": [{"port": 8080, "protocol": "TCP"}]}
            if ready:
                subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
            if not_ready:
                subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
            subsets = [subset] if ready or not_ready else []
            current = c.get("Endpoints", meta["namespace"], meta["name"])
            if current is None or current.get("subsets") != subsets:
                c.put(
                    "Endpoints",
                    {
                        "metadata": {
                            "name": meta["name"],
                            "namespace": meta["namespace"],
                            "labels": meta.get("labels", {}),
                        },
                        "subsets": subsets,
                    },
                )

    def _pods_of(self, ns: str, rs_name: str) -> list[Obj]:
        return [
            p
            for p in self.cluster.list("Pod", ns)
            if any(o.get("name") == rs_name for o in p["metadata"].get("ownerReferences", []))
        ]

    @staticmethod
    def _ready(pod: Obj) -> bool:
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in pod.get("status", {}).get("conditions", [])
        )

    def _reconcile_rs(self, dep: Obj, rs: Obj, now: float, initial: bool) -> None:
        ns, rs_name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        pods = [p for p in self._pods_of(ns, rs_name) if "deletionTimestamp" not in p["metadata"]]
        want = int(rs["spec"]["replicas"])
        tmpl = rs["spec"]["template"]
        container = tmpl["spec"]["containers"][0]
        limit = quantity(container.get("resources", {}).get("limits", {}).get("memory"))
        oom = dep["metadata"]["name"] == "api-gateway" and limit < OOM_LIMIT
        for i in range(want - len(pods)):
            pname = f"{rs_name}-{_rand_suffix()}"
            age = (86400 * 3 - 60 * i) if initial else 0
            started = now - age
            life = PodLife(started=started, ready_at=started + 4, oom=oom)
            if oom:
                life.ready_at = float("inf")  # its readiness probe never passes
                if initial:
                    # Already crash-looping: in back-off, at different points of it.
                    life.crashes = 7 - 2 * i
                    life.back_off_until = now + self._backoff(life.crashes) * (0.9 - 0.3 * i)
                    life.next_crash = life.back_off_until + random.uniform(8, 14)
                else:
                    life.next_crash = now + random.uniform(8, 14)
            labels = {
                **tmpl["metadata"].get("labels", {}),
                "pod-template-hash": rs_name.rsplit("-", 1)[1],
            }
            self._put_pod(
                ns,
                pname,
                container["image"],
                container.get("resources", {}),
                "ReplicaSet",
                rs_name,
                labels,
                age,
                life,
            )
            if initial and oom:
                obj = self.cluster.get("Pod", ns, pname)
                if obj:
                    for _ in range(life.crashes * 3):
                        self.backoff_event(obj)
                    self.crash_log(ns, pname, container["name"])
            if not initial:
                obj = self.cluster.get("Pod", ns, pname)
                if obj:
                    self.event(
                        obj, "Normal", "Scheduled", f"Successfully assigned {ns}/{pname} to {NODE}"
                    )
        for p in pods[want:] if len(pods) > want else []:
            self._terminate(p)

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
                life.next_crash = life.back_off_until + random.uniform(8, 14)
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
            if life.oom and now < life.back_off_until and random.random() < 0.15:
                self.backoff_event(pod)
            if life.oom and life.back_off_until < now < life.next_crash and random.random() < 0.3:
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
            if random.random() < 0.25:
                lines = APP_LOG.get(cname, APP_LOG["default"])
                c.append_log(*key, cname, random.choice(lines))
            self._usage(key, cname, life, now)

    def _usage(self, key: tuple[str, str], cname: str, life: PodLife, now: float) -> None:
        if life.oom:
            mem = 120 + min(now - life.back_off_until, 12) * 11 if now > life.back_off_until else 0
        else:
            mem = 40 + (hash(key) % 300)
        cpu = 2 + (hash(key) % 40) + random.uniform(0, 8)
        if cname == "api-gateway":
            cpu += 180
        self.cluster.usage[key] = {cname: (f"{int(cpu * 1e6)}n", f"{int(mem * 1024)}Ki")}

    # -- the scenario's clock ---------------------------------------------------------
    def start(self, interval: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(Exception):  # the demo outlives its scenario's bugs
                    self.reconcile()

        self._thread = threading.Thread(target=loop, name="demo-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
