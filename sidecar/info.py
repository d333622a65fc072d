"""What /actuator/info tells: the app, its stream and bindings, the chain, and the runtime's versions."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Final

from spring_properties import mask_secrets

from .chain import ChainVersion, RoutingChain, dead_letter_topic

# Distributions whose versions matter when reading a bug report; looked up by metadata, never imported.
_REPORTED_DISTRIBUTIONS: Final = ("kafka-python", "crc32c", "fastapi", "uvicorn", "prometheus-client")


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True, slots=True)
class AppInfo:
    """The app as /actuator/info shows it; the entry point fills it from the resolved properties.

    >>> AppInfo(stream_name="timeStream", app_label="python-router",
    ...         bindings={"input": "timeDest", "even": "evenDest", "odd": "oddDest"}).name
    'python-router'

    `details` adds sections (say `{"kafka": {"brokers": "...", "group": "..."}}`); every key naming a
    secret is masked (`******`) at any depth, so it may be given raw. It cannot replace the sections
    above. `versions` adds runtime versions the sidecar cannot know, such as the broker's API version
    that kafka-python negotiated (`{"kafka-broker-api": "4.0"}`).
    """

    name: str = "python-router"
    version: str = field(default_factory=lambda: _version_of("python-router"))
    stream_name: str | None = None
    app_label: str | None = None
    bindings: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)
    versions: Mapping[str, str] = field(default_factory=dict)


def info_document(info: AppInfo, chain: RoutingChain | None, version: ChainVersion | None = None) -> dict[str, object]:
    """The /actuator/info JSON. Computed once per chain: SCDF probes /actuator/info every few seconds."""
    runtime = {"python": platform.python_version(), "python-implementation": platform.python_implementation()}
    runtime.update({name: _version_of(name) for name in _REPORTED_DISTRIBUTIONS})
    runtime.update(info.versions)
    document: dict[str, object] = {
        "app": {"name": info.name, "version": info.version},
        "stream": {"name": info.stream_name, "appLabel": info.app_label},
        "bindings": dict(info.bindings),
        "chain": chain.describe() if chain is not None else [],
        "chainVersion": version.document() if version is not None else None,
        "errors": (
            {"tolerance": chain.errors.tolerance, "deadLetterTopic": dead_letter_topic(chain)}
            if chain is not None
            else None
        ),
        "runtime": mask_secrets(runtime),
    }
    for section, content in mask_secrets(info.details).items():
        document.setdefault(section, content)  # the sections above are not the caller's to replace
    return document
