"""Clients and providers pointed at the Robot and Storage Box emulators and at moto's S3 server, with short waits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import botocore.client
import httpx
import pytest
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config

from hetzner.robot.client import RobotClient, RobotSettings
from hetzner.storage_box.client import StorageBoxApiSettings, StorageBoxClient
from tests.emulators.robot import PASSWORD, USER, RobotEmulator
from tests.emulators.storage_box import TOKEN, StorageBoxEmulator

S3_ACCESS_KEY = "DEZKYTESTACCESSKEY01"
S3_SECRET_KEY = "dezky-test-secret-key-0123456789abcdefghij"

P = TypeVar("P", bound=ResourceProvider)


def configured(provider: P, raw_config: dict[str, Any]) -> P:
    """A provider as the engine hands it over: configured from the stack's config, nothing else."""
    provider.configure(ConfigureRequest(Config(raw_config, "dezky")))
    return provider


@pytest.fixture
def robot_settings(robot: RobotEmulator) -> RobotSettings:
    return RobotSettings(
        USER, PASSWORD, endpoint=robot.url, request_timeout=1.0, firewall_timeout=2.0, poll_interval=0.01
    )


@pytest.fixture
def robot_client(robot_settings: RobotSettings) -> Iterator[RobotClient]:
    with RobotClient(robot_settings) as client:
        yield client


@pytest.fixture
def robot_config(robot: RobotEmulator) -> dict[str, str]:
    return {
        "dezky:robotUser": USER,
        "dezky:robotPassword": PASSWORD,
        "dezky:robotEndpoint": robot.url,
        "dezky:estatePollSeconds": "0.01",
    }


@pytest.fixture
def box_settings(storage_box: StorageBoxEmulator) -> StorageBoxApiSettings:
    return StorageBoxApiSettings(
        TOKEN, endpoint=storage_box.url, action_timeout=2.0, request_timeout=1.0, poll_interval=0.01
    )


@pytest.fixture
def box_client(box_settings: StorageBoxApiSettings) -> Iterator[StorageBoxClient]:
    with StorageBoxClient(box_settings) as client:
        yield client


@pytest.fixture
def box_config(storage_box: StorageBoxEmulator) -> dict[str, str]:
    return {
        "dezky:hetznerToken": TOKEN,
        "dezky:storageBoxEndpoint": storage_box.url,
        "dezky:estatePollSeconds": "0.01",
    }


@dataclass
class S3Calls:
    """The S3 operations boto3 was asked for, in order (retries of one operation count once)."""

    operations: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if not op.startswith(("Get", "Head", "List"))]


@pytest.fixture
def s3(moto_s3_session: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, S3Calls]:
    """An empty S3 service at the returned URL, and the operations the code under test calls on it."""
    httpx.post(f"{moto_s3_session}/moto-api/reset").raise_for_status()
    calls = S3Calls()
    make_api_call = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: Any) -> Any:
        calls.operations.append(operation)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return moto_s3_session, calls


@pytest.fixture
def s3_config() -> dict[str, str]:
    return {
        "dezky:s3AccessKey": S3_ACCESS_KEY,
        "dezky:s3SecretKey": S3_SECRET_KEY,
        "dezky:s3AddressingStyle": "path",
    }
