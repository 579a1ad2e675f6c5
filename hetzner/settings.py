"""The estate as the stack configures it: `dezky:estate`, validated into a typed, frozen `EstateSettings`.

Keys are camelCase in the stack file (`robotServerNumber`, `storageBoxes[].sshKeys`) as Pulumi config is; every
key but the server's number, addresses, PTR name and admin networks has a default, and the defaults are the
production estate: two BX11 (fsn1 for backups, hel1 for disaster recovery) and the OCIS bucket in fsn1.
Credentials are not settings: each provider reads its own from the stack's secrets.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import pulumi
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

from hetzner.costs import monthly_cost_eur
from hetzner.robot.firewall import admin_network_problems

_STRICT = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)
_HOST_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")

Location = Literal["fsn1", "nbg1", "hel1"]


class EstateConfigInvalid(pulumi.RunError):
    """Raised before any resource is registered, naming each bad key of `dezky:estate`."""


@dataclass(frozen=True, config=_STRICT)
class StorageBoxSettings:
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    location: Location
    type: Literal["bx11"] = "bx11"
    ssh_keys: tuple[str, ...] = ()
    #: one subaccount per purpose, named after it, with its own home directory
    subaccounts: tuple[str, ...] = ()

    @field_validator("subaccounts")
    @classmethod
    def _purposes(cls, purposes: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in purposes if not _PURPOSE.match(p)]
        if bad or len(set(purposes)) != len(purposes):
            raise ValueError(f"purposes must be distinct lower-case words, not {list(purposes)}")
        return purposes


@dataclass(frozen=True, config=_STRICT)
class BucketSettings:
    name: str = "dezky-ocis"
    region: Location = "fsn1"
    endpoint: str = "https://fsn1.your-objectstorage.com"
    #: OCIS uploads large files in parts; parts of uploads it never finished are paid storage until removed
    abort_incomplete_uploads_days: int | None = Field(default=7, ge=1)


DEFAULT_STORAGE_BOXES = (
    StorageBoxSettings(name="dezky-backups", location="fsn1", subaccounts=("backups",)),
    StorageBoxSettings(name="dezky-dr", location="hel1", subaccounts=("dr",)),
)


@dataclass(frozen=True, config=_STRICT)
class EstateSettings:
    robot_server_number: Annotated[int, Field(gt=0)]
    ipv4: ipaddress.IPv4Address
    ipv6: ipaddress.IPv6Address
    ptr: str
    admin_networks: Annotated[tuple[str, ...], Field(min_length=1)]
    server_product: Literal["ax41-nvme"] = "ax41-nvme"
    storage_boxes: tuple[StorageBoxSettings, ...] = DEFAULT_STORAGE_BOXES
    bucket: BucketSettings = BucketSettings()
    #: Pulumi refuses to delete protected resources: the boxes hold the backups, the bucket the files
    protect: bool = True

    @field_validator("ptr")
    @classmethod
    def _host_name(cls, ptr: str) -> str:
        ptr = ptr.lower().rstrip(".")
        if not _HOST_NAME.match(ptr):
            raise ValueError(f"`{ptr}` is not a host name")
        return ptr

    @field_validator("admin_networks")
    @classmethod
    def _renderable(cls, networks: tuple[str, ...]) -> tuple[str, ...]:
        problems = admin_network_problems(networks)
        if problems:
            raise ValueError("; ".join(problems))
        return networks

    @model_validator(mode="after")
    def _distinct_boxes(self) -> EstateSettings:
        names = [box.name for box in self.storage_boxes]
        if len(set(names)) != len(names):
            raise ValueError(f"storage box names must be distinct, not {names}")
        return self

    @property
    def monthly_cost_eur(self) -> Decimal:
        """The server, Object Storage and every Storage Box, at the prices in `hetzner/costs.py`."""
        products = [self.server_product, "object-storage", *(box.type for box in self.storage_boxes)]
        return monthly_cost_eur(products)


_ADAPTER = TypeAdapter(EstateSettings)


def estate_settings(config: Any) -> EstateSettings | None:
    """From `pulumi.Config("dezky")`: the `estate` object, or None when the stack describes no estate."""
    raw = config.get_object("estate")
    return None if raw is None else parse_estate_settings(raw)


def parse_estate_settings(raw: Any) -> EstateSettings:
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as error:
        lines = [f"  dezky:estate{_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise EstateConfigInvalid(
            "dezky:estate is invalid; nothing was applied:\n" + "\n".join(lines)
        ) from None


def _path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
