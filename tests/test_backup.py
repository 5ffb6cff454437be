"""The datastore's backups and restore (issue 26) against the SSH test host: a real sshd,
a fake k3s binary first in its PATH (the sshd fixture's systemctl is fake too), a K3s data
directory in a temporary place ([backup] k3s_data_dir). The SQLite copy is real."""

from __future__ import annotations

import dataclasses
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from actions import registry
from actions.base import Target
from tests.conftest import audit_lines, make_app, mutations, until
from tests.sshd import Sshd
from tests.test_action_flow import log_text, screen_is
from tests.test_app import SIZE
from tests.test_host_actions import Rig
from tests.test_host_pane import modal_text, ssh_host
from tui.config import Settings
from tui.demo.state import Cluster
from tui.screens.confirm import ConfirmScreen
from tui.screens.params import ParamsScreen
from tui.screens.tail import TailScreen

FAKE_K3S = """#!/bin/sh
echo "k3s $*" >> {log}
case "$1 $2" in
  "etcd-snapshot save") d=""; n=""
    while [ $# -gt 0 ]; do case "$1" in --data-dir) d="$2"; shift;; --name) n="$2"; shift;; esac
    shift; done
    mkdir -p "$d/server/db/snapshots"; echo etcd > "$d/server/db/snapshots/$n-vps-1-1765000000"
    echo "Snapshot $n-vps-1-1765000000 saved." ;;
  "etcd-snapshot ls") ls -1 "$4/server/db/snapshots" ;;
  "server --data-dir") echo "Managed etcd cluster membership has been reset" ;;
esac
"""


@pytest.fixture
def k3s_host(k3s_sshd: Sshd, tmp_path: Path) -> tuple[Sshd, Path, Path]:
    """The host, its data directory and the fake k3s's log of what it was asked."""
    log = tmp_path / "k3s.log"
    fake = k3s_sshd.root / "bin" / "k3s"
    fake.write_text(FAKE_K3S.format(log=log))
    fake.chmod(0o755)
    data = tmp_path / "rancher-k3s"
    (data / "server" / "db").mkdir(parents=True)
    (data / "server" / "token").write_text("K10secret::server:abc\n")
    return k3s_sshd, data, log


def run(rig: Rig, data: Path, action_id: str, **params: str) -> tuple[Any, list[str]]:
    rig.ctx = dataclasses.replace(rig.ctx, settings=Settings(k3s_data_dir=str(data)))
    plan = rig.plan(action_id, **params)
    assert not plan.refusal, plan.refusal
    lines: list[str] = []
    outcome = registry.get(action_id).run(rig.ctx, plan, lines.append, threading.Event())
    return outcome, lines


def test_sqlite_datastore_backup_is_a_consistent_copy_with_the_token_then_listed_and_pruned(
    k3s_host: tuple[Sshd, Path, Path],
) -> None:
    sshd, data, _ = k3s_host
    db = sqlite3.connect(data / "server" / "db" / "state.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE kine(name TEXT)")
    db.execute("INSERT INTO kine VALUES ('/registry/pods/default/api-gateway')")
    db.commit()  # k3s keeps it open: the copy goes through SQLite's backup API
    rig = Rig(sshd)
    rig.manager.start()
    try:
        check_backups(rig, data)
    finally:
        rig.manager.stop()
        db.close()


def check_backups(rig: Rig, data: Path) -> None:
    outcome, lines = run(rig, data, "host.datastore-backup")
    assert outcome.ok, "\n".join(lines[1:])
    snapshots = data / "server" / "db" / "snapshots"
    (copy,) = snapshots.glob("incident-console-*.db")
    assert sqlite3.connect(copy).execute("SELECT name FROM kine").fetchall() == [
        ("/registry/pods/default/api-gateway",)
    ]
    token = copy.with_name(copy.name + ".token")
    assert token.read_text() == "K10secret::server:abc\n"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    said = "\n".join(lines)
    assert f"SQLite datastore copied to {copy}" in said and copy.name in said  # where, how big
    older = snapshots / "incident-console-20200101-000000.db"
    older.write_text("old")
    outcome, lines = run(rig, data, "host.datastore-backups")
    assert outcome.ok and older.name in "\n".join(lines)
    outcome, lines = run(rig, data, "host.datastore-prune", keep="1")
    assert outcome.ok and f"removed {older.name}" in "\n".join(lines)
    assert not older.exists() and copy.exists()


async def test_restore_stops_k3s_restores_starts_and_reconciles_flux_each_step_shown(
    flux_demo: Any, cluster: Cluster, kubeconfig: Path, k3s_host: tuple[Sshd, Path, Path],
    audit: Path,
) -> None:  # fmt: skip
    sshd, data, log = k3s_host
    (data / "server" / "db" / "etcd").mkdir()  # embedded etcd
    snap = "incident-console-20261206-010000-vps-1-1765000000"
    (data / "server" / "db" / "snapshots").mkdir()
    (data / "server" / "db" / "snapshots" / snap).write_text("etcd")
    host = ssh_host(sshd, name="vps-6227e9e1")
    app = make_app(kubeconfig, hosts=[host], host_interval=0.3, audit_log=str(audit),
                   k3s_data_dir=str(data))  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.flux_objects(), 20, "the Flux objects")
        await until(pilot, lambda: app.store.hosts["vps-6227e9e1"].sample, 20, "the host")
        app.flow.start("host.datastore-restore", Target("host", name="vps-6227e9e1"))
        await until(pilot, lambda: screen_is(app, ParamsScreen))
        app.screen.query_one("#p-snapshot").value = snap
        await pilot.press("enter")
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await until(pilot, lambda: "Type vps-6227e9e1 to confirm" in modal_text(app))
        text = modal_text(app)
        assert "$ systemctl stop k3s" in text and "$ systemctl start k3s" in text
        assert "Kustomization flux-system/apps" in text and "GitRepository" in text
        assert sshd.commands() == [] and not [r for r in mutations(cluster) if "flux" in r.path]
        await pilot.press(*"vps-6227e9e1", "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "Flux asked to reconcile" in log_text(app), 30)
        await pilot.press("escape")
        await until(pilot, lambda: audit_lines(audit), 10)
    prefix = "exec env LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0 "
    sent = sshd.commands()
    assert sent[0] == prefix + "systemctl stop k3s"
    assert sent[1].startswith(prefix + "sh -c") and snap in sent[1]
    assert sent[2:] == [prefix + "systemctl start k3s", prefix + "systemctl is-active k3s"]
    restore_path = data / "server" / "db" / "snapshots" / snap
    assert log.read_text().splitlines() == [
        f"k3s server --data-dir {data} --cluster-reset --cluster-reset-restore-path={restore_path}"
    ]
    patched = [r.path for r in mutations(cluster) if b"requestedAt" in r.body]
    assert "gitrepositories/flux-system" in patched[0]
    assert any("kustomizations/apps" in p for p in patched[1:])
    (entry,) = audit_lines(audit)
    assert (entry["action"], entry["outcome"]) == ("host.datastore-restore", "succeeded")
    assert entry["commands"][0] == ["systemctl", "stop", "k3s"]
    assert "kustomizations/apps" in entry["external_request"]


async def test_a_restart_of_k3s_backs_up_the_datastore_first_each_step_audited(
    small_cluster: Cluster, kubeconfig: Path, k3s_host: tuple[Sshd, Path, Path], audit: Path
) -> None:
    sshd, data, log = k3s_host
    (data / "server" / "db" / "etcd").mkdir()
    app = make_app(kubeconfig, hosts=[ssh_host(sshd, name="vps-6227e9e1")], host_interval=0.3,
                   audit_log=str(audit), k3s_data_dir=str(data))  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.store.hosts["vps-6227e9e1"].sample, 20, "the host")
        app.flow.start("host.service-restart")
        await until(pilot, lambda: screen_is(app, ParamsScreen))
        await pilot.press("enter")  # k3s
        await until(pilot, lambda: screen_is(app, ConfirmScreen))
        await until(pilot, lambda: "▶ 1  Back up the datastore first" in modal_text(app))
        await pilot.press(*"vps-6227e9e1/k3s", "enter")
        await until(pilot, lambda: screen_is(app, TailScreen))
        await until(pilot, lambda: "journalctl -u k3s -f" in log_text(app), 30)
        await pilot.press("escape")  # the journal's follow ends: the restart's outcome
        await until(pilot, lambda: len(audit_lines(audit)) == 2, 15, "both steps audited")
    first, second = audit_lines(audit)
    assert (first["action"], first["outcome"]) == ("host.datastore-backup", "succeeded")
    assert first["before"] == "host.service-restart"
    assert (second["action"], second["outcome"]) == ("host.service-restart", "succeeded")
    assert log.read_text().startswith(f"k3s etcd-snapshot save --data-dir {data} --name ")
    sent = [c.split("SYSTEMD_COLORS=0 ", 1)[1] for c in sshd.commands()]
    assert sent[0].startswith("sh -c") and sent[1].startswith("ls -l")
    assert sent[2:4] == ["systemctl restart k3s", "systemctl is-active k3s"]
