"""Sphinx configuration for dockerfab's docs (built with -W in CI: warnings are errors)."""
project = "dockerfab"
author = "dockerfab developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
