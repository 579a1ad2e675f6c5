"""The dynamic-provider protocol written once: adopt by natural key, diff normalised values, honest reads.

A service provider subclasses `ObjectProvider` and says only how to find, write and remove one object of its
kind and how to normalise it. The base class turns that into Pulumi's check, diff, create, read, update and
delete, so every provider adopts an identical existing object instead of duplicating it, refuses to overwrite a
different one, compares inputs and server answers the same way (a second preview after up is empty) and lets
`pulumi refresh` see drift.

Providers are pickled into the state with dill: they hold no clients and no secrets until `configure` runs in
the provider process, and every method builds its own client from the configured settings.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

from components.common.http import OutcomeUnknown

PROVIDER_KEY = "__provider"
#: the input naming the natural key an object had before the tenant file renamed it (see `ObjectProvider.rename`)
RENAMED_FROM = "renamed_from"


def _is_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, list | tuple):
        return any(_is_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(_is_unknown(item) for item in value.values())
    return False


class ConflictError(Exception):
    """An object with the same natural key exists and differs from what the program declares."""


class PurgeRefused(Exception):
    """A delete of an object that holds customer data, whose recorded state was never marked `purge: true`."""


class ObjectProvider(ResourceProvider):
    #: the service this provider talks to, for messages ("PowerDNS", "Authentik", ...)
    service: str = "service"
    #: input keys whose change needs a new object (the natural key), not an update
    replace_keys: tuple[str, ...] = ()
    #: state keys only the program knows, not the server (`created_by_program`): an update keeps them
    kept_state: tuple[str, ...] = ()
    #: output keys holding secrets: masked in every message this class writes
    secret_outputs: tuple[str, ...] = ()
    #: the objects hold customer data (mail, files, a login, a zone): deleted only with `purge` in the state
    holds_data: bool = False
    #: `rename` can give an object a new natural key in place, so a `renamed_from` input makes a change of
    #: key an update instead of a replacement
    renames: bool = False

    def configure(self, req: ConfigureRequest) -> None:
        self.settings = self.settings_from_config(req.config)

    # --- what a subclass provides -------------------------------------------------------------------

    @abstractmethod
    def settings_from_config(self, config: Any) -> Any:
        """Typed connection settings read from the stack configuration (credentials included)."""

    @abstractmethod
    def object_id(self, props: dict[str, Any]) -> str:
        """The natural key of the object the inputs describe: what adoption and import look it up by."""

    @abstractmethod
    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        """The object as the server has it now, normalised like `normalise`, or None when it does not exist."""

    @abstractmethod
    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        """Make the server hold exactly `props`; return the outputs to keep in state."""

    @abstractmethod
    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        """Remove the object; one that is already gone is not an error."""

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        """The comparable form of inputs or of a server answer. Subclasses sort lists, lowercase names..."""
        return {key: value for key, value in props.items() if key != PROVIDER_KEY}

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        return []

    def rename(self, old_id: str, props: dict[str, Any]) -> bool:
        """Give the object found under the natural key `old_id` the key `props` declare, in place, so whatever
        it holds stays; `write` then makes it hold `props`. False when nothing has the old key (renamed by an
        earlier run or by hand, or never there). Only for providers that set `renames`."""
        raise NotImplementedError(f"{self.service}: {type(self).__name__} cannot rename objects")

    def adoptable(self, existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
        """Whether an existing object that differs from the inputs is finished by `write` instead of refused.

        No by default: a different object is someone else's. A provider whose create takes several calls
        (create the object, then add members) says yes for what its own interrupted create left half-done,
        so the next `up` completes it instead of failing on it for good.
        """
        return False

    # --- the protocol ---------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, self.validate(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if any(_is_unknown(value) for value in news.values()):
            # A preview before another resource's output is known: only what is known can be compared.
            changed = sorted(
                key
                for key, value in news.items()
                if key not in (PROVIDER_KEY, RENAMED_FROM) and (_is_unknown(value) or value != olds.get(key))
            )
        else:
            before, after = self._recorded(olds), self._recorded(news)
            changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
        replaces = [key for key in changed if key in self.replace_keys]
        if replaces and self._renamed(olds, news):
            replaces = []  # the same object under its new key: `update` renames it in place
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[key for key in self.replace_keys if key not in changed],
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any], first_try: bool = True) -> CreateResult:
        object_id = self.object_id(props)
        existing = self.fetch(object_id, props)
        # No state for it (lost, or imported anew): the object may still be under its previous key.
        if (
            existing is None
            and self.renames
            and props.get(RENAMED_FROM)
            and self.rename(props[RENAMED_FROM], props)
        ):
            renamed = self.fetch(object_id, props)
            return CreateResult(object_id, {**self._recorded(props), **self.write(props, renamed)})
        wanted = self.normalise(props)
        if existing is not None and not self._same(existing, wanted):
            if self.adoptable(existing, wanted):
                return CreateResult(object_id, {**self._recorded(props), **self.write(props, existing)})
            raise ConflictError(
                f"{self.service}: {object_id} already exists with different content; "
                f"the program does not overwrite objects it did not create.\n"
                f"  on the server: {self._describe(existing)}\n  declared:      {self._describe(wanted)}\n"
                "Remove or fix it by hand, or make the tenant file declare what is there."
            )
        if existing is not None:
            return CreateResult(object_id, {**self._recorded(props), **existing})
        try:
            outs = self.write(props, None)
        except OutcomeUnknown:
            if not first_try:
                raise
            # The create may have taken effect: look it up by its natural key before making it again.
            return self.create(props, first_try=False)
        return CreateResult(object_id, {**self._recorded(props), **outs})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        current = self.fetch(self._current_id(id_, props), props)
        if current is None:
            return ReadResult(None, {})  # gone: refresh drops it from state and the next up recreates it
        # On `pulumi import` there is no state yet: the server's answer is all there is.
        declared = self._recorded(props) if any(key != PROVIDER_KEY for key in props) else {}
        return ReadResult(id_, {**declared, **current})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if self._renamed(olds, news):
            self.rename(self.object_id(olds), news)
        if self.holds_data and self._on_server(olds) == self._on_server(news):
            # Only the purge mark changed: the service has nothing to do, the state records the mark.
            kept_outputs = {key: value for key, value in olds.items() if key != PROVIDER_KEY}
            return UpdateResult({**kept_outputs, **self._recorded(news)})
        outs = self.write(news, self.normalise(olds))
        kept = {key: olds[key] for key in self.kept_state if key in olds}
        return UpdateResult({**self._recorded(news), **outs, **kept})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # The last line of the data guard: whatever reached this delete (a targeted run, a plain
        # `pulumi destroy`, a bug upstream), the state must say the object was marked for purge first.
        if self.holds_data and not props.get("purge"):
            raise PurgeRefused(
                f"{self.service}: refusing to delete {id_}: it holds customer data and its recorded state is "
                "not marked `purge: true`. Mark it in the tenant file and apply that first; remove it in a "
                "later change. Nothing was deleted."
            )
        self.remove(self._current_id(id_, props), props)

    # --- helpers --------------------------------------------------------------------------------------

    def _renamed(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """The inputs give the recorded object a new key, and name its recorded key as the one it had."""
        previous = news.get(RENAMED_FROM)
        if not self.renames or not previous or _is_unknown(previous):
            return False
        try:
            return previous == self.object_id(olds)
        except (KeyError, TypeError, ValueError):
            return False

    def _current_id(self, id_: str, props: dict[str, Any]) -> str:
        """The object's natural key now. Pulumi keeps the id an object was created with; a rename in place
        changed the key since, and the state's props hold the new one (an import has no props: the id)."""
        if not self.renames:
            return id_
        try:
            return self.object_id(props)
        except (KeyError, TypeError, ValueError):
            return id_

    def _recorded(self, props: dict[str, Any]) -> dict[str, Any]:
        """What the state keeps and diffs compare: the normalised object, plus the purge mark of data."""
        normalised = self.normalise(props)
        return {**normalised, "purge": bool(props.get("purge"))} if self.holds_data else normalised

    def _on_server(self, props: dict[str, Any]) -> dict[str, Any]:
        """The part of the inputs the service holds: the purge mark is the program's alone."""
        return {key: value for key, value in self.normalise(props).items() if key != "purge"}

    def _same(self, existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
        return all(existing.get(key) == value for key, value in wanted.items())

    def _describe(self, props: dict[str, Any]) -> str:
        return ", ".join(
            f"{key}={'[secret]' if key in self.secret_outputs else repr(value)}"
            for key, value in sorted(props.items())
        )
