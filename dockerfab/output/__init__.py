"""Terminal output of a run: live lines per action, plans, status tables, the per-host
summary, progress bars, and the JSON document (schema: docs/output.rst).

One :class:`Reporter` per program run collects a :class:`HostReport` per host. The engine's
``ActionEvent`` listener (:meth:`Reporter.listener`) feeds it; the tasks add plans, status
and the outcome of each host. What gets printed is decided by a *printer*:
:class:`TextPrinter` writes lines as things happen, :class:`JsonPrinter` stays quiet and
writes one document at the end; on a terminal, ``output.live.BoardPrinter`` (a TextPrinter)
redraws a board of the hosts in place instead of the action lines
(:func:`~dockerfab.output.reporter.make_printer` chooses).

============================  ===============================================================
``output.records``            modes, verbosity levels, summary columns; per-host records
``output.tables``             tables as text: plans, status, the summary (pure)
``output.progress``           transfer progress: bars on a terminal, plain lines otherwise
``output.text``               ``TextPrinter``: live lines
``output.board``              the live board's state (pure)
``output.live``               ``BoardPrinter``: the board on a terminal (rich ``Live``)
``output.jsondoc``            ``JsonPrinter``: the JSON document
``output.reporter``           ``Reporter``: collects per host, hands to the printer
============================  ===============================================================

Nothing here prints an environment value: actions carry reasons ("env FOO changed"), never
their arguments.
"""
from dockerfab.output.jsondoc import JSON_VERSION, JsonPrinter
from dockerfab.output.records import (
    COLUMNS,
    MODES,
    NORMAL,
    QUIET,
    STATUS_COLUMNS,
    VERBOSE,
    EventRecord,
    HostReport,
    RunInfo,
    action_dict,
    describe,
)
from dockerfab.output.reporter import PRINTERS, Reporter
from dockerfab.output.tables import STATUS_HEADERS, SUMMARY_HEADERS, format_table
from dockerfab.output.text import TextPrinter

__all__ = [
    "COLUMNS",
    "JSON_VERSION",
    "MODES",
    "NORMAL",
    "PRINTERS",
    "QUIET",
    "STATUS_COLUMNS",
    "STATUS_HEADERS",
    "SUMMARY_HEADERS",
    "VERBOSE",
    "EventRecord",
    "HostReport",
    "JsonPrinter",
    "Reporter",
    "RunInfo",
    "TextPrinter",
    "action_dict",
    "describe",
    "format_table",
]
