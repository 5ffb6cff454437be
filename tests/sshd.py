"""A real OpenSSH sshd on 127.0.0.1 for the tests: throwaway host and client keys, a
known_hosts file that holds the host key, and a way to kill and restart it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True, capture_output=True
    )
    return path


@dataclass
class Sshd:
    root: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    # systemd units this host says it runs (a k3s node), through a systemctl of its own
    # first in PATH; this machine has no systemd to ask. "k3s=failed" sets a state.
    units: tuple[str, ...] = ()
    # more names for it (~/.ssh/config aliases, see ssh_config): one sshd as many hosts
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.host_key = keygen(self.root / "host_ed25519")
        self.client_key = keygen(self.root / "client_ed25519")
        (self.root / "authorized_keys").write_text((self.root / "client_ed25519.pub").read_text())
        self.known_hosts = self.root / "known_hosts"
        pub = (self.root / "host_ed25519.pub").read_text().split()
        self.known_hosts.write_text(
            "".join(f"[{a}]:{self.port} {pub[0]} {pub[1]}\n" for a in ("127.0.0.1", *self.aliases))
        )
        # Every command the server receives is written down; with `dry` set, the commands
        # (not the sampler) are recorded and not run, so mutations can be checked safely.
        self.received = self.root / "received.log"
        self.wrapper = self.root / "force-command.sh"
        path = ""
        if self.units:
            bin_dir = self.root / "bin"
            bin_dir.mkdir(exist_ok=True)
            states = [(u.partition("=")[0], u.partition("=")[2] or "active") for u in self.units]
            cases = "".join(
                f"    {u}.service) printf 'Id=%s\\nLoadState=loaded\\nActiveState={state}"
                f'\\nSubState={"running" if state == "active" else "failed"}\\n\\n\' "$u" ;;\n'
                for u, state in states
            )
            fake = bin_dir / "systemctl"
            fake.write_text(
                "#!/bin/sh\n"
                'if [ "$1" = show ]; then for u in "$@"; do case "$u" in\n'
                + cases
                + "    *.service) printf 'Id=%s\\nLoadState=not-found\\n\\n' \"$u\" ;;\n"
                "esac; done; exit 0; fi\n"
                'echo "systemctl $*"\n'
            )
            fake.chmod(0o755)
            path = f"export PATH={bin_dir}:$PATH\n"
        # A command sent to a spare shell arrives on its stdin: it is read and recorded too.
        self.wrapper.write_text(
            "#!/bin/sh\n"
            + path
            # a slow login (rc files that take seconds), when the test asks for one
            + f"if [ -e {self.root / 'slow-login'} ]; then sleep 3; fi\n"
            'cmd="$SSH_ORIGINAL_COMMAND"\n'
            # a spare shell: its command comes as the first line of its input
            'case "$cmd" in *"read -r c"*)\n'
            f"  echo ready >> {self.root / 'spares.log'}; IFS= read -r line || exit 0\n"
            f"  printf '%s\\n' \"$line\" >> {self.received}\n"
            f"  if [ -e {self.root / 'dry'} ]; then echo '(recorded, not run)'; exit 0; fi\n"
            # its input again, first line included; the wrapper ends when the shell does
            f"  f={self.root}/fifo-$$; rm -f $f; mkfifo $f; exec 3<&0\n"
            "  { printf '%s\\n' \"$line\"; exec cat <&3; } >$f 2>/dev/null &\n"
            '  exec /bin/sh -c "$cmd" <$f ;;\n'
            "*)\n"
            f"  printf '%s\\n' \"$cmd\" >> {self.received}\n"
            '  exec /bin/sh -c "$cmd" ;;\n'
            "esac\n"
        )
        self.wrapper.chmod(0o755)
        self.config = self.root / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    "MaxStartups 200",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PrintMotd no",
                    f"ForceCommand {self.wrapper}",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        Path("/run/sshd").mkdir(exist_ok=True)

    def ssh_config(self) -> str:
        """~/.ssh/config lines making each alias this server, as a user's would."""
        return "".join(
            f"Host {a}\n  HostName 127.0.0.1\n  Port {self.port}\n  User root\n"
            for a in self.aliases
        )

    def commands(self) -> list[str]:
        """What the server received, sampler left out, in order."""
        if not self.received.exists():
            return []
        return [c for c in self.received.read_text().splitlines() if c and "@@end" not in c]

    def spares_ready(self) -> int:
        """How many spare shells have logged in and wait for a command."""
        log = self.root / "spares.log"
        return len(log.read_text().splitlines()) if log.exists() else 0

    def slow_login(self) -> None:
        (self.root / "slow-login").touch()

    def dry(self, on: bool = True) -> None:
        flag = self.root / "dry"
        if on:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    @property
    def target(self) -> str:
        return f"root@127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "sshd.log", "ab"),  # noqa: SIM115 - lives with the process
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "sshd.log").read_text())
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("sshd did not listen within 10 s")

    def kill(self) -> None:
        """sshd and every session it forked: the connections drop as on a crashed host."""
        if self.proc is None:
            return
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for p in children:
            # sshd's own processes only: the connections drop as on a crashed host, and
            # what the sessions ran ends on its own (a login shell's rc files killed
            # midway can leave locks behind, pyenv's rehash lock among them)
            with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
                if p.name() == "sshd" or p.name().startswith("sshd"):
                    os.kill(p.pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()
