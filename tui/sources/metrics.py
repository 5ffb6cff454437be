"""metrics.k8s.io, as `kubectl top` reads it: polled, never overlapping, backing off."""

from __future__ import annotations

import threading
from typing import Any

from tui.sources.client import ApiError, Kube
from tui.sources.kube import Backoff, classify
from tui.store import ChangeBuffer, KindStatus, MetricsUpdate, State, Usage
from tui.store.units import parse_quantity

BASE = "/apis/metrics.k8s.io/v1beta1"


def _usage(usage: Any) -> tuple[float, float]:
    if not isinstance(usage, dict):
        return 0.0, 0.0
    cpu = parse_quantity(usage.get("cpu")) or 0.0
    mem = parse_quantity(usage.get("memory")) or 0.0
    return cpu * 1000, mem


def parse_pod_metrics(doc: Any) -> dict[tuple[str, str], Usage]:
    out: dict[tuple[str, str], Usage] = {}
    for item in (doc or {}).get("items") or []:
        if not isinstance(item, dict):
            continue
        meta = item.get("metadata") or {}
        cpu = mem = 0.0
        for c in item.get("containers") or []:
            c_cpu, c_mem = _usage((c or {}).get("usage"))
            cpu, mem = cpu + c_cpu, mem + c_mem
        out[(str(meta.get("namespace", "")), str(meta.get("name", "")))] = Usage(cpu, mem)
    return out


def parse_node_metrics(doc: Any) -> dict[str, Usage]:
    out: dict[str, Usage] = {}
    for item in (doc or {}).get("items") or []:
        if isinstance(item, dict):
            cpu, mem = _usage(item.get("usage"))
            out[str((item.get("metadata") or {}).get("name", ""))] = Usage(cpu, mem)
    return out


class MetricsPoller:
    def __init__(
        self, kube: Kube, sink: ChangeBuffer, namespace: str | None = None, interval: float = 15.0
    ) -> None:
        self.kube, self.sink, self.namespace, self.interval = kube, sink, namespace, interval
        self.stop_event = threading.Event()
        self.paused = threading.Event()
        self.backoff = Backoff(base=self.interval, cap=120.0)

    def stop(self) -> None:
        self.stop_event.set()

    def poll_once(self) -> MetricsUpdate:
        pods_path = f"{BASE}/namespaces/{self.namespace}/pods" if self.namespace else f"{BASE}/pods"
        try:
            pods = parse_pod_metrics(self.kube.json("GET", pods_path, timeout=(5.0, 20.0)))
            nodes = parse_node_metrics(self.kube.json("GET", f"{BASE}/nodes", timeout=(5.0, 20.0)))
        except ApiError as e:
            if e.status == 404:
                return MetricsUpdate(
                    KindStatus(State.ABSENT, "metrics API absent (no metrics-server)")
                )
            if e.status == 403:
                return MetricsUpdate(KindStatus(State.FORBIDDEN, f"metrics forbidden: {e.message}"))
            if e.status == 503:
                return MetricsUpdate(
                    KindStatus(State.ERROR, "metrics API unavailable (503): metrics-server down?")
                )
            return MetricsUpdate(classify(e, self.kube.info.server, self.interval))
        except Exception as e:
            return MetricsUpdate(classify(e, self.kube.info.server, self.interval))
        return MetricsUpdate(KindStatus(State.LIVE), pods, nodes)

    def run(self) -> None:
        while not self.stop_event.is_set():
            if self.paused.is_set():
                self.stop_event.wait(1.0)
                continue
            update = self.poll_once()
            self.sink.put(update)
            if update.status.state in (State.LIVE, State.ABSENT, State.FORBIDDEN):
                # Steady answers: ask again at the usual pace (an RBAC fix shows up soon).
                self.backoff.reset()
                delay = self.interval
            else:
                delay = self.backoff.next()
            self.stop_event.wait(delay)
