"""router.chain.watch=true: refresh when the chain file changes, as when Kubernetes updates a mounted
ConfigMap (it swaps a `..data` symlink in the file's folder, so the folder is watched, not the file)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

import watchfiles

from transforms.errors import ConfigError

log = logging.getLogger("python_router")

# Group the bursts of events an editor or a ConfigMap update makes into one refresh.
_DEBOUNCE_MS: Final = 200


class ChainFileWatcher:
    """Calls `refresh` (LiveConfig.refresh) whenever the content of the file at `path` changes. A refused
    change is logged by the refresh and the running chain stays; the watcher goes on."""

    def __init__(self, path: str, refresh: Callable[[], object]) -> None:
        self._path = Path(path).absolute()
        self._refresh = refresh
        self._stop = threading.Event()
        self._seen = _digest(self._path)
        self._thread = threading.Thread(target=self._run, name="chain-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("Watching %s: a change reloads the chain (router.chain.watch=true)", self._path)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        folder = self._path.parent
        for _changes in watchfiles.watch(
            folder,
            watch_filter=None,  # a ConfigMap's `..data` swap is a change too
            debounce=_DEBOUNCE_MS,
            stop_event=self._stop,
            recursive=False,
            raise_interrupt=False,
        ):
            digest = _digest(self._path)
            if digest is None or digest == self._seen:
                continue  # gone for a moment (a swap in progress), or another file of the folder
            self._seen = digest
            log.info("%s changed: refreshing", self._path)
            try:
                self._refresh()
            except ConfigError:
                pass  # logged, one line per problem, by the refresh; the running chain stays
            except Exception:  # the watcher must outlive any surprise, or later changes would go unseen
                log.exception("Refreshing after a change of %s failed", self._path)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
