"""The Authentik API objects this integration exchanges, as the 2026.5 schema spells them.

Requests carry only the fields the program manages; responses list the fields the program reads (the server
sends more). Written against `specs/authentik-2026.5.6-schema.yml`.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

MatchingMode = Literal["strict", "regex"]
RedirectUriType = Literal["authorization", "logout"]
ClientType = Literal["confidential", "public"]
PolicyEngineMode = Literal["any", "all"]


class RedirectUri(TypedDict):
    matching_mode: MatchingMode
    url: str
    redirect_uri_type: RedirectUriType


class Pagination(TypedDict):
    next: int  # the next page number, 0 on the last page
    previous: int
    count: int
    current: int
    total_pages: int
    start_index: int
    end_index: int


class PartialGroup(TypedDict):
    pk: str
    name: str


class BrandRequest(TypedDict):
    domain: str
    default: bool
    branding_title: str
    branding_logo: str
    branding_favicon: str
    flow_authentication: str | None
    flow_invalidation: str | None
    flow_user_settings: str | None


class Brand(BrandRequest):
    brand_uuid: str


class GroupRequest(TypedDict):
    name: str
    is_superuser: bool


class Group(GroupRequest):
    pk: str


class UserRequest(TypedDict):
    username: str
    name: str
    email: str
    path: str
    is_active: bool
    type: Literal["internal"]


class User(UserRequest):
    pk: int
    groups: list[str]
    groups_obj: list[PartialGroup] | None


class OAuth2ProviderRequest(TypedDict):
    name: str
    authorization_flow: str
    invalidation_flow: str
    client_type: ClientType
    redirect_uris: list[RedirectUri]
    property_mappings: list[str]
    signing_key: str | None
    access_code_validity: str
    access_token_validity: str
    refresh_token_validity: str
    sub_mode: str
    issuer_mode: str
    include_claims_in_id_token: bool
    grant_types: list[str]


class OAuth2Provider(OAuth2ProviderRequest):
    pk: int
    client_id: str
    client_secret: str


class ApplicationRequest(TypedDict):
    name: str
    slug: str
    provider: int | None
    meta_launch_url: str
    meta_icon: str
    meta_description: str
    meta_publisher: str
    policy_engine_mode: PolicyEngineMode
    open_in_new_tab: bool


class ProviderSummary(TypedDict):
    pk: int
    name: str


class Application(ApplicationRequest):
    pk: str
    provider_obj: ProviderSummary | None


class PolicyBindingRequest(TypedDict):
    target: str
    group: str
    order: int
    enabled: bool
    negate: bool
    timeout: int
    failure_result: bool


class PolicyBinding(PolicyBindingRequest):
    pk: str
    policy: str | None
    user: int | None
    group_obj: PartialGroup | None


class Flow(TypedDict):
    pk: str
    slug: str
    designation: str


class ScopeMapping(TypedDict):
    pk: str
    managed: str | None
    name: str
    scope_name: str


class CertificateKeyPair(TypedDict):
    pk: str
    name: str


class PolicyTestResult(TypedDict):
    passing: bool
    messages: list[str]
    log_messages: NotRequired[list[dict[str, object]]]
