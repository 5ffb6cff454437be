"""The command palette: what fits the selection first, then every other action, then
navigation (panes, namespaces, contexts). Read-only mode lists no mutation."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from actions import registry
from actions.base import Target

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
        for pane in ("pods", "nodes", "events", "flux"):
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
