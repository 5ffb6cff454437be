"""The command line: bad input gets one line naming the fix, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"incident-console {__version__}"
    out = run("--help").stdout
    for flag in ("--kubeconfig", "--context", "--namespace", "--read-only", "--demo"):
        assert flag in out


def test_missing_kubeconfig_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    line = one_line_error(run("--kubeconfig", str(missing)))
    assert str(missing) in line and "does not exist" in line


def test_kubeconfig_env_is_honoured(tmp_path: Path) -> None:
    missing = tmp_path / "from-env.yaml"
    line = one_line_error(run(env={"KUBECONFIG": str(missing)}))
    assert str(missing) in line


def test_unreadable_and_malformed_kubeconfig(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clusters: [\n")
    assert str(bad) in one_line_error(run("--kubeconfig", str(bad)))
    folder = tmp_path / "adir"
    folder.mkdir()
    assert "not a readable file" in one_line_error(run("--kubeconfig", str(folder)))


def test_unknown_context_names_the_contexts_that_exist(kubeconfig: Path) -> None:
    line = one_line_error(run("--kubeconfig", str(kubeconfig), "--context", "prod"))
    assert "'prod'" in line and str(kubeconfig) in line and "contexts there: test" in line


def test_demo_refuses_a_kubeconfig() -> None:
    assert "--demo" in one_line_error(run("--demo", "--kubeconfig", "/x"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("read_only = 3\n", "read_only"),
        ("colour = 'red'\n", "colour"),
        ("x = [\n", "cannot be read"),
        ("[hosts]\nvps-1 = 22\n", "[hosts]"),
        ("host_interval = 0\n", "host_interval must be above 0"),
    ],
)
def test_bad_config_file_names_the_setting(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    line = one_line_error(run("--config", str(cfg), "--kubeconfig", "/x"))
    assert str(cfg) in line and needle in line


def test_a_bad_ssh_target_is_one_line_naming_it(kubeconfig: Path) -> None:
    line = one_line_error(run("--kubeconfig", str(kubeconfig), "--ssh", "root@host;reboot"))
    assert "'root@host;reboot' is not an SSH target: use [user@]host[:port]" in line
    cfg = kubeconfig.parent / "config.toml"
    cfg.write_text('[hosts]\n"vps-1" = "root@h:0"\n')
    line = one_line_error(run("--config", str(cfg), "--kubeconfig", str(kubeconfig)))
    assert "port 0 is not between 1 and 65535" in line


def test_hosts_from_flags_and_config() -> None:
    from tui.config import Settings
    from tui.sources.hosts import build_hosts
    from tui.sources.local import LocalHost
    from tui.sources.ssh import SshHost

    settings = Settings(
        ssh=["root@10.0.0.5", "ops@10.0.0.6:2222"],
        hosts={"vps-1": "root@10.0.0.5", "vps-3": "local"},
        ssh_key="/k",
        known_hosts="/kh",
    )
    hosts = build_hosts(settings)
    assert [(type(h).__name__, h.name, h.target) for h in hosts] == [
        ("SshHost", "vps-1", "root@10.0.0.5"),  # the node it is, from [hosts]
        ("SshHost", "ops@10.0.0.6:2222", "ops@10.0.0.6:2222"),
        ("LocalHost", "vps-3", "local"),
    ]
    assert isinstance(hosts[0], SshHost) and str(hosts[0].known_hosts) == "/kh"
    assert hosts[0].key == "/k"
    only_local = build_hosts(Settings(), local_name="vps-6227e9e1")
    assert [(type(h), h.name) for h in only_local] == [(LocalHost, "vps-6227e9e1")]
    both = build_hosts(Settings(ssh=["h1"], local=True), local_name="me")
    assert [h.name for h in both] == ["h1", "me"]


def test_a_kubeconfig_that_is_a_string_says_what_it_holds(tmp_path: Path) -> None:
    """Issue 28.7: it said "'str' object does not support item assignment"."""
    lone = tmp_path / "lone.yaml"
    lone.write_text('"https://10.0.0.1:6443"\n')
    line = one_line_error(run("--kubeconfig", str(lone)))
    assert f"kubeconfig {lone} is not a kubeconfig: it holds a string" in line
    listed = tmp_path / "listed.yaml"
    listed.write_text("- a\n- b\n")
    assert "it holds a list" in one_line_error(run("--kubeconfig", str(listed)))


def test_actions_piped_into_head_ends_quietly() -> None:
    """Issue 28.6: `actions | head -1` ended in a BrokenPipeError traceback, rc 1."""
    proc = subprocess.run(
        f"set -o pipefail; {sys.executable} -m tui actions | head -1",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ID") and proc.stderr == ""


def test_check_demo_and_demo_check_run_on_the_embedded_cluster(tmp_path: Path) -> None:
    """Issue 28.5: `check --demo` was a usage error; `--demo check` ignored --demo."""
    for args in (("check", "--demo", "--json", "--no-hosts"), ("--demo", "check", "--json")):
        proc = run(*args, "--timeout", "20")
        assert "Traceback" not in proc.stderr
        assert proc.returncode == 2, proc.stderr  # the demo's OOM is critical
        assert '"oomkilled"' in proc.stdout and "api-gateway" in proc.stdout


def test_report_demo_reads_the_demos_own_record(tmp_path: Path) -> None:
    state = tmp_path / "state"
    demo_log = state / "incident-console" / "demo" / "audit.jsonl"
    demo_log.parent.mkdir(parents=True)
    demo_log.write_text(
        '{"time":"2026-12-06T20:00:00Z","action":"deployment.restart","outcome":"succeeded",'
        '"target":{"kind":"deployment","namespace":"default","name":"api-gateway"}}\n'
    )
    proc = run("report", "--demo", "--since", "2026-12-01", env={"XDG_STATE_HOME": str(state)})
    assert proc.returncode == 0, proc.stderr
    assert str(demo_log) in proc.stdout and "deployment.restart" in proc.stdout
