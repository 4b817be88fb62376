"""DockerClientWrapper: the Docker SDK's low-level client plus the utilities of spec 3.6.

Changed from the SDK: ``build`` logs the build output and returns the image id (None on
failure); ``login``, ``pull`` and ``push`` return True/False instead of raising when the
registry refuses. Added: building from DockerFile/DockerContext, logging hooks, clean-up
helpers and downloads to local files. Multi-step helpers list once, then act concurrently,
and raise :class:`~dockerfab.errors.PartialResultsError` carrying what was done.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import docker
from docker.errors import APIError, DockerException
from docker.utils import parse_repository_tag
from requests.exceptions import RequestException

from dockerfab.build.context import DockerContext
from dockerfab.build.dockerfile import DockerFile
from dockerfab.errors import BuildError, PartialResultsError
from dockerfab.map.naming import primary_name

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Container states that count as stopped (removed by cleanup_containers).
STOPPED_STATES = ("exited", "dead")
#: Container states that need a stop before removal.
ACTIVE_STATES = ("running", "restarting", "paused")
NONE_TAG = "<none>:<none>"


def _container_name(container: Mapping[str, Any]) -> str:
    """The primary name of a container from a list entry (``'/web'`` -> ``'web'``); its id
    when it has none."""
    return primary_name(container.get("Names")) or str(container["Id"])


def _real_tags(image: Mapping[str, Any]) -> list[str]:
    """The ``repo:tag`` names of an image list entry, without ``<none>:<none>``."""
    return [t for t in image.get("RepoTags") or () if t != NONE_TAG]


class DockerClientWrapper(docker.APIClient):
    """``docker.APIClient`` with the added and changed behaviour of spec 3.6.

    The API version defaults to ``'auto'`` (negotiated with the daemon). ``max_workers``
    bounds the concurrent API calls of the clean-up helpers.
    """

    max_workers: int = 4

    def __init__(self, base_url: str | None = None, version: str | None = "auto",
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(base_url, version, *args, **kwargs)
        self.url = base_url  # as given (the SDK rewrites socket URLs in base_url)

    @property
    def host_label(self) -> str:
        """How errors name this client's host: the URL as given. Clients that know the
        host's name (``DockerFabricClient``: the ``-H`` value) return that instead."""
        return getattr(self, "url", None) or self.base_url

    # --- logging hooks ---------------------------------------------------------------------

    def push_log(self, info: str, level: int = logging.INFO, *args: Any, **kwargs: Any) -> None:
        """Report a message from the daemon; the default sends it to the ``logging`` logger
        ``dockerfab.client.wrapper``. Override to show output elsewhere."""
        log.log(level, info.rstrip("\n"), *args, **kwargs)

    def push_progress(self, status: str, object_id: str | None,
                      progress: Mapping[str, Any] | str | None) -> None:
        """Hook for progress messages (layer downloads, pushes); does nothing by default.
        Override to drive a progress bar."""

    def push_container_logs(self, container: str) -> None:
        """Send the current log of ``container`` to :meth:`push_log`, each line prefixed with
        the container name."""
        data = self.logs(container, stdout=True, stderr=True, stream=False, timestamps=False)
        for line in data.decode("utf-8", "replace").splitlines():
            self.push_log(f"{container}: {line}")

    def _consume(self, stream: Iterable[Mapping[str, Any]], errors: list[str],
                 lines: list[str] | None = None) -> Iterator[Mapping[str, Any]]:
        """Log each message of a decoded JSON stream; collect errors; yield ``aux`` parts."""
        for message in stream:
            if "error" in message or "errorDetail" in message:
                detail = message.get("errorDetail") or {}
                text = str(message.get("error") or detail.get("message") or message)
                errors.append(text)
                self.push_log(text, logging.ERROR)
            elif "stream" in message:
                text = str(message["stream"]).rstrip("\n")
                if text.strip():
                    if lines is not None:
                        lines.append(text)
                    self.push_log(text)
            elif "status" in message:
                status = str(message["status"])
                detail = message.get("progressDetail")
                if detail or message.get("progress"):
                    self.push_progress(status, message.get("id"),
                                       detail or message.get("progress"))
                else:
                    text = f"{message['id']}: {status}" if message.get("id") else status
                    self.push_log(text)
            if "aux" in message:
                yield message["aux"]

    # --- building --------------------------------------------------------------------------

    def build(self, path: str | None = None, tag: str | None = None, *,
              add_tags: Sequence[str] | None = None, add_latest_tag: bool = False,
              raise_on_error: bool = False, **kwargs: Any) -> str | None:
        """Build an image named ``tag`` (mandatory) and return its id, or None if the build
        failed (the daemon's error is logged; with ``raise_on_error`` a BuildError is raised).

        The output goes to :meth:`push_log`. ``add_tags`` are further tags of the same
        repository (``'1.0'``) or full references (``'other/name:1.0'``); ``add_latest_tag``
        adds ``latest``. Other keyword arguments go to the SDK's ``build``; ``rm`` and
        ``forcerm`` default to True, so no intermediate container is left behind, not even
        by a failed build.
        """
        if not tag:
            raise ValueError("build needs a tag (the name of the new image)")
        kwargs.setdefault("rm", True)
        kwargs.setdefault("forcerm", True)
        kwargs["decode"] = True
        errors: list[str] = []
        lines: list[str] = []
        image_id: str | None = None
        try:
            for aux in self._consume(super().build(path, tag, **kwargs), errors, lines):
                if isinstance(aux, Mapping) and aux.get("ID"):
                    image_id = str(aux["ID"])
        except APIError as exc:
            text = str(exc.explanation or exc)
            errors.append(text)
            self.push_log(text, logging.ERROR)
        if image_id is None and not errors:
            for line in reversed(lines):
                if line.startswith("Successfully built "):
                    image_id = line.split()[-1]
                    break
        if errors or image_id is None:
            message = f"build of {tag} failed: " + (errors[-1] if errors else "no image id")
            if raise_on_error:
                raise BuildError(message, lines + errors)
            return None
        repo, tag_name = parse_repository_tag(tag)
        extra: list[tuple[str, str]] = []
        for item in add_tags or ():
            other_repo, other_tag = parse_repository_tag(item)
            if other_tag is None and "/" not in item:
                extra.append((repo, item))
            else:
                extra.append((other_repo, other_tag or "latest"))
        if add_latest_tag and (tag_name or "latest") != "latest":
            extra.append((repo, "latest"))
        for extra_repo, extra_tag in extra:
            self.tag(image_id, extra_repo, extra_tag)
        return image_id

    def build_from_context(self, context: DockerContext, tag: str,
                           **kwargs: Any) -> str | None:
        """Build from a DockerContext (finalized here); arguments as for :meth:`build`."""
        with context.open() as fileobj:
            return self.build(fileobj=fileobj, tag=tag, custom_context=True,
                              encoding=context.stream_encoding, **kwargs)

    def build_from_file(self, dockerfile: DockerFile, tag: str, **kwargs: Any) -> str | None:
        """Build from a DockerFile: its context is made (and removed again) on the fly."""
        with DockerContext(dockerfile, finalize=True) as context:
            return self.build_from_context(context, tag, **kwargs)

    # --- registry access -------------------------------------------------------------------

    def login(self, username: str, password: str | None = None,
              email: str | None = None, registry: str | None = None, reauth: bool = False,
              **kwargs: Any) -> bool:
        """Log in to a registry; True if it accepted, False (logged) if it refused or could
        not be reached."""
        try:
            super().login(username, password, email, registry, reauth, **kwargs)
        except APIError as exc:
            self.push_log(f"login to {registry or 'default registry'} failed: "
                          f"{exc.explanation or exc}", logging.ERROR)
            return False
        return True

    def _registry_stream(self, action: str, method: Callable[..., Any], repository: str,
                         tag: str | None, kwargs: dict[str, Any]) -> bool:
        errors: list[str] = []
        try:
            stream = method(repository, tag, stream=True, decode=True, **kwargs)
            for _ in self._consume(stream, errors):
                pass
        except APIError as exc:
            errors.append(str(exc.explanation or exc))
            self.push_log(f"{action} {repository} failed: {errors[-1]}", logging.ERROR)
        return not errors

    def pull(self, repository: str, tag: str | None = None,
             **kwargs: Any) -> Any:
        """Pull an image; True on success, False (logged) if the registry refused it or
        could not be reached. Progress goes to :meth:`push_progress`.

        Passing ``stream=...`` explicitly gives the plain SDK behaviour (its return value)."""
        if "stream" in kwargs:
            return super().pull(repository, tag, **kwargs)
        return self._registry_stream("pull", super().pull, repository, tag, kwargs)

    def push(self, repository: str, tag: str | None = None,
             **kwargs: Any) -> Any:
        """Push an image; True on success, False (logged) otherwise, like :meth:`pull`.

        Passing ``stream=...`` explicitly gives the plain SDK behaviour (its return value)."""
        if "stream" in kwargs:
            return super().push(repository, tag, **kwargs)
        return self._registry_stream("push", super().push, repository, tag, kwargs)

    # --- listing ---------------------------------------------------------------------------

    def get_container_names(self) -> set[str]:
        """Names of all containers, running or not (one list call)."""
        return {_container_name(c) for c in self.containers(all=True)}

    def get_image_tags(self) -> dict[str, str]:
        """``{'name:tag': image_id}`` for every tagged image (one list call)."""
        return {tag: image["Id"] for image in self.images() for tag in _real_tags(image)}

    # --- clean-up --------------------------------------------------------------------------

    def _run_all(self, action: str, items: Sequence[T], work: Callable[[T], Any],
                 label: Callable[[T], str], raise_on_error: bool) -> list[str]:
        """Run ``work`` on every item (concurrently); return labels of the ones that worked.
        Failures raise PartialResultsError (results: the labels done) or are logged."""
        done: list[str] = []
        failed: list[tuple[str, BaseException]] = []

        def one(item: T) -> tuple[str, BaseException | None]:
            try:
                work(item)
            except (DockerException, RequestException, OSError) as exc:
                return label(item), exc
            return label(item), None

        if items:
            workers = max(1, min(self.max_workers, len(items)))
            with ThreadPoolExecutor(workers, thread_name_prefix="dockerfab-cleanup") as pool:
                for name, error in pool.map(one, items):
                    if error is None:
                        done.append(name)
                    else:
                        failed.append((name, error))
        for name, error in failed:
            text = getattr(error, "explanation", None) or str(error)
            self.push_log(f"{action} {name} failed: {text}", logging.ERROR)
        if failed and raise_on_error:
            summary = "; ".join(f"{name}: {getattr(err, 'explanation', None) or err}"
                                for name, err in failed)
            raise PartialResultsError(f"{len(failed)} of {len(items)} failed ({summary})",
                                      done, host=self.host_label,
                                      action=action)
        return done

    def cleanup_containers(self, include_initial: bool = False,
                           exclude: Iterable[str] | None = None, raise_on_error: bool = True,
                           list_only: bool = False, remove_volumes: bool = False) -> list[str]:
        """Remove stopped containers; never-started ones (state ``created``) are kept unless
        ``include_initial``. ``exclude``: names or ids to keep. Returns the names removed (or,
        with ``list_only``, that would be removed). ``remove_volumes`` also removes their
        anonymous volumes."""
        states = list(STOPPED_STATES) + (["created"] if include_initial else [])
        keep = set(exclude or ())
        targets = [c for c in self.containers(all=True, filters={"status": states})
                   if _container_name(c) not in keep and c["Id"] not in keep
                   and not any(c["Id"].startswith(k) for k in keep if len(k) >= 12)]
        if list_only:
            return [_container_name(c) for c in targets]
        return self._run_all(
            "remove container", targets,
            lambda c: self.remove_container(c["Id"], v=remove_volumes),
            _container_name, raise_on_error)

    def remove_all_containers(self, stop_timeout: int = 10, list_only: bool = False,
                              raise_on_error: bool = True,
                              exclude: Iterable[str] | None = None) -> list[str]:
        """Stop (waiting ``stop_timeout`` seconds before the kill) and remove every container
        except those named in ``exclude``. Returns the names removed. Use with care."""
        keep = set(exclude or ())
        targets = [c for c in self.containers(all=True)
                   if _container_name(c) not in keep and c["Id"] not in keep]
        if list_only:
            return [_container_name(c) for c in targets]

        def stop_remove(container: Mapping[str, Any]) -> None:
            if container.get("State") in ACTIVE_STATES:
                self.stop(container["Id"], timeout=stop_timeout)
            self.remove_container(container["Id"], force=True)

        return self._run_all("remove container", targets, stop_remove, _container_name,
                             raise_on_error)

    def cleanup_images(self, remove_old: bool = False, keep_tags: Iterable[str] | None = None,
                       force: bool = False, raise_on_error: bool = True,
                       list_only: bool = False, keep_ids: Iterable[str] = ()) -> list[str]:
        """Remove images without name and tag (``<none>``); with ``remove_old`` also tagged
        images none of whose tags is ``latest`` or in ``keep_tags`` (tags like ``'stable'``
        or full ``'name:tag'``). Images used by a container, and the images ``keep_ids``
        (those kept releases need), are kept unless ``force``.
        Returns the ids removed (or, with ``list_only``, that would be removed)."""
        keep = {"latest", *(keep_tags or ())}
        used = set() if force else {c.get("ImageID") for c in self.containers(all=True)}
        used |= set() if force else set(keep_ids)
        targets: list[Mapping[str, Any]] = []
        for image in self.images():
            if image["Id"] in used:
                continue
            tags = _real_tags(image)
            if not tags or remove_old and not any(t in keep or t.rpartition(":")[2] in keep
                                        for t in tags):
                targets.append(image)
        if list_only:
            return [i["Id"] for i in targets]

        def remove(image: Mapping[str, Any]) -> None:
            tags = _real_tags(image)
            if force or len(tags) <= 1:
                self.remove_image(image["Id"], force=force)
            else:  # untag one by one; removing the last tag deletes the image
                for tag in tags:
                    self.remove_image(tag)

        return self._run_all("remove image", targets, remove, lambda i: str(i["Id"]),
                             raise_on_error)

    # --- downloads -------------------------------------------------------------------------

    def copy(self, container: str, resource: str) -> Iterator[bytes]:
        """The tar stream of ``resource`` (a path in ``container``), as spec 3.6.2 describes
        docker-py's ``copy``; the SDK dropped that call, so this is ``get_archive``'s stream."""
        stream, _ = self.get_archive(container, resource)
        return iter(stream)

    def copy_resource(self, container: str, resource: str,
                      local_filename: str) -> dict[str, Any]:
        """Write ``resource`` (a path in ``container``) as a tar archive to
        ``local_filename``; returns the daemon's stat of the resource."""
        stream, stat = self.get_archive(container, resource)
        with open(local_filename, "wb") as f:
            f.writelines(stream)
        return stat

    def save_image(self, image: str, local_filename: str) -> None:
        """Write ``image`` (name or id) as a ``docker save`` tarball to ``local_filename``."""
        with open(local_filename, "wb") as f:
            f.writelines(self.get_image(image))


__all__ = ["DockerClientWrapper"]
