"""What SCDF hands an app, emulated for the demo and the tests: the app's share of a deployment properties
file, and the arguments and environment each deployer entry-point style starts it with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from python_router.settings import APP_LABEL, STREAM_NAME
from sidecar.settings import SERVER_PORT
from spring_properties import SettingsError
from transforms import ConfigError, parse_properties


class DeploymentProperties(NamedTuple):
    """An SCDF deployment properties file, for one app: its application properties (`app.<label>.*`)
    and its deployer properties (`deployer.<label>.*`), prefixes stripped; `*` entries apply to all."""

    app: dict[str, str]
    deployer: dict[str, str]


def deployment_properties_for(app_label: str, text: str) -> DeploymentProperties:
    """The properties SCDF gives the app labelled `app_label` from a deployment properties file."""
    try:
        parsed = parse_properties(text, source="deployment properties")
    except ConfigError as exc:
        raise SettingsError(f"Cannot read deployment properties: {exc.problems[0]}") from None
    app: dict[str, str] = {}
    deployer: dict[str, str] = {}
    for label in ("*", app_label):  # the app's own entries override the wildcard ones
        for key, value in parsed.items():
            for kind, target in (("app", app), ("deployer", deployer)):
                prefix = f"{kind}.{label}."
                if key.startswith(prefix):
                    target[key[len(prefix) :]] = value
    return DeploymentProperties(app=app, deployer=deployer)


EntryPointStyle = Literal["exec", "shell", "boot", "local"]


@dataclass(frozen=True)
class Launch:
    """The command-line arguments and environment an SCDF deployer starts the app with."""

    argv: list[str]
    environ: dict[str, str]


def scdf_launch(
    style: EntryPointStyle,
    app_properties: Mapping[str, str],
    *,
    stream_name: str,
    app_label: str,
    platform_environ: Mapping[str, str] | None = None,
    server_port: int = 34567,
    guid: str = "6f1c2a9e-3d6b-4c1e-9a43-2f5e8d7b0c11",
) -> Launch:
    """What SCDF hands the app for `app_properties`: exec (k8s default) as `--k=v` arguments, shell as
    upper-case environment variables, boot as one SPRING_APPLICATION_JSON, and the local deployer as
    SPRING_APPLICATION_JSON with a random `server.port` and its instance variables."""
    props = {
        **app_properties,
        # SCDF adds these to every stream app's properties
        STREAM_NAME: stream_name,
        APP_LABEL: app_label,
        "spring.cloud.dataflow.stream.app.type": "app",
    }
    environ = dict(platform_environ or {})
    argv: list[str] = []
    if style == "local":
        props[SERVER_PORT] = str(server_port)
        environ["SPRING_APPLICATION_JSON"] = json.dumps(props)
        environ.update(
            {"INSTANCE_INDEX": "0", "SPRING_APPLICATION_INDEX": "0", "SPRING_CLOUD_APPLICATION_GUID": str(server_port)}
        )
        return Launch(argv=argv, environ=environ)
    environ["SPRING_CLOUD_APPLICATION_GROUP"] = stream_name
    environ["SPRING_CLOUD_APPLICATION_GUID"] = guid
    if style == "exec":
        argv = [f"--{key}={value}" for key, value in props.items() if value.strip()]
    elif style == "shell":
        environ.update({key.replace(".", "_").upper(): value for key, value in props.items()})
    else:
        environ["SPRING_APPLICATION_JSON"] = json.dumps(props)
    return Launch(argv=argv, environ=environ)
