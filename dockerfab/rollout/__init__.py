"""Safe rollouts: the per-host deploy lock, releases and rollback, batches, the audit log
and the deploy hooks.

Pure parts (no I/O): :mod:`~dockerfab.rollout.holder` (who holds a lock),
:mod:`~dockerfab.rollout.release` (release records, their differences, what a rollback
does), :mod:`~dockerfab.rollout.batches` (splitting hosts into batches, which hosts go
back). I/O parts: :mod:`~dockerfab.rollout.store` (lock, releases and audit log kept on
the host, through ``run_cmd``), :mod:`~dockerfab.rollout.snapshot` (reading the containers
of a map from a daemon), :mod:`~dockerfab.rollout.recreate` (carrying out a rollback),
:mod:`~dockerfab.rollout.guard` (what every changing run does around its work) and
:mod:`~dockerfab.rollout.hooks` (local commands before and after a rollout).
"""
