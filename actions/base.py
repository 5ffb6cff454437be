"""What an action is: it says exactly what it will do (a Plan) before it does it.

No Textual here. An action's plan() is pure; dry_run() and run() talk to the cluster
through the context's client and are called from a worker thread.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """What an action acts on: a pod, a deployment, an endpoints object, or the cluster."""

    kind: str  # pod | deployment | endpoints | cluster | host | a Flux kind (Kustomization...)
    namespace: str = ""
    name: str = ""
    container: str = ""
    path: str = ""  # the object's API path, where the kind alone does not give it (Flux)

    def __str__(self) -> str:
        if self.kind == "cluster":
            return "cluster"
        return f"{self.kind}/{self.name}" + (f" in {self.namespace}" if self.namespace else "")


@dataclass(frozen=True)
class Request:
    """One HTTP request exactly as it will be sent."""

    method: str
    path: str
    body: Any = None
    content_type: str | None = None

    def describe(self) -> str:
        text = f"{self.method} {self.path}"
        if self.content_type:
            text += f"\nContent-Type: {self.content_type}"
        if self.body is not None:
            import orjson

            text += "\n" + orjson.dumps(self.body, option=orjson.OPT_INDENT_2).decode()
        return text


@dataclass(frozen=True)
class Plan:
    action_id: str
    title: str
    target: Target
    context: str
    requests: tuple[Request, ...]
    equivalent: str  # the kubectl command line that does the same
    summary: str  # what will happen, in words
    dangerous: bool = False
    refusal: str = ""  # set when the action must not run (e.g. a paused Deployment)
    diff: str = ""
    data: JSON = field(default_factory=dict)  # what run() needs beyond the requests
    # Host actions: the host (as the console names it and how it is reached) and the
    # exact command lines, each an argv list, in the order they run.
    host: str = ""
    commands: tuple[tuple[str, ...], ...] = ()
    confirm: str = ""  # the word to type, where it is not the target's name (a unit)

    @property
    def confirm_word(self) -> str:
        """What a dangerous action needs typed: the target's name (the context's for cluster)."""
        return self.confirm or self.target.name or self.context


@dataclass
class Outcome:
    ok: bool
    message: str
    responses: list[JSON] = field(default_factory=list)
    # what the audit records when it is neither "succeeded" nor "failed": the change was
    # made, and the operator stopped following it ("done-not-followed")
    audited_as: str = ""


def not_followed(what: str) -> Outcome:
    """Esc while following a change the server accepted: done, only not watched to the end."""
    return Outcome(True, f"not followed to the end: {what}", audited_as="done-not-followed")


class Client(Protocol):
    """What actions need from a Kubernetes client (tui.sources.kube.Kube is one)."""

    def json(self, method: str, path: str, **kw: Any) -> Any: ...


@dataclass
class Context:
    """Everything an action may read: the client, the cluster's name, the store, settings."""

    client: Client
    context: str
    store: Any  # tui.store.Store (read on the UI thread when planning)
    non_critical: tuple[str, ...] = ()  # "namespace/name" of deployments emergency.scale-down stops
    hosts: HostRunner | None = None  # runs host commands (tui.sources.host.HostManager)
    api_server: str = ""  # the API server's URL, for the connectivity checks
    clock: Callable[[], float] = time.time  # the console's time (restartedAt, requestedAt)
    read_only: bool = False  # the request layer refuses every mutation, whatever asks
    alertmanager: Any = None  # tui.sources.prometheus.Endpoint, where one is configured
    settings: Any = None  # tui.config.Settings
    findings: tuple[Any, ...] = ()  # the open findings (tui.triage.Finding)
    incident: Any = None  # the open incident (tui.record.Incident), as last read
    cluster: str = ""  # the cluster's name in the incident store
    forwards: Any = None  # the console's port-forwards (tui.sources.portforward.Forwarder)


class CommandResult(Protocol):
    @property
    def exit_code(self) -> int | None: ...
    @property
    def timed_out(self) -> bool: ...
    @property
    def error(self) -> str: ...


class HostRunner(Protocol):
    """What host actions need: run an argv on a named host, line by line, stoppable."""

    def run(
        self,
        host_name: str,
        argv: Sequence[str],
        on_line: Callable[[str], None],
        stop: threading.Event,
        timeout: float | None = ...,
        mutating: bool = ...,
    ) -> CommandResult: ...

    def is_root(self, host_name: str) -> bool: ...

    def target(self, host_name: str) -> str: ...


Emit = Callable[[str], None]


class Action:
    id: str = ""
    title: str = ""
    target_kind: str = ""  # pod | deployment | endpoints | cluster
    dangerous: bool = False
    mutating: bool = True
    description: str = ""
    key: str = ""  # default key binding, k9s habits
    params: tuple[str, ...] = ()  # inputs the operator gives before the plan (e.g. replicas)
    # Changes an object Flux may apply: its confirmation traces the object to its
    # Kustomization/HelmRelease and offers to suspend it first (actions/gitops.py).
    gitops: bool = False
    # A mutation that can end an incident's impact (the incident store's "mitigated");
    # telling, silencing, backing up and suspending do not.
    mitigates: bool = True

    def equivalent(self, target: Target, context: str, params: JSON) -> str:
        raise NotImplementedError

    def plan(self, ctx: Context, target: Target, params: JSON) -> Plan:
        raise NotImplementedError

    def run(self, ctx: Context, plan: Plan, emit: Emit, stop: threading.Event) -> Outcome:
        """Send the plan's requests for real, then follow what happens; return the outcome."""
        raise NotImplementedError

    def make_plan(
        self,
        ctx: Context,
        target: Target,
        params: JSON,
        requests: tuple[Request, ...],
        summary: str,
        **extra: Any,
    ) -> Plan:
        """This action's plan: its id, title, the context and the kubectl equivalent are
        the same for every action; the requests, the summary and the rest are its own."""
        equivalent = self.equivalent(target, ctx.context, params)
        return Plan(
            self.id, self.title, target, ctx.context, requests, equivalent, summary, **extra
        )

    def describe(self) -> JSON:
        return {
            "id": self.id,
            "title": self.title,
            "target": self.target_kind,
            "dangerous": self.dangerous,
            "mutating": self.mutating,
            "equivalent": self.equivalent(
                Target(self.target_kind, "NAMESPACE", "NAME"),
                "CONTEXT",
                {p: p.upper() for p in self.params},
            ),
            "key": self.key,
            "description": self.description,
        }


def kubectl(context: str, *args: str, namespace: str = "") -> str:
    words = ["kubectl", "--context", context]
    if namespace:
        words += ["-n", namespace]
    return shlex.join([*words, *args])
