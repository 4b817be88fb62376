"""Compose files in and out (pure: no Docker, no files read here).

* :mod:`dockerfab.compose.interpolate`: ``${VAR}`` substitution as Compose does it;
* :mod:`dockerfab.compose.importer`: a Compose file's data -> container map data
  (:func:`~dockerfab.compose.importer.compose_to_map`), with a warning per feature that has
  no equivalent;
* :mod:`dockerfab.compose.exporter`: a container map -> Compose file data, valid for
  ``docker compose`` and ``docker stack deploy``
  (:func:`~dockerfab.compose.exporter.map_to_compose`);
* :mod:`dockerfab.compose.dump`: YAML text of either, with ``!env`` tags kept.

The ``import-compose`` and ``export-compose`` tasks read and write the files. The
conversion tables are in docs/compose.rst.
"""
