"""The sidecar: a FastAPI app with Spring Boot's actuator (health, probes, info, Prometheus) and POST /route,
which tells what the routing chain does with a record, without Kafka."""

from spring_properties import MASK, is_secret, mask_secrets, mask_value

from .app import create_app, set_chain
from .chain import RoutingChain
from .info import AppInfo
from .probe import PumpProbe
from .server import SidecarServer
from .settings import SidecarSettings

__all__ = [
    "MASK",
    "AppInfo",
    "PumpProbe",
    "RoutingChain",
    "SidecarServer",
    "SidecarSettings",
    "create_app",
    "is_secret",
    "mask_secrets",
    "mask_value",
    "set_chain",
]
