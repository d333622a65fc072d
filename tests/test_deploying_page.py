"""docs/deploying.md (and README.md's short version) deploy what the project ships: the stream and the
properties file of connect-config/, the probe paths it sets, and the SCDF apps whose contract stream-apps/ follows."""

from __future__ import annotations

import re

import pytest

from scripts.demo import DEPLOYMENT
from scripts.stream_apps import PREBUILT, PREBUILT_VERSION
from tests.docs_pages import ROOT, code_blocks, section

SHOWN = {"docs": ("docs/deploying.md", "Register, create, deploy"), "README": ("README.md", "Deploy to SCDF")}


def shell(page: str) -> str:
    return "\n".join(code_blocks(section(*SHOWN[page]), ""))


@pytest.mark.parametrize("page", sorted(SHOWN))
def test_the_stream_and_properties_are_the_shipped_ones(page: str) -> None:
    commands = shell(page)
    shipped = DEPLOYMENT.read_text(encoding="utf-8")
    (definition,) = re.findall(r'stream create --name \w+ --definition "([^"]+)"', shipped)
    assert f'--definition "{definition}"' in commands
    assert f"--propertiesFile {DEPLOYMENT.relative_to(ROOT)}" in commands


@pytest.mark.parametrize("page", sorted(SHOWN))
def test_the_scdf_apps_are_the_ones_whose_contract_stream_apps_follows(page: str) -> None:
    registered = re.findall(r"--uri docker:springcloudstream/([\w-]+):([\w.]+)", shell(page))
    assert sorted(registered) == sorted((app, PREBUILT_VERSION) for app in PREBUILT.values())


def test_the_probe_paths_shown_are_the_ones_the_properties_file_sets() -> None:
    (shown,) = code_blocks(section("docs/deploying.md", "Probes"), "")
    shipped = DEPLOYMENT.read_text(encoding="utf-8").splitlines()
    assert shown.splitlines() and all(line in shipped for line in shown.splitlines())
