"""What the console knows of the cluster before any list: where its API server is, or
that there is none (hosts first). Shared by the console and `check`; no Textual."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from urllib.parse import urlsplit

import psutil

from tui.sources.flux import STATUS_KEY as FLUX_STATUS
from tui.store import KINDS, ApiServer, Change, KindStatus, MetricsUpdate, State, StatusChange


def this_machine_addresses() -> set[str]:
    """The names and addresses this machine answers to."""
    names = {"localhost", socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family in (socket.AF_INET, socket.AF_INET6):
                    names.add(a.address.split("%", 1)[0])
    return {n.lower() for n in names if n}


def is_this_machine(host: str, addresses: set[str] | None = None) -> bool:
    host = host.strip("[]").lower()
    if not host:
        return False
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return True
    return host in (addresses if addresses is not None else this_machine_addresses())


def api_server(url: str) -> ApiServer:
    host = urlsplit(url).hostname or ""
    return ApiServer(url, host, is_this_machine(host))


def no_cluster(reason: str) -> list[Change]:
    """Every cluster feed's state when no kubeconfig is usable: the panes say so, with
    the reason, instead of staying empty."""
    status = KindStatus(State.NO_CLUSTER, reason)
    changes: list[Change] = [StatusChange(kind, status) for kind in (*KINDS, FLUX_STATUS)]
    changes.append(MetricsUpdate(status))
    return changes
