"""Run the TenantIdentity component with Pulumi's mocks, each dynamic resource handled by its real provider.

A stand-in for the engine's resource steps, enough to drive the emulator through "up" after "up": the first
registration of a resource is a check and a create, a later one a check, an optional refresh (read), a diff
and, only when the diff says so, an update. The state survives between runs like a stack's state does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pulumi

from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.component import TenantIdentity, TenantIdentityArgs
from components.authentik.provider import BrandProvider, GroupProvider, UserProvider
from components.common.provider import ObjectProvider
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Tenant

PROVIDERS: dict[str, type[ObjectProvider]] = {
    f"pulumi-python:dynamic/authentik:{kind}": provider
    for kind, provider in [
        ("Brand", BrandProvider),
        ("Group", GroupProvider),
        ("User", UserProvider),
        ("OAuth2Provider", OAuth2ProviderProvider),
        ("Application", ApplicationProvider),
        ("PolicyBinding", PolicyBindingProvider),
    ]
}


class ProviderMocks(pulumi.runtime.Mocks):
    def __init__(self, configure: Callable[[ObjectProvider], ObjectProvider]) -> None:
        self.configure = configure
        self.state: dict[str, tuple[str, dict[str, Any]]] = {}
        self.refresh = False
        self.updated: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):  # type: ignore[override]
        if args.typ not in PROVIDERS:
            return f"{args.name}-id", dict(args.inputs)
        provider = self.configure(PROVIDERS[args.typ]())
        inputs = {key: value for key, value in args.inputs.items() if key != "__provider"}
        checked = provider.check({}, inputs)
        assert checked.failures == [], checked.failures
        id_, outs = self._step(provider, args.name, checked.inputs)
        self.state[args.name] = (id_, outs)
        return id_, {**inputs, **outs}

    def call(self, args: pulumi.runtime.MockCallArgs):  # type: ignore[override]
        return {}

    def _step(self, provider: ObjectProvider, name: str, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if name in self.state and self.refresh:
            read = provider.read(*self.state[name])
            if read.id is None:
                del self.state[name]
            else:
                self.state[name] = (read.id, read.outs)
        if name not in self.state:
            created = provider.create(news)
            return created.id, created.outs
        id_, olds = self.state[name]
        if not provider.diff(id_, olds, news).changes:
            return id_, olds
        self.updated.append(name)
        return id_, provider.update(id_, olds, news).outs


def up(mocks: ProviderMocks, tenants: Sequence[Tenant], refresh: bool = False) -> dict[str, str]:
    """One `pulumi up` of a program holding these tenants' identities; their states by slug."""
    mocks.refresh, mocks.updated = refresh, []
    states: dict[str, str] = {}
    pulumi.runtime.set_mocks(mocks, preview=False)
    try:

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any]:
            platform = PlatformSettings(environment="dev")
            identities = [TenantIdentity(t.slug, TenantIdentityArgs(t, platform)) for t in tenants]
            return pulumi.Output.all(*[i.state for i in identities]).apply(
                lambda values: states.update(zip([t.slug for t in tenants], values, strict=True))
            )

        program()
    finally:
        pulumi.runtime.settings.reset_options()
    return states
