"""The demo cluster: the runbook's K3s node and workloads, with controllers and a scenario.

Deployments are reconciled into ReplicaSets and Pods by a small controller loop, so
what the console's actions change (restart, scale, resources) plays out as on a real
cluster. api-gateway runs with a 256Mi memory limit and is OOMKilled over and over,
crash-looping with kubelet's growing back-off, until its limit is raised to 1Gi.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from dataclasses import dataclass, field

from tui.demo import clock
from tui.demo.clock import RNG, now
from tui.demo.endpoints import EndpointsControllers, pod_ready
from tui.demo.kubelet import Kubelet, PodLife
from tui.demo.objects import (
    DEPLOYMENTS,
    NODE,
    OOM_LIMIT,
    STATIC_PODS,
    _ago,
    _rand_suffix,
    flux_labels,
    make_deployment,
    make_node,
    template_hash,
)
from tui.demo.state import Cluster, Obj, now_rfc3339
from tui.demo.units import quantity


@dataclass
class DemoCluster(Kubelet, EndpointsControllers):
    cluster: Cluster
    scenario: bool = True
    lives: dict[tuple[str, str], PodLife] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _ip: int = 10
    workers: int = 0
    worker_ip: str = "10.0.1.{n}"
    # Flux's drift correction (a Kustomization re-applies Git's fields every interval)
    drift: bool = False
    git: dict[tuple[str, str], Obj] = field(default_factory=dict)  # Deployments as in Git
    _slots: dict[str, int] = field(default_factory=dict)

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
        for n in range(1, self.workers + 1):  # agents joined to it (a larger cluster)
            c.put("Node", make_node(f"vps-worker-{n:02d}", self.worker_ip.format(n=n), False))
        for i, (ns, name, replicas, image, mem, cpu) in enumerate(DEPLOYMENTS):
            age = 86400 * (3 if ns == "default" else 40)
            dep = make_deployment(ns, name, replicas, image, mem, cpu, age)
            c.put("Deployment", dep)
            spec = dep["spec"]
            self.git[(ns, name)] = copy.deepcopy(
                {"replicas": spec["replicas"], "template": spec["template"]}
            )
            if ns == "default":
                c.put(
                    "Service",
                    {
                        "metadata": {
                            "name": name,
                            "namespace": ns,
                            "labels": {"app": name, **flux_labels(ns, name)},
                            "creationTimestamp": _ago(age),
                        },
                        "spec": {
                            "selector": {"app": name},
                            "ports": [{"port": 80, "targetPort": 8080}],
                            "clusterIP": f"10.43.{40 + i * 3}.{(i * 37) % 250 + 2}",
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
                life=PodLife(started=now() - 86400 * 40, ready_at=0),
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

    def reconcile(self, initial: bool = False) -> None:
        c, now = self.cluster, clock.now()
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
        new_ready = sum(1 for p in new_pods if pod_ready(p))
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
        ready = sum(1 for p in all_pods if pod_ready(p))
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
        """Flux's controllers: a reconcile request is handled (lastHandledReconcileAt), and
        with drift on, a Kustomization re-applies Git's fields on its interval."""
        from tui.demo.fluxplay import apply_from_git, play_drift, play_reconcile

        for r in list(self.cluster.resources.values()):
            if r.group.endswith(".toolkit.fluxcd.io"):
                for obj in self.cluster.list(r.kind):
                    handled = play_reconcile(self.cluster, r.kind, obj)
                    if handled and self.drift and r.kind == "Kustomization":
                        apply_from_git(self.cluster, obj, self.git)
        if self.drift:
            play_drift(self.cluster, self.git, self._slots, clock.now())

    def _pods_of(self, ns: str, rs_name: str) -> list[Obj]:
        return [
            p
            for p in self.cluster.list("Pod", ns)
            if any(o.get("name") == rs_name for o in p["metadata"].get("ownerReferences", []))
        ]

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
                    life.next_crash = life.back_off_until + RNG.uniform(8, 14)
                else:
                    life.next_crash = now + RNG.uniform(8, 14)
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

    def start(self, interval: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(Exception):  # the demo outlives its scenario's bugs
                    self.reconcile()

        self._thread = threading.Thread(target=loop, name="demo-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
