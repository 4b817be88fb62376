"""Live lines, the per-host summary and the JSON document of a run."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from dockerfab.output import JsonPrinter, Reporter, TextPrinter, format_table


@dataclass
class Event:  # the shape of dockerfab.engine.events.ActionEvent the reporter reads
    kind: str
    item: str
    phase: str
    duration: float | None = None
    reasons: list[str] = field(default_factory=list)
    error: str | None = None


def run_events(reporter: Reporter) -> None:
    listen = reporter.listener("bed1")
    listen(Event("create", "m.web", "start", reasons=["missing"]))
    listen(Event("create", "m.web", "done", 0.25))
    listen(Event("start", "m.web", "done", 0.5))
    listen(Event("remove", "m.old", "done", 0.1))
    listen(Event("start", "m.app", "failed", 1.0, error="port is\nalready allocated"))
    reporter.finish("bed1", unchanged=3)
    reporter.listener("bed2")(Event("create", "m.web", "done", 0.2))
    reporter.finish("bed2", error=ConnectionError("host gone"))


def test_live_lines_name_host_action_item_and_duration():
    out = io.StringIO()
    reporter = Reporter(TextPrinter(out))
    run_events(reporter)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("[bed1] create m.web ...  (missing)")
    assert lines[1].endswith("[bed1] create m.web done 0.25s")
    assert "[bed1] start m.app FAILED 1.00s: port is already allocated" in lines[4]
    assert lines[-1] == "[bed2] ERROR : host gone"


def test_summary_counts_per_host_and_reports_failure():
    out = io.StringIO()
    reporter = Reporter(TextPrinter(out))
    run_events(reporter)
    assert reporter.summary() is False
    title, *table = out.getvalue().split("\n\n")[-1].splitlines()
    assert title.startswith("summary: ") and title.endswith("s in total")
    assert table[0].split() == ["HOST", "CREATED", "STARTED", "STOPPED", "REMOVED",
                                "UPDATED", "UNCHANGED", "FAILED", "TIME", "RESULT"]
    bed1 = table[1].split()
    assert bed1[:8] == ["bed1", "1", "1", "0", "1", "0", "3", "1"] and bed1[-1] == "FAILED"
    assert table[2].split()[-1] == "FAILED"
    assert reporter.reports == {}  # the next task starts afresh


def test_end_prints_nothing_for_successful_utilities():
    out = io.StringIO()
    reporter = Reporter(TextPrinter(out))
    reporter.host("bed1", "version")
    reporter.finish("bed1")
    assert reporter.end(full=False) is True
    assert out.getvalue() == ""


def test_json_mode_prints_one_document():
    out = io.StringIO()
    reporter = Reporter(JsonPrinter(out))
    run_events(reporter)
    assert out.getvalue() == ""
    reporter.end(full=False)
    doc = json.loads(out.getvalue())
    assert doc["ok"] is False
    assert [h["host"] for h in doc["hosts"]] == ["bed1", "bed2"]
    assert doc["hosts"][0]["created"] == 1 and doc["hosts"][1]["error"] == "host gone"
    assert [e["phase"] for e in doc["events"]][:2] == ["start", "done"]
    assert all(isinstance(e["time"], float) for e in doc["events"])


def test_format_table_aligns_and_shows_none_as_dash():
    assert format_table(("name", "size"), [["a", None], ["long-name", 3]]).splitlines() == [
        "NAME       SIZE", "a          -", "long-name  3"]
