"""Any kind, live, as kubectl prints it: one list+watch asking for the server's Table
(`as=Table;g=meta.k8s.io`, with each row's object), or, where the server answers with a
plain list, the fallback columns (a CRD's printer columns read from its definition)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tui.sources.client import JSON, ApiError, Kube
from tui.sources.discovery import ApiKind
from tui.sources.kube import KindSpec, ListWatch
from tui.store import ChangeBuffer
from tui.store.resources import TableColumn, fallback_rows, table_rows

TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json"
)


NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # RFC 1123 label


def store_key(kind: ApiKind, namespace: str | None = None) -> str:
    """Where a kind's rows live in the store: one key per kind and namespace, so that two
    views of it (all namespaces, one namespace) can both be open."""
    return f"resource/{kind.name}" + (f"@{namespace}" if namespace and kind.namespaced else "")


class TableDecoder:
    """The server's Table when it offers one, the fallback columns when it does not."""

    accept = TABLE_ACCEPT
    query = {"includeObject": "Object"}

    def __init__(
        self, kind: ApiKind, columns_of: Callable[[], list[JSON]], clock: Callable[[], float]
    ) -> None:
        self.name = kind.name
        self.columns_of = columns_of  # asked once, in the feed's thread, if ever needed
        self._printer_columns: list[JSON] | None = None
        self.clock = clock
        self.columns: tuple[TableColumn, ...] = ()
        self.as_table: bool | None = None  # what the server answered (None: not yet)

    @property
    def printer_columns(self) -> list[JSON]:
        if self._printer_columns is None:
            self._printer_columns = self.columns_of()
        return self._printer_columns

    def items(self, doc: JSON, known: Mapping[str, Any]) -> list[Any]:
        if doc.get("kind") == "Table":
            self.as_table = True
            self.columns, rows = table_rows(self.name, doc, self.columns)
        else:
            self.as_table = False
            self.columns, rows = fallback_rows(
                self.name, doc.get("items") or [], self.printer_columns, self.clock()
            )
        return list(rows)

    def event(self, obj: JSON) -> Any:
        if obj.get("kind") == "Table":
            self.columns, rows = table_rows(self.name, obj, self.columns)
        else:
            self.columns, rows = fallback_rows(self.name, [obj], self.printer_columns, self.clock())
        return rows[0] if rows else None


def printer_columns(kube: Kube, kind: ApiKind) -> list[JSON]:
    """A custom resource's additionalPrinterColumns at the version served ([] for the
    built-in kinds, or when the definition cannot be read)."""
    if not kind.group or "." not in kind.group or kind.group.endswith(".k8s.io"):
        return []
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{kind.plural}.{kind.group}"
    try:
        crd = kube.json("GET", path, timeout=(5.0, 20.0))
    except (ApiError, OSError):
        return []
    for v in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(v, dict) and v.get("name") == kind.version:
            return [c for c in v.get("additionalPrinterColumns") or [] if isinstance(c, dict)]
    return []


def resource_feed(
    kube: Kube,
    kind: ApiKind,
    sink: ChangeBuffer,
    namespace: str | None,
    clock: Callable[[], float],
    **options: Any,
) -> ListWatch:
    """The feed of one kind's rows into the store, under `resource/<kind.name>[@ns]`."""
    if namespace is not None and not NAMESPACE.match(namespace):
        raise ValueError(f"{namespace!r} is not a namespace name")
    spec = KindSpec(
        store_key(kind, namespace), kind.group, kind.version, kind.plural, kind.namespaced
    )
    decoder = TableDecoder(kind, lambda: printer_columns(kube, kind), clock)
    return ListWatch(kube, spec, sink, namespace=namespace, decoder=decoder, **options)
