"""The tenant providers' connection to the platform: an explicit provider whose settings may be outputs.

Every dynamic provider reads its service's URL and credential from the configuration its plugin is given
(`settings_from_config`). By default that is the stack's own configuration, typed by an operator. When the
program itself makes a credential (`GeneratedSecret`) or deploys a service, the value exists only as an output;
an explicit `pulumi-python` provider takes the stack's configuration with those outputs laid over it, and the
resources created with it are configured from them. Pulumi orders the provider after the outputs it takes, so
no tenant resource is touched before the service it talks to exists.

A changed credential or URL updates this provider only: the resources under it are neither updated nor
replaced (the dynamic provider compares no configuration), they simply use the new value from then on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

#: the package of every Python dynamic resource: one provider of it configures them all
DYNAMIC_PACKAGE = "pulumi-python"


def stack_configuration() -> dict[str, pulumi.Input[str]]:
    """The stack's configuration as the default provider would get it, its secrets kept secret."""
    values: dict[str, Any] = {**get_config_env(), **CONFIG.get()}
    return {
        key: pulumi.Output.secret(value) if is_config_secret(key) else value for key, value in values.items()
    }


class PlatformConnection(pulumi.ProviderResource):
    """The stack's configuration, with `settings` (plain) and `credentials` (kept secret) laid over it."""

    def __init__(
        self,
        name: str,
        settings: Mapping[str, pulumi.Input[str]],
        credentials: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = stack_configuration()
        props.update(settings)
        props.update({key: pulumi.Output.secret(value) for key, value in credentials.items()})
        super().__init__(DYNAMIC_PACKAGE, name, props, opts)
