"""`:kind [namespace]` in the palette: any kind the server serves, by any name kubectl
takes (`svc`, `ing`, `cert`, `kafka`, `kafkatopics.kafka.strimzi.io`...), opened on a
screen of its own, live; Enter on a row lists the actions that apply to it.

`:` opens the palette; the first word names the kind, the second the namespace.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any, Protocol

from textual.app import App
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from actions import registry
from actions.targets import row_actions, row_target
from tui.flow import ActionFlow
from tui.screens.commands import Listed, ListedCommands
from tui.screens.resources import ResourceScreen, RowHandlers
from tui.session import Session
from tui.sources.discovery import ApiKind, Discovery
from tui.store.resources import Row

NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # RFC 1123 label
WHY = "lowercase letters, digits and '-', 63 at most: as kubectl get ns lists them"
EXACT = 100.0  # Textual's fuzzy scores are not bounded by 1
RUNBOOK_KINDS = ("svc", "ep", "ing", "cert", "kafka", "kafkatopic", "pvc", "deploy", "sts", "ds")


class Console(Protocol):
    session: Session
    flow: ActionFlow


def show_kind(app: App[Any], kind: ApiKind, namespace: str | None) -> None:
    """Watch the kind's rows and show them; closing the screen stops the watch."""
    console: Console = app  # type: ignore[assignment]
    session, flow = console.session, console.flow
    key = session.open_kind(kind, namespace)
    handlers = RowHandlers(
        view=lambda row, mode: flow.view_row(kind, row, mode),
        act=lambda action_id, row: flow.act_on_row(action_id, kind, row),
        choose=lambda row: app.push_screen(
            CommandPalette(
                providers=[row_commands(kind, row)],
                placeholder=f"Actions for {kind.name} {row.key}",
            )
        ),
        closed=lambda: session.close_kind(key),
        can_delete="delete" in kind.verbs and flow.offers(registry.get("resource.delete")),
    )
    where = f" in {namespace}" if namespace and kind.namespaced else ""
    app.push_screen(
        ResourceScreen(
            session.store, key, f"{kind.name}{where}", session.kube.info.context, handlers
        )
    )


async def look_again(app: App[Any], name: str, namespace: str | None) -> None:
    """Discovery asked again (a kind installed since it was cached), then the kind shown."""
    console: Console = app  # type: ignore[assignment]
    try:
        kind = await asyncio.to_thread(console.session.resolve, name)
    except Exception as e:
        app.notify(f"cannot list the kinds the server serves: {e}", severity="error")
        return
    if kind is None or not kind.listable:
        app.notify(f"the server serves no kind named {name!r}", severity="warning")
        return
    show_kind(app, kind, namespace)


def show_forwards(app: App[Any]) -> None:
    from tui.screens.forwards import ForwardsScreen

    app.push_screen(ForwardsScreen(app.flow.forwarder))  # type: ignore[attr-defined]


def typed_refresh(query: str) -> bool:
    return any(w in query.lower() for w in ("kinds", "discovery", "crd"))


async def refresh_kinds(app: App[Any]) -> None:
    console: Console = app  # type: ignore[assignment]
    try:
        found = await asyncio.to_thread(console.session.kinds, True)
    except Exception as e:
        app.notify(f"cannot list the kinds the server serves: {e}", severity="error")
        return
    app.notify(f"{len(found.kinds)} kinds served")


def row_commands(kind: ApiKind, row: Row) -> type[Provider]:
    """A provider of the actions that apply to this row (a class per row, as the palette
    takes classes)."""

    class RowCommands(ListedCommands):
        def commands(self) -> list[Listed]:
            console: Console = self.app  # type: ignore[assignment]
            flow = console.flow
            out: list[Listed] = [
                (f"Describe {row.key}", partial(flow.view_row, kind, row, "describe"), ""),
                (f"YAML of {row.key}", partial(flow.view_row, kind, row, "yaml"), ""),
            ]
            for action_id in row_actions(kind):
                action = registry.get(action_id)
                target = row_target(action, kind, row, console.session.store)
                if not flow.offers(action) or isinstance(target, str):
                    continue
                danger = " · DANGEROUS" if action.dangerous else ""
                out.append(
                    (
                        f"{action.title} — {target}",
                        partial(flow.start, action_id, target),
                        f"{action_id}{danger} · {action.description}",
                    )
                )
            return out

    return RowCommands


class KindCommands(Provider):
    """The kinds the session discovered when it started (or since, asked again)."""

    @property
    def discovery(self) -> Discovery | None:
        console: Console = self.app  # type: ignore[assignment]
        return console.session.discovery if console.session.connected else None

    def _hit_for(self, kind: ApiKind, namespace: str | None) -> tuple[str, Any, str]:
        where = f" in {namespace}" if namespace and kind.namespaced else " in all namespaces"
        text = f"Show {kind.name}{where if kind.namespaced else ''}"
        names = ", ".join((kind.singular, *kind.short_names))
        return text, partial(show_kind, self.app, kind, namespace), f"{kind.api_version} · {names}"

    async def discover(self) -> Hits:
        found = self.discovery
        if found is None:
            return
        for name in RUNBOOK_KINDS:
            kind = found.resolve(name)
            if kind is not None and kind.listable:
                text, callback, help_text = self._hit_for(kind, None)
                yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        words = query.replace(":", " ").split()
        console: Console = self.app  # type: ignore[assignment]
        if not words or not console.session.connected:
            return
        name, namespace = words[0], (words[1] if len(words) > 1 else None)
        if name in ("pf", "port-forwards", "portforwards"):  # the console's own, not a kind
            what = "the console's port-forwards: local port, target, bytes, state"
            yield Hit(EXACT, "Port-forwards (:pf)", partial(show_forwards, self.app), help=what)
            return
        if namespace is not None and not NAMESPACE.match(namespace):  # never into a path
            yield Hit(EXACT, f"{namespace!r} is not a namespace name", lambda: None, help=WHY)
            return
        found = self.discovery
        exact = found.resolve(name) if found is not None else None
        if exact is not None and exact.listable:  # above any fuzzy match ("Keys" for ks: 3.75)
            text, callback, help_text = self._hit_for(exact, namespace)
            yield Hit(EXACT, text, callback, help=help_text)
        elif exact is None and (found is None or "." in name):  # kinds not known yet, or a CRD
            app = self.app  # the coroutine made when chosen, not for every hit shown

            def ask() -> None:
                app.run_worker(look_again(app, name, namespace))

            yield Hit(0.6, f"Look for a kind named {name!r} on the server", ask, help="discovery")
        if typed_refresh(query):
            ask = partial(lambda app: app.run_worker(refresh_kinds(app)), self.app)
            yield Hit(0.7, "Ask the server for its kinds again", ask, help="discovery (a new CRD)")
        seen, typed = {exact}, name.lower()
        for alias, kind in (
            found.names() if found is not None else ()
        ):  # the names that begin with, then hold, it
            if kind in seen or not kind.listable or typed not in alias.lower():
                continue
            seen.add(kind)
            text, callback, help_text = self._hit_for(kind, namespace)
            score = 0.75 if alias.lower().startswith(typed) else 0.6
            yield Hit(score, text, callback, help=help_text)
