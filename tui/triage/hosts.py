"""The runbook's rules on the hosts and the cluster as a whole: disk, memory, the k3s unit,
the journal, the API server unreachable (and on which host), metrics, the error rate."""

from __future__ import annotations

from typing import Any

from tui.store import State, Store
from tui.store.host import DISK_FULL_PERCENT, MEMORY_FULL_PERCENT, HostView
from tui.store.units import fmt_bytes, human_duration
from tui.triage.findings import Finding, Severity, Subject
from tui.triage.workloads import API_ERROR_RATE


def host_rules(store: Store, now: float) -> list[Finding]:
    out = []
    for view in store.hosts.values():
        subject = Subject("host", view.name)
        state = view.status.state
        if not view.sampled:  # Prometheus's figures only: its own findings
            fs = store.fleet.status  # Prometheus down is one finding, not one per node
            out += _exporter_rules(view, subject) if fs is not None and fs.state.ok else []
        elif not state.ok and state is not State.CONNECTING:
            out.append(
                Finding(
                    "host-unreachable",
                    "Host not reachable",
                    Severity.WARNING,
                    subject,
                    f"{state.value}: {view.status.message}",
                    (),
                    "Cluster Unresponsive",
                    since=view.status.since,
                )
            )
            continue
        s = view.figures  # Prometheus's where it serves them, else the sampler's
        if s is None:
            continue
        full = sorted(s.disk_full, key=lambda f: -f.percent)
        if full:
            out.append(
                Finding(
                    "disk-full",
                    "Disk almost full",
                    Severity.CRITICAL,
                    subject,
                    "; ".join(f"{f.mount} {f.percent}% of {fmt_bytes(f.size)}" for f in full)
                    + f" (threshold {DISK_FULL_PERCENT}%)",
                    ("host.disk-report", "host.journal-vacuum", "host.image-prune"),
                    "Disk Space Full",
                )
            )
        procs = view.sample if view.sample is not None and state.ok else s
        if s.memory_full:
            top = ", ".join(f"{p.name} {p.memory:.0f}%" for p in procs.top_memory[:3])
            out.append(
                Finding(
                    "memory-full",
                    "Memory exhausted",
                    Severity.CRITICAL,
                    subject,
                    f"{s.memory.used_percent:.0f}% of {fmt_bytes(s.memory.total)} used"
                    f" (threshold {MEMORY_FULL_PERCENT}%)" + (f"; top: {top}" if top else ""),
                    ("host.drop-caches", "pod.delete"),
                    "High Memory Usage",
                )
            )
        k3s = procs.services.k3s
        if k3s is not None and k3s.active != "active":
            out.append(
                Finding(
                    "k3s-not-active",
                    "k3s not active",
                    Severity.CRITICAL,
                    subject,
                    f"{k3s.name} is {k3s.active} ({k3s.sub})",
                    ("host.service-status", "host.journal-tail", "host.service-restart"),
                    "Node NotReady",
                )
            )
    return out


def _exporter_rules(view: HostView, subject: Subject) -> list[Finding]:
    """A node Prometheus cannot scrape (its whole failing is one cluster finding)."""
    ms = view.metrics_status
    if ms is None or ms.state is not State.UNREACHABLE:
        return []
    return [
        Finding(
            "exporter-down",
            "Node exporter not scraped",
            Severity.WARNING,
            subject,
            f"{ms.message}: no figures for this node (is the node up?)",
            (),
            "Node NotReady",
            since=ms.since,
        )
    ]


def prometheus_rules(store: Store) -> list[Finding]:
    """The Prometheus that gives every node's figures does not answer."""
    fs = store.fleet.status
    if fs is None or fs.state.ok or fs.state is State.CONNECTING:
        return []
    return [
        Finding(
            "prometheus-unavailable",
            "Prometheus unavailable",
            Severity.WARNING,
            Subject("cluster"),
            f"node figures: {fs.message}; hosts with SSH or psutil show their own",
            (),
            "Alertes critiques",
            since=fs.since,
        )
    ]


def api_host(store: Store) -> Any:
    """The host that runs the API server, where the console knows it: this machine when
    the server's address is loopback or this machine's; else a host reached at that
    address; else the host of a control-plane node ([hosts])."""
    api = store.api_server
    if api is None:
        return None
    views = list(store.hosts.values())
    if api.local:
        return next((v for v in views if v.target == "local"), None)
    for v in views:
        if api.host and api.host in (v.address, v.name):
            return v
    nodes = sorted(store.nodes.values(), key=lambda n: n.name)
    for node in nodes:
        if node.internal_ip == api.host and store.host_of_node(node.name):
            return store.host_of_node(node.name)
    for node in nodes:
        if {"control-plane", "master"} & set(node.roles) and store.host_of_node(node.name):
            return store.host_of_node(node.name)
    return None


def api_rules(store: Store, now: float) -> list[Finding]:
    """The API server does not answer: the cluster's panes are frozen as last seen, and
    the answer is on the host that runs it (k3s's unit and journal)."""
    down = [
        store.status[k] for k in ("pods", "nodes") if store.status[k].state is State.UNREACHABLE
    ]
    if not down or store.api_server is None:
        return []
    view = api_host(store)
    subject = Subject("host", view.name) if view is not None else Subject("cluster")
    where = f" (runs on host {view.name})" if view is not None else ""
    since = min(s.since for s in down)
    return [
        Finding(
            "api-unreachable",
            "Kubernetes API unreachable",
            Severity.CRITICAL,
            subject,
            f"{store.api_server.url}{where}: {down[0].message}; the cluster's panes show "
            "rows as last seen",
            ("host.service-status", "host.journal-tail"),
            "Node NotReady",
            since=since,
        )
    ]


CERT_EXPIRY = 14 * 86400.0  # a Ready certificate this close to its end is a finding


def cluster_rules(store: Store, now: float) -> list[Finding]:
    out = prometheus_rules(store)
    ms = store.metrics_status
    if ms.state in (State.ABSENT, State.FORBIDDEN, State.UNAUTHORIZED, State.ERROR):
        out.append(
            Finding(
                "metrics-unavailable",
                "Metrics API unavailable",
                Severity.WARNING,
                Subject("cluster"),
                f"metrics.k8s.io {ms.state.value}: {ms.message}",
                (),
                "High CPU Usage",
            )
        )
    for cert in store.objects.get("certificates", {}).values():
        if cert.ready == "True" and cert.not_after is not None:
            left = cert.not_after - now
            if left < CERT_EXPIRY:  # issued, but cert-manager did not renew it in time
                out.append(
                    Finding(
                        "certificate-expiring",
                        "Certificate expiring",
                        Severity.CRITICAL if left < 2 * 86400 else Severity.WARNING,
                        Subject("Certificate", cert.name, cert.namespace),
                        (
                            f"expires in {human_duration(left)}"
                            if left > 0
                            else f"expired {human_duration(-left)} ago"
                        )
                        + ": cert-manager renews 30 days ahead by default; is its renewal failing?",
                        (),
                        "Service/Ingress Inaccessible",
                        since=cert.not_after - CERT_EXPIRY,
                    )
                )
        if cert.ready == "True":
            continue
        out.append(
            Finding(
                "certificate-not-ready",
                "Certificate not ready",
                Severity.WARNING,
                Subject("Certificate", cert.name, cert.namespace),
                f"Ready={cert.ready}: {cert.message}",
                (),
                "Service/Ingress Inaccessible",
            )
        )
    rate = store.api_error_rate
    if rate is not None and rate > API_ERROR_RATE:
        out.append(
            Finding(
                "api-error-rate",
                "API error rate",
                Severity.CRITICAL,
                Subject("cluster"),
                f"{rate:.1%} of requests failed over 5 minutes (threshold {API_ERROR_RATE:.0%})",
                ("pod.logs",),
                "API Gateway 502/503 Errors",
            )
        )
    return out
