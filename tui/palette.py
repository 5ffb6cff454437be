"""The command palette: what fits the selection first, then every other action, then
navigation (panes, namespaces, contexts). Read-only mode lists no mutation."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from actions import registry
from actions.base import Target
from tui.triage import Finding

if TYPE_CHECKING:
    from tui.app import IncidentApp

Command = tuple[str, Callable[[], object], str, bool]  # text, callback, help, fits the selection


class ConsoleCommands(Provider):
    @property
    def console(self) -> IncidentApp:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[Command]:
        app = self.console
        runner = app.runner
        out: list[Command] = []
        for action in registry.all_actions(app.settings.read_only):
            if not app.offers(action):
                continue
            target = runner.target_for(action)
            fits = isinstance(target, Target)
            where = f" — {target}" if isinstance(target, Target) else ""
            danger = " · DANGEROUS" if action.dangerous else ""
            out.append(
                (
                    f"{action.title}{where}",
                    partial(runner.start, action.id),
                    f"{action.id}{danger} · {action.description}",
                    fits and action.target_kind != "cluster",
                )
            )
        out.append(
            (
                "Incident report (the timeline so far)",
                app.action_report,
                "findings seen and cleared, actions and outcomes · as `incident-console report`",
                False,
            )
        )
        for pane in ("findings", "pods", "nodes", "events", "flux"):
            out.append(
                (f"Go to {pane}", partial(app.action_focus_pane, pane), "focus the pane", False)
            )
        namespaces = sorted({p.namespace for p in app.store.pods.values()})
        for ns in namespaces:
            out.append(
                (
                    f"Filter namespace {ns}",
                    partial(app.filter_namespace, ns),
                    "show only its pods",
                    False,
                )
            )
        out.append(
            ("Show all namespaces", partial(app.filter_namespace, ""), "clear the filter", False)
        )
        for ctx in app.contexts():
            if ctx != app.kube.info.context:
                out.append(
                    (
                        f"Switch context {ctx}",
                        partial(app.switch_context, ctx),
                        "reconnect to it",
                        False,
                    )
                )
        out.sort(key=lambda c: not c[3])  # what fits the selection first, order kept otherwise
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text, _ in self.commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text, fits in self.commands():
            score = rank(query, f"{text} {help_text.split(' · ')[0]}", matcher.match, fits)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)


def rank(query: str, text: str, fuzzy: Callable[[str], float], fits: bool) -> float:
    """Commands holding the typed words come first (those for the selection before the
    rest), then fuzzy matches: "restart" means restart, not "pRevious containEr…"."""
    words = query.lower().split()
    hay = text.lower()
    bonus = 0.05 if fits else 0.0
    if words and all(w in hay for w in words):
        return 0.9 + bonus
    score = fuzzy(text)
    return min(0.8, score * 0.8 + bonus) if score > 0 else 0.0


def finding_target(app: IncidentApp, finding: Finding, action_id: str) -> Target | str:
    """The target an action of a finding acts on: the finding's subject, or why not."""
    action = registry.get(action_id)
    subject = finding.subject
    kind = action.target_kind
    if kind == "pod":
        if not subject.pod and subject.kind != "pod":
            return "no pod named by this finding"
        name = subject.pod or subject.name
        pod = app.store.find("pods", subject.namespace, name)
        container = pod.containers[0].name if pod is not None and pod.containers else ""
        return Target("pod", subject.namespace, name, container)
    if kind in ("deployment", "endpoints"):
        if kind == "deployment" and subject.kind == "deployment":
            return Target("deployment", subject.namespace, subject.name)
        if kind == "endpoints" and subject.kind == "service":
            return Target("endpoints", subject.namespace, subject.name)
        return f"{subject} is not a {'Deployment' if kind == 'deployment' else 'Service'}"
    if kind == "flux":
        return Target(subject.kind, subject.namespace, subject.name, path=subject.path)
    if kind == "host":
        if subject.kind == "host":
            return Target("host", name=subject.name)
        view = app.store.host_of_node(subject.name) if subject.kind == "node" else None
        if view is None:
            return f"no host known for {subject}: map the node to an SSH target in [hosts]"
        return Target("host", name=view.name)
    return Target("cluster")


class FindingCommands(Provider):
    """The palette narrowed to the actions of the finding chosen in the findings pane."""

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: IncidentApp = self.app  # type: ignore[assignment]
        finding = app.chosen_finding
        if finding is None:
            return []
        allowed = {a.id for a in registry.all_actions() if app.offers(a)}
        out: list[tuple[str, Callable[[], object], str]] = []
        for action_id in finding.actions:
            if action_id not in allowed:
                continue
            target = finding_target(app, finding, action_id)
            if isinstance(target, str):
                continue
            action = registry.get(action_id)
            danger = " · DANGEROUS" if action.dangerous else ""
            out.append(
                (
                    f"{action.title} — {target}",
                    partial(app.runner.start, action_id, target),
                    f"{action_id}{danger} · answers: {finding.title}",
                )
            )
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self.commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(f"{text} {help_text}")
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
