"""The instance's identity across restarts, when it has one no other live process can share: the default
group.instance.id (static membership) and the base of the exactly-once transactional.id.

The rule, first that applies:
1. a `group.instance.id` the user gave (binder consumerProperties.* or configuration.*): theirs;
2. an instance index: `spring.cloud.stream.instanceIndex`, else INSTANCE_INDEX, SPRING_APPLICATION_INDEX or
   CF_INSTANCE_INDEX (set by SCDF's indexed Kubernetes deployments, its local deployer, Cloud Foundry): one
   per live instance of the app, kept across restarts -> `<app>-<index>`;
3. the host name inside a Kubernetes pod (KUBERNETES_SERVICE_HOST is set): the pod's name, unique among live
   pods and kept when a container restarts in its pod;
4. otherwise none: on a developer's machine or a VM every process shares the host name, so static
   membership stays off (the startup log says why).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from python_router.settings import INDEX_VARIABLES, INSTANCE_INDEX, STATIC_MEMBERSHIP, Settings

KUBERNETES_VARIABLE: Final = "KUBERNETES_SERVICE_HOST"


@dataclass(frozen=True, slots=True)
class InstanceIdentity:
    """`name`: the identity, or None; `origin`: where it comes from, or why there is none (for the log)."""

    name: str | None
    origin: str
    user_given: bool = False


def instance_identity(
    settings: Settings, environ: Mapping[str, str], hostname: Callable[[], str] = socket.gethostname
) -> InstanceIdentity:
    """This instance's identity by the module's rule."""
    consumer = settings.binder.kafka.consumer  # in the client's terms: kafka-python's or librdkafka's
    given = consumer.get("group_instance_id") or consumer.get("group.instance.id")
    if given:
        return InstanceIdentity(str(given), "group.instance.id as given", user_given=True)
    if settings.get(INSTANCE_INDEX) is not None:
        return InstanceIdentity(f"{settings.app_name}-{settings.instance_index}", f"{INSTANCE_INDEX}")
    for variable in INDEX_VARIABLES:
        if environ.get(variable, "").strip():
            return InstanceIdentity(f"{settings.app_name}-{settings.instance_index}", f"environment {variable}")
    if environ.get(KUBERNETES_VARIABLE):
        return InstanceIdentity(hostname(), "the Kubernetes pod's host name")
    return InstanceIdentity(
        None,
        f"no {INSTANCE_INDEX} (nor {', '.join(INDEX_VARIABLES)}) and not in a Kubernetes pod: the host name "
        "may be shared by other processes on this machine",
    )


def group_instance_id(settings: Settings, identity: InstanceIdentity) -> tuple[str | None, str]:
    """The group.instance.id the pump sets by default (None: the user's own, or none), and the startup log
    line that says so."""
    if identity.user_given:
        return None, f"Static membership on: group.instance.id={identity.name} ({identity.origin})"
    if not settings.static_membership:
        return None, f"Static membership off: {STATIC_MEMBERSHIP}=false"
    if identity.name is None:
        return None, f"Static membership off: {identity.origin}; set group.instance.id to turn it on"
    return identity.name, f"Static membership on: group.instance.id={identity.name} (from {identity.origin})"


def transactional_id(settings: Settings, identity: InstanceIdentity, fresh: Callable[[], str]) -> tuple[str, str]:
    """The exactly-once transactional.id: `<app>.<group>.<identity>`, the same across restarts so that a
    restarted instance fences its old self; without an identity, `fresh()` makes one per start. Also the
    startup log line."""
    base = f"{settings.app_name}.{settings.group}"
    if identity.name is not None:
        tid = f"{base}.{identity.name}"
        return tid, f"Exactly-once delivery: transactional.id={tid} (from {identity.origin})"
    tid = f"{base}.{fresh()}"
    return tid, (
        f"Exactly-once delivery: transactional.id={tid}, new at each start ({identity.origin}): a restart "
        "does not fence the old instance by its transactional.id (its group generation still does), and "
        "its open transaction stays open until transaction.timeout.ms. Give each instance a "
        f"{INSTANCE_INDEX} to keep it across restarts"
    )
