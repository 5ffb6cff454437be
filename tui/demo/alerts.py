"""The demo's Alertmanager (API v2 on the emulator's port, /api/v2/...): the runbook's
alerts firing for the demo's incident, read from the cluster as its rules would
(KubePodCrashLooping for each crash-looping pod, KafkaTopicNotReady for each topic not
Ready, a filling disk on the node), grouped by alertname and namespace; silences made,
listed and expired as Alertmanager does, and the alerts they match shown silenced."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from tui.demo.clock import now
from tui.demo.objects import NODE
from tui.demo.state import ApiError, Cluster, Obj, now_rfc3339


def _firing(cluster: Cluster) -> list[Obj]:
    alerts: list[Obj] = []
    for pod in cluster.list("Pod"):
        meta = pod["metadata"]
        for c in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (c.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") == "CrashLoopBackOff" and c.get("restartCount", 0) > 3:
                alerts.append(
                    _alert(
                        "KubePodCrashLooping",
                        "warning" if c.get("restartCount", 0) < 5 else "critical",
                        f"Pod {meta['namespace']}/{meta['name']} ({c.get('name')}) is in"
                        " waiting state (reason: CrashLoopBackOff).",
                        namespace=meta["namespace"],
                        pod=meta["name"],
                        container=str(c.get("name")),
                    )
                )
    if any(r.kind == "KafkaTopic" for r in cluster.resources.values()):
        for topic in cluster.list("KafkaTopic"):
            ready: Obj = next(
                (
                    c
                    for c in (topic.get("status") or {}).get("conditions") or []
                    if c.get("type") == "Ready"
                ),
                {},
            )
            if ready.get("status") == "False":
                meta = topic["metadata"]
                alerts.append(
                    _alert(
                        "KafkaTopicNotReady",
                        "warning",
                        f"KafkaTopic {meta['name']}: {ready.get('message', '')}",
                        namespace=meta["namespace"],
                        topic=meta["name"],
                    )
                )
    alerts.append(
        _alert(
            "NodeFilesystemSpaceFillingUp",
            "warning",
            f"Filesystem on /dev/sda1 at {NODE}:9100 has only 12% available space left and is"
            " filling up.",
            instance=f"{NODE}:9100",
            mountpoint="/",
            device="/dev/sda1",
        )
    )
    return alerts


def _alert(name: str, severity: str, summary: str, **labels: str) -> Obj:
    labels = {
        "alertname": name,
        "severity": severity,
        "prometheus": "monitoring/kube-prometheus-stack-prometheus",
        **labels,
    }
    fingerprint = f"{abs(hash(tuple(sorted(labels.items())))) % 16**16:016x}"
    return {
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": now_rfc3339(now() - 1800),
        "endsAt": now_rfc3339(now() + 300),
        "fingerprint": fingerprint,
        "receivers": [{"name": "incidents"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
    }


def _matches(silence: Obj, labels: dict[str, str]) -> bool:
    for m in silence.get("matchers") or []:
        value = labels.get(str(m.get("name")), "")
        hit = (
            re.fullmatch(str(m.get("value", "")), value) is not None
            if m.get("isRegex")
            else value == m.get("value")
        )
        if hit != bool(m.get("isEqual", True)):
            return False
    return True


def _active(silence: Obj) -> bool:
    return bool(silence["status"]["state"] == "active" and silence["_ends"] > time.time())


def answer(cluster: Cluster, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
    """An Alertmanager API v2 request: the status and the JSON to send."""
    silences = cluster.am_silences
    if method == "GET" and parts in (["alerts"], ["alerts", "groups"]):
        alerts = _firing(cluster)
        for a in alerts:
            ids = [i for i, s in silences.items() if _active(s) and _matches(s, a["labels"])]
            a["status"] = {
                "state": "suppressed" if ids else "active",
                "silencedBy": ids,
                "inhibitedBy": [],
            }
        if parts == ["alerts"]:
            return 200, alerts
        groups: dict[tuple[str, str], Obj] = {}
        for a in alerts:
            key = (a["labels"]["alertname"], a["labels"].get("namespace", ""))
            g = groups.setdefault(
                key,
                {
                    "labels": {"alertname": key[0], **({"namespace": key[1]} if key[1] else {})},
                    "receiver": {"name": "incidents"},
                    "alerts": [],
                },
            )
            g["alerts"].append(a)
        return 200, list(groups.values())
    if method == "GET" and parts == ["silences"]:
        return 200, [
            {k: v for k, v in s.items() if not k.startswith("_")} for s in silences.values()
        ]
    if method == "POST" and parts == ["silences"]:
        if not isinstance(body, dict) or not body.get("matchers") or not body.get("comment"):
            raise ApiError(400, "BadRequest", "silence invalid: matchers and comment are required")
        sid = str(uuid.uuid4())
        ends = body.get("endsAt", "")
        from tui.demo.units import epoch

        silences[sid] = {
            **body,
            "id": sid,
            "status": {"state": "active"},
            "updatedAt": now_rfc3339(),
            "_ends": epoch(ends) or (time.time() + 3600),
        }
        return 200, {"silenceID": sid}
    if method == "DELETE" and len(parts) == 2 and parts[0] == "silence":
        found = silences.get(parts[1])
        if found is None:
            raise ApiError(404, "NotFound", f"silence {parts[1]} not found")
        found["status"] = {"state": "expired"}
        return 200, None
    raise ApiError(404, "NotFound", "no such Alertmanager API v2 path")
