"""`incident-console check` against the demo emulator over HTTP, as cron would run it, and
`incident-console report` from a recorded audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests import fixtures as fx
from tui.demo.apiserver import Emulator
from tui.demo.flux import seed_flux
from tui.demo.state import Cluster
from tui.report import build, parse_since, read_log


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "check", "--no-hosts", "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )


def test_check_on_the_demo_exits_2_with_the_oom_and_the_sops_failure(
    demo: Any, cluster: Cluster, kubeconfig: Path
) -> None:
    seed_flux(cluster, "2.7")  # as start_demo does
    proc = check("--json", "--kubeconfig", str(kubeconfig))
    assert proc.returncode == 2, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "critical" and out["exit_code"] == 2 and out["not_evaluated"] == []
    by_rule = {f["rule"]: f for f in out["findings"]}
    oom = by_rule["oomkilled"]
    assert oom["severity"] == "critical"
    assert oom["subject"] == {"kind": "deployment", "namespace": "default", "name": "api-gateway"}
    assert oom["actions"][0] == "deployment.set-resources"
    flux = by_rule["flux-not-ready"]
    assert flux["title"] == "Flux SOPS decryption failed" and "flux.sops-check" in flux["actions"]
    assert flux["subject"]["name"] == "apps" and "decryption failed" in flux["evidence"]
    assert out["findings"][0]["severity"] == "critical"  # critical first
    table = check("--kubeconfig", str(kubeconfig))
    assert table.returncode == 2
    assert (
        "critical  OOMKilled" in table.stdout and "deployment/default/api-gateway" in table.stdout
    )
    assert table.stdout.strip().splitlines()[-1].startswith("critical: ")


def test_check_exit_codes_healthy_warning_unknown(
    cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    cluster.put("Node", fx.node())
    cluster.put("Pod", fx.pod("ok"))
    proc = check("--kubeconfig", str(kubeconfig))
    # the emulator serves metrics.k8s.io: nothing to say
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().startswith("healthy: 0 critical, 0 warning(s)")
    cluster.put("Pod", fx.pod("bad", waiting="ImagePullBackOff", ready=False))
    proc = check("--json", "--kubeconfig", str(kubeconfig))
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "warning"
    cluster.fail("pods", 403)
    proc = check("--json", "--kubeconfig", str(kubeconfig))
    assert proc.returncode == 3
    (missing,) = [n for n in json.loads(proc.stdout)["not_evaluated"] if n["what"] == "pods"]
    assert missing["state"] == "forbidden"
    cluster.fail("pods", None)


def test_check_unreachable_is_critical_and_a_bad_kubeconfig_exit_3(
    tmp_path: Path, cluster: Cluster
) -> None:
    emu = Emulator(cluster).start()
    path = emu.write_kubeconfig(tmp_path / "kc", context="gone")
    emu.stop()  # nobody listens there any more
    proc = check("--timeout", "3", "--kubeconfig", str(path))
    assert proc.returncode == 2  # "Kubernetes API unreachable" is a critical finding
    assert "critical  Kubernetes API unreachable  cluster" in proc.stdout
    assert "not evaluated: pods: unreachable: cannot reach" in proc.stdout
    proc = check("--kubeconfig", str(tmp_path / "missing"))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert str(tmp_path / "missing") in proc.stderr


def entry(at: str, **kw: Any) -> bytes:
    return orjson.dumps({"time": at, **kw}) + b"\n"


def test_report_from_a_recorded_audit_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    t0 = parse_since("2026-11-28T14:00:00Z")
    seen = {
        "event": "finding-seen",
        "first_seen": t0,
        "key": "oomkilled:deployment/default/api-gateway",
        "rule": "oomkilled",
        "title": "OOMKilled",
        "severity": "critical",
        "subject": "deployment/default/api-gateway",
        "evidence": "3 pod(s) last terminated OOMKilled | limit 256Mi",
        "actions": ["deployment.set-resources"],
        "section": "High Memory Usage",
    }
    log.write_bytes(
        entry("2026-11-28T13:00:00.000Z", action="pod.delete", outcome="succeeded", user="old")
        + orjson.dumps({**seen, "time": t0})
        + b"\n"
        + entry(
            "2026-11-28T14:03:10.000Z",
            user="alice",
            kube_context="prod",
            kube_user="admin",
            action="deployment.set-resources",
            target={"kind": "deployment", "namespace": "default", "name": "api-gateway"},
            equivalent="kubectl --context prod -n default patch deployment api-gateway ...",
            outcome="succeeded",
            message="rolled out",
        )
        + b"not json\n"
        + orjson.dumps({**seen, "time": t0 + 200, "first_seen": t0 + 200})
        + b"\n"
        + orjson.dumps({**seen, "event": "finding-cleared", "time": t0 + 330})
        + b"\n"
    )
    entries, bad = read_log(log)
    text = build(entries, t0 - 60, t0 + 3600, str(log), bad)
    assert text.startswith("# Incident report: 2026-11-28 13:59:00 to 2026-11-28 15:00:00 UTC")
    assert "cluster context prod" in text and "1 line(s) of the log could not be read" in text
    # seen again (a console restarted) while open: one finding, from its first sighting
    assert "- Findings: 1 (1 critical); 1 cleared, 0 still open" in text
    assert "- Time to mitigate: mean 5m30s, longest 5m30s" in text
    assert "| 2026-11-28 14:03:10 | action deployment.set-resources: succeeded |" in text
    assert "| OOMKilled | deployment/default/api-gateway | critical | 2026-11-28 14:00:00" in text
    assert "| 5m30s | High Memory Usage |" in text
    assert "OOMKilled \\| limit 256Mi" in text  # a pipe in the evidence stays in its cell
    assert "alice (admin)" in text and "pod.delete" not in text  # before the window
    # the command
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui",
            "report",
            "--audit-log",
            str(log),
            "--since",
            "2026-11-28T13:59",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0 and "## Timeline" in out.stdout and "## Actions" in out.stdout
    bad_since = subprocess.run(
        [sys.executable, "-m", "tui", "report", "--audit-log", str(log), "--since", "yesterday"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad_since.returncode == 2 and "--since 'yesterday'" in bad_since.stderr


def test_check_over_ssh_finds_k3s_failed_on_the_node(
    small_cluster: Cluster, kubeconfig: Path, tmp_path: Path
) -> None:
    from tests.sshd import Sshd

    node = Sshd(tmp_path / "node", units=("k3s=failed", "containerd"))
    node.start()
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "check",
                "--json",
                "--timeout",
                "20",
                "--kubeconfig",
                str(kubeconfig),
                "--ssh",
                node.target,
                "--ssh-key",
                str(node.client_key),
                "--known-hosts",
                str(node.known_hosts),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        node.kill()
    out = json.loads(proc.stdout)
    (k3s,) = [f for f in out["findings"] if f["rule"] == "k3s-not-active"]
    assert k3s["subject"]["name"] == node.target and k3s["evidence"] == "k3s is failed (failed)"
    assert k3s["actions"][0] == "host.service-status"
    assert proc.returncode == 2 and out["not_evaluated"] == []


def test_the_demos_alertmanager_fires_the_runbooks_alerts_and_takes_a_silence(
    tmp_path: Path,
) -> None:
    """The demo serves Alertmanager's API v2 beside its Kubernetes API: what its
    incident fires (the crash-looping gateway, the broken topic, a filling disk)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--demo", "--json", "--no-hosts"],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    out = json.loads(proc.stdout)
    names = {a["name"] for a in out["alerts"]}
    assert names >= {"KubePodCrashLooping", "KafkaTopicNotReady", "NodeFilesystemSpaceFillingUp"}
    crash = next(a for a in out["alerts"] if a["name"] == "KubePodCrashLooping")
    assert crash["labels"]["pod"].startswith("api-gateway-") and crash["state"] == "firing"

    import urllib.request

    from tui.demo import start_demo

    emulator, _demo, _ = start_demo(kubeconfig=tmp_path / "kc", scenario=False)
    try:
        body = {
            "matchers": [{"name": "alertname", "value": "KafkaTopicNotReady", "isRegex": False,
                          "isEqual": True}],
            "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
            "createdBy": "ops", "comment": "known",
        }  # fmt: skip
        req = urllib.request.Request(
            emulator.url + "/api/v2/silences", data=json.dumps(body).encode(), method="POST"
        )
        sid = json.loads(urllib.request.urlopen(req, timeout=10).read())["silenceID"]
        groups = json.loads(
            urllib.request.urlopen(emulator.url + "/api/v2/alerts/groups", timeout=10).read()
        )
        topic = next(g for g in groups if g["labels"]["alertname"] == "KafkaTopicNotReady")
        assert topic["alerts"][0]["status"]["silencedBy"] == [sid]
    finally:
        emulator.stop()
