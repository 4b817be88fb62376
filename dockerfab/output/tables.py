"""Tables as text (pure): the column formatter, and the tables of a plan, a host's status
and the per-host summary. The printers decide where they go."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dockerfab.output.records import COLUMNS, STATUS_COLUMNS, HostReport

SUMMARY_HEADERS = ("host", *COLUMNS, "unchanged", "failed", "time", "result")
STATUS_HEADERS = ("host", *STATUS_COLUMNS, "time", "result")


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; ``None`` shows as ``-``."""
    text_rows = [[("-" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    lines = ["  ".join(h.upper().replace(" ", "_").ljust(w) for h, w in zip(headers, widths)
                       ).rstrip()]
    for row in text_rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def plan_lines(actions: Sequence[dict[str, Any]]) -> list[str]:
    """A plan's numbered actions (plain ``Action.as_dict`` forms), without a header line."""
    rows = [[f"{i}.", a["action"], a["item"], "; ".join(a.get("reasons") or ())]
            for i, a in enumerate(actions, 1)]
    return format_table(("#", "action", "item", "reasons"), rows).splitlines()[1:]


def status_tables(statuses: Sequence[Any]) -> list[str]:
    """A host's status (``ClientStatus`` per client): the containers table (state, Docker
    status, health, differences), then the orphans table if there are orphans."""
    rows = []
    orphans = []
    for s in statuses:
        for c in s.containers:
            rows.append([c.name, c.state, c.status, c.health, "; ".join(c.reasons)])
        for r in getattr(s, "resources", ()):  # volumes and networks that differ
            rows.append([r.name, r.state, r.kind, None, "; ".join(r.reasons)])
        orphans.extend(s.orphans)
    tables = [format_table(("container", "state", "docker", "health", "details"), rows)
              if rows else "(no map containers on this host)"]
    if orphans:
        tables.append(format_table(("orphan", "kind", "map", "config", "running"),
                                   [[o.name, o.kind, o.map, o.config,
                                     "yes" if o.running else "no"] for o in orphans]))
    return tables


def summary_table(reports: Sequence[HostReport]) -> str:
    """The per-host summary: status counts when every host reported status (or failed),
    else the action counts."""
    if reports and all(r.status is not None or r.error for r in reports) and \
            any(r.status is not None for r in reports):
        rows = [[r.host, *(r.status_counts().values() if r.status is not None
                           else [None] * len(STATUS_COLUMNS)),
                 f"{r.elapsed:.1f}s",
                 _result(r) if not r.ok else ("in sync" if r.in_sync else "OUT OF SYNC")]
                for r in reports]
        return format_table(STATUS_HEADERS, rows)
    rows = [[r.host, *r.counts.values(), r.unchanged, r.failed, f"{r.elapsed:.1f}s",
             "ok" if r.ok else _result(r)] for r in reports]
    if any(r.release for r in reports):  # a changing run: the release each host is at
        return format_table((*SUMMARY_HEADERS[:-1], "release", SUMMARY_HEADERS[-1]),
                            [[*row[:-1], r.release or "-", row[-1]]
                             for row, r in zip(rows, reports)])
    return format_table(SUMMARY_HEADERS, rows)


def _result(report: HostReport) -> str:
    if report.interrupted:
        return "INTERRUPTED"
    return {4: "ROLLED BACK", 5: "LOCKED"}.get(report.exit_code, "FAILED")
