"""The command palette: what fits the selection first, then every other action, then
navigation (panes, namespaces, contexts). Read-only mode lists no mutation."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from rich.markup import escape
from textual.command import DiscoveryHit, Hit, Hits, Provider

from actions import registry
from actions.base import Target
from tui.flow import ActionFlow
from tui.screens.commands import ListedCommands
from tui.session import Session
from tui.triage import Finding

Command = tuple[str, Callable[[], object], str, bool]  # text, callback, help, fits the selection


class Console(Protocol):
    """What the palette asks of the App: its session, its flow and its navigation."""

    session: Session
    flow: ActionFlow
    chosen_finding: Finding | None

    def action_report(self) -> None: ...
    def action_focus_pane(self, pane: str) -> None: ...
    def filter_namespace(self, namespace: str) -> None: ...
    def switch_context(self, name: str) -> None: ...


class ConsoleCommands(Provider):
    @property
    def console(self) -> Console:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[Command]:
        app = self.console
        flow, session = app.flow, app.session
        out: list[Command] = []
        for action in registry.all_actions():  # flow.offers: read-only mode, the cluster
            if not flow.offers(action) or action.target_kind in ("resource", "alert"):
                continue  # their targets: the rows of :kind, the alerts among the findings
            target = flow.target_for(action)
            fits = isinstance(target, Target)
            where = f" — {target}" if isinstance(target, Target) else ""
            danger = " · DANGEROUS" if action.dangerous else ""
            out.append(
                (
                    f"{action.title}{where}",
                    partial(flow.start, action.id),
                    escape(f"{action.id}{danger} · {action.description}"),  # text, not markup
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
        namespaces = sorted({p.namespace for p in session.store.pods.values()})
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
        for ctx in session.contexts():
            if ctx != session.kube.info.context:
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


class FindingCommands(ListedCommands):
    """The palette narrowed to the actions of the finding chosen in the findings pane."""

    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: Console = self.app  # type: ignore[assignment]
        finding, flow = app.chosen_finding, app.flow
        if finding is None:
            return []
        out: list[tuple[str, Callable[[], object], str]] = []
        for action_id in finding.actions:
            action = registry.get(action_id)
            if not flow.offers(action):
                continue
            target = flow.finding_target(action, finding)
            if isinstance(target, str):
                continue
            danger = " · DANGEROUS" if action.dangerous else ""
            out.append(
                (
                    f"{action.title} — {target}",
                    partial(flow.start, action_id, target),
                    f"{action_id}{danger} · answers: {finding.title}",
                )
            )
        return out
