"""The pods pane: trouble first, sortable, filterable, live; 10,000 rows stay responsive."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from tui.store import Pod, State, Store
from tui.store.units import age, fmt_bytes, fmt_cpu, human_duration
from widgets.pane import Pane, state_text
from widgets.scrolling import InputBox
from widgets.table import Cells, Column, VirtualTable

SORTS: dict[str, tuple[str, Callable[[Pod, Store], Any], bool]] = {
    # key: (label, sort key, reverse by default)
    "attention": ("trouble first", lambda p, s: (-p.attention, p.namespace, p.name), False),
    "namespace": ("namespace", lambda p, s: (p.namespace, p.name), False),
    "name": ("name", lambda p, s: (p.name, p.namespace), False),
    "status": ("status", lambda p, s: (p.status, p.namespace, p.name), False),
    "restarts": ("restarts", lambda p, s: (p.restarts, p.last_restart or 0.0), True),
    "age": ("age", lambda p, s: -(p.created or 0.0), False),
    "cpu": ("cpu", lambda p, s: _usage(p, s)[0], True),
    "memory": ("memory", lambda p, s: _usage(p, s)[1], True),
    "node": ("node", lambda p, s: (p.node, p.namespace, p.name), False),
    "ready": ("ready", lambda p, s: (p.ready / p.total if p.total else 1.0, p.name), False),
}
SORT_ORDER = list(SORTS)


def _usage(pod: Pod, store: Store) -> tuple[float, float]:
    u = store.pod_usage.get((pod.namespace, pod.name))
    return (u.cpu_m, u.memory) if u else (-1.0, -1.0)


def matches(pod: Pod, terms: Sequence[str]) -> bool:
    hay = pod.haystack
    return all(t in hay for t in terms)


def select_pods(
    store: Store,
    *,
    text: str = "",
    unhealthy_only: bool = False,
    sort: str = "attention",
    reverse: bool = False,
) -> list[Pod]:
    """The rows of the pods pane, in order."""
    terms = text.lower().split()
    default = sort == "attention" or sort not in SORTS
    # in the default order, kept so as pods change: a pass, not a sort (15 ms at 50k)
    pods = list(store.pod_order.sorted(store.pods) if default else store.pods.values())
    if unhealthy_only:
        pods = [p for p in pods if p.attention]
    if len(terms) == 1:
        term = terms[0]
        pods = [p for p in pods if term in p.haystack]
    elif terms:
        pods = [p for p in pods if matches(p, terms)]
    if default:
        if reverse:
            pods.reverse()
        return pods
    _, key, default_reverse = SORTS[sort]
    pods.sort(key=lambda p: key(p, store), reverse=default_reverse != reverse)
    return pods


ROW_CLASS = {3: "critical", 2: "warning", 1: "warning", 0: ""}


def pod_cells(pod: Pod, store: Store, now: float) -> tuple[Cells, str]:
    restarts = str(pod.restarts)
    if pod.restarts and pod.last_restart:
        restarts += f" ({human_duration(now - pod.last_restart)} ago)"
    ms = store.metrics_status
    if ms.state is State.LIVE:
        u = store.pod_usage.get((pod.namespace, pod.name))
        cpu, mem = (fmt_cpu(u.cpu_m), fmt_bytes(u.memory)) if u else ("", "")
    else:
        cpu = mem = ms.state.value
    row_class = ROW_CLASS.get(pod.attention, "")
    if not row_class and pod.status in ("Completed", "Succeeded"):
        row_class = "dim"
    cells: Cells = (
        pod.namespace,
        pod.name,
        f"{pod.ready}/{pod.total}",
        pod.status,
        restarts,
        pod.last_termination,
        cpu,
        mem,
        age(pod.created, now),
        pod.node,
    )
    return cells, row_class


def pod_detail(pod: Pod) -> str:
    """One line about the selected pod: owner, what it is waiting on, its labels."""
    parts = [f"{pod.namespace}/{pod.name}"]
    if pod.owner_kind:
        parts.append(f"owner {pod.owner_kind}/{pod.owner_name}")
    if pod.message:
        parts.append(pod.message)
    if pod.labels:
        parts.append("labels " + ",".join(f"{k}={v}" for k, v in pod.labels.items()))
    return " · ".join(parts)


class PodsPane(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: run as the key arrives, before the next key is dispatched (`/` then
        # `s` typed at once: the `s` reached the table's bindings and opened a form)
        Binding("slash", "filter", "Filter", id="pods.filter", priority=True),
        Binding("u", "toggle_unhealthy", "Not healthy", id="pods.unhealthy"),
        Binding("o", "next_sort", "Sort", id="pods.sort"),
        Binding("O", "reverse_sort", "Reverse", show=False, id="pods.sort-reverse"),
    ]
    DEFAULT_CSS = """
    PodsPane Input { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }
    PodsPane Input.-active { display: block; }
    PodsPane Input:focus { border: none; background: $accent 30%; }
    PodsPane .detail { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, store: Store, namespace: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.filter_text = ""
        self.unhealthy_only = False
        self.sort = "attention"
        self.reverse = False
        self.namespace = namespace
        # Children made here and kept: no lookup that a teardown could make fail.
        self.narrow = False
        self._name_width = 30
        self.table = VirtualTable[Pod](
            self._columns(30),
            render=self._cells,
            key=attrgetter("uid"),
            id="pods-table",
        )
        self.detail = Static("", id="pods-detail", classes="detail", markup=False)
        self.filter_box = InputBox(
            placeholder="filter pods: words match namespace/name, status, node; Esc clears",
            id="pods-filter",
        )

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.detail
        yield self.filter_box

    # On a narrow pane, what matters first: NAME READY STATUS RESTARTS, then the rest.
    NARROW_ORDER = (1, 2, 3, 4, 0, 5, 6, 7, 8, 9)
    NARROW_WIDTH = 100

    def _cells(self, pod: Pod) -> tuple[Cells, str]:
        cells, row_class = pod_cells(pod, self.store, self.clock())
        if self.narrow:
            cells = tuple(cells[i] for i in self.NARROW_ORDER)
        return cells, row_class

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < self.NARROW_WIDTH
        if narrow != self.narrow:
            self.narrow = narrow
            self.table.set_columns(self._columns(self._name_width))
            self.refresh_rows()

    def _columns(self, name_width: int) -> list[Column]:
        columns = [
            Column("namespace", "NAMESPACE", 13),
            Column("name", "NAME", name_width),
            Column("ready", "READY", 5),
            Column("status", "STATUS", 16),
            Column("restarts", "RESTARTS", 13),
            Column("last", "LAST TERM", 15),
            Column("cpu", "CPU", 9, "right"),
            Column("memory", "MEM", 9, "right"),
            Column("age", "AGE", 7, "right"),
            Column("node", "NODE", 12, flex=True),
        ]
        if self.narrow:
            columns = [columns[i] for i in self.NARROW_ORDER]
            columns[0] = Column("name", "NAME", min(name_width, 32))
        return columns

    def refresh_rows(self) -> None:
        rows = select_pods(
            self.store,
            text=self.filter_text,
            unhealthy_only=self.unhealthy_only,
            sort=self.sort,
            reverse=self.reverse,
        )
        table = self.table
        name_width = min(44, max([20, *(len(p.name) for p in rows[:2000])]))
        if self._name_width != name_width:
            self._name_width = name_width
            table.set_columns(self._columns(name_width))
        table.sort_column = None if self.sort == "attention" else self.sort
        table.sort_reverse = self.reverse
        table.set_rows(rows)
        self._retitle(len(rows))
        self.show_detail()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        pod = self.table.selected
        self.detail.update(pod_detail(pod) if pod else "", layout=False)

    def _retitle(self, shown: int) -> None:
        total, unhealthy = self.store.pod_counts()
        status = self.store.status["pods"]
        title = f"Pods {total} listed / {unhealthy} not healthy"
        if self.namespace:
            title += f" · namespace {self.namespace}"
        parts = []
        if status.state is not State.LIVE:
            parts.append(state_text(status, total, self.clock()))
        if self.unhealthy_only:
            parts.append("not healthy only")
        if self.filter_text:
            parts.append(f"filter “{self.filter_text}”: {shown} shown")
        parts.append(f"sort: {SORTS[self.sort][0]}{' reversed' if self.reverse else ''}")
        ms = self.store.metrics_status
        if ms.state not in (State.LIVE, State.NO_CLUSTER):
            parts.append(f"CPU/MEM: {ms.message or ms.state.value}")
        self.set_title(title, " · ".join(parts))
        self.set_class(unhealthy > 0, "-trouble")
        self.table.set_class(not status.state.ok and total > 0, "-stale")
        if status.state.ok:
            self.table.empty_message = "no pods match" if total else "no pods"
        else:
            self.table.empty_message = f"{status.state.value}: {status.message}"

    # -- actions -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`/` typed in the filter box is a character of the filter, not the binding."""
        return not (action == "filter" and self.filter_box.has_focus)

    def action_filter(self) -> None:
        box = self.filter_box
        box.add_class("-active")
        box.display = True  # now, not at the next style pass: only a shown box takes focus
        box.value = self.filter_text
        # at once (Widget.focus() waits for a refresh): a letter typed right after `/`
        # goes into the box, not to the table's bindings (`s` opened the scale form)
        self.screen.set_focus(box)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def on_key(self, event: Any) -> None:
        box = self.filter_box
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.remove_class("-active")
            self.filter_text = ""
            self.refresh_rows()
            self.table.focus()

    def action_toggle_unhealthy(self) -> None:
        self.unhealthy_only = not self.unhealthy_only
        self.refresh_rows()

    def action_next_sort(self) -> None:
        self.sort = SORT_ORDER[(SORT_ORDER.index(self.sort) + 1) % len(SORT_ORDER)]
        self.reverse = False
        self.refresh_rows()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.refresh_rows()

    def on_virtual_table_header_clicked(self, event: VirtualTable.HeaderClicked) -> None:
        key = {"last": "status"}.get(event.column, event.column)
        if key in SORTS:
            if self.sort == key:
                self.reverse = not self.reverse
            else:
                self.sort, self.reverse = key, False
            self.refresh_rows()
