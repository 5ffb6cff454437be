"""Moving around the console: another context, a namespace. The kubeconfig of another
context is read in a worker thread (its exec credential plugin may take seconds) and the
old cluster's feeds are told to stop, never waited on: the screen keeps answering."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App
from textual.widgets import Static

from tui.flow import ActionFlow, AppScreens
from tui.session import Session
from tui.sources.client import KubeConfigError


class Navigation:
    """A part of the App (a mixin): what the palette's navigation asks of it."""

    session: Session
    panes: dict[str, Any]
    flow: ActionFlow
    status_bar: Any
    titlebar: Static

    def filter_namespace(self, namespace: str) -> None:
        pane = self.panes["pods"]
        pane.filter_text = f"{namespace}/" if namespace else ""
        pane.refresh_rows()
        self.action_focus_pane("pods")

    def action_focus_pane(self, pane: str) -> None:
        raise NotImplementedError

    def switch_context(self, name: str) -> None:
        """Reconnect to another context of the same kubeconfig; nothing of the old one
        stays. In a worker: the UI thread never loads a kubeconfig or joins a feed."""
        app: App[Any] = self  # type: ignore[assignment]
        kw: dict[str, Any] = {"group": "context", "exclusive": True, "exit_on_error": False}
        app.run_worker(self._switch(name), name=f"context:{name}", **kw)

    async def _switch(self, name: str) -> None:
        app: Any = self
        try:
            kube = await asyncio.to_thread(self.session.load_context, name)
        except KubeConfigError as e:
            app.notify(str(e), severity="error")
            return
        self.session.switch_to(kube, name, start=False)
        # starting a thread waits for it to run: 20 of them, 25 ms of the screen's time
        await asyncio.to_thread(self.session.start)
        self.flow.records.recorder.stop()  # the old cluster's: after what it has queued
        self.flow.forwarder.close_all()
        self.flow = ActionFlow(self.session, AppScreens(app, app.selection))
        self.panes["findings"].tracker = self.session.tracker
        info = self.session.kube.info
        self.status_bar.context, self.status_bar.server = info.context, info.server
        self.titlebar.update(app.title_text(), layout=False)  # one line, always
        for pane in self.panes.values():  # one a turn: a key waits for one pane, not six
            await asyncio.sleep(0)
            pane.refresh_rows()
        app.notify(f"switched to context {name}")
