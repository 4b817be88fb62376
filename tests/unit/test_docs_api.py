"""The API reference (docs/api.rst, sphinx autodoc) covers every public name: each module
that defines a name of the package's exports is documented there, and every public class
and function of those modules has a docstring (autodoc leaves out what has none)."""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import dockerfab

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODULES = re.findall(r"automodule:: (\S+)", (DOCS / "api.rst").read_text())


def test_every_exported_name_is_in_a_documented_module():
    assert {name: module for name, module in dockerfab._EXPORTS.items()
            if module not in MODULES} == {}


def test_every_public_class_and_function_has_a_docstring():
    missing = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [n for n in vars(module)
                                                     if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if getattr(obj, "__module__", None) != module_name:
                continue
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_index_lists_every_page_in_reading_order():
    index = (DOCS / "index.rst").read_text()
    captions = re.findall(r":caption: (.+)", index)
    assert captions == ["Start here", "Concepts", "Task reference", "Library API",
                        "Migrating", "Operations and reliability", "Development"]
    listed = re.findall(r"^   ([a-z][\w-]*)$", index, re.MULTILINE)
    pages = {p.stem for p in DOCS.glob("*.rst")} - {"index"}
    assert sorted(pages - set(listed)) == []  # a new page goes under its section
    order = ["tutorial", "maps", "tasks", "api", "migrating", "reliability", "development"]
    assert [p for p in listed if p in order] == order
