"""The platform's OCIS application: one public OIDC client at files.<domain>, checked like any provider's input."""

from __future__ import annotations

from components.authentik.apps import OAuth2ProviderProvider
from components.authentik.platform import identity_host, ocis_application_props, ocis_provider_props


def test_ocis_client_is_public_and_passes_the_providers_own_check():
    props = ocis_provider_props("dezky.eu")

    assert OAuth2ProviderProvider().validate(props) == []
    assert props["client_type"] == "public"  # a browser app with PKCE: there is no secret to keep


def test_ocis_redirects_are_exactly_its_web_callbacks_on_the_files_host():
    uris = {(u["redirect_uri_type"], u["url"]) for u in ocis_provider_props("dezky.eu")["redirect_uris"]}

    assert uris == {
        ("authorization", "https://files.dezky.eu/"),
        ("authorization", "https://files.dezky.eu/oidc-callback.html"),
        ("authorization", "https://files.dezky.eu/oidc-silent-redirect.html"),
        ("logout", "https://files.dezky.eu/"),
    }


def test_ocis_application_launches_the_files_host_and_signs_in_on_the_identity_host():
    assert ocis_application_props("example.org")["meta_launch_url"] == "https://files.example.org/"
    assert identity_host("example.org") == "id.example.org"


def test_files_admit_the_platform_admins_and_the_bound_tenants_members_only(configured, client) -> None:
    # issue 10: the OCIS application was open to every user of every tenant (no binding lets everyone in)
    from components.authentik.apps import ApplicationProvider, PolicyBindingProvider
    from components.authentik.platform import OCIS_SLUG, PLATFORM_ADMINS, files_binding_props
    from components.authentik.provider import UserProvider

    for name in ("acme-members", "other-members", "nobody-members"):
        client.create_group({"name": name, "is_superuser": False})
    users = {}
    for slug in ("acme", "other", "nobody"):
        group = f"{slug}-members"
        props = {
            "username": f"anna@{slug}.de",
            "name": "Anna",
            "email": f"anna@{slug}.de",
            "path": f"tenants/{slug}",
            "groups": [group],
            "managed_groups": [group],
        }
        users[slug] = configured(UserProvider()).create(props).outs["pk"]
    configured(OAuth2ProviderProvider()).create(ocis_provider_props("dezky.eu"))
    configured(ApplicationProvider()).create({**ocis_application_props("dezky.eu"), "provider": OCIS_SLUG})

    def may_use() -> dict[str, bool]:
        return {slug: client.check_access(OCIS_SLUG, pk)["passing"] for slug, pk in users.items()}

    assert may_use() == {"acme": True, "other": True, "nobody": True}  # unbound: open to everyone
    configured(PolicyBindingProvider()).create(files_binding_props(OCIS_SLUG, PLATFORM_ADMINS, 0))
    assert may_use() == {"acme": False, "other": False, "nobody": False}  # closed but for the admins
    for slug in ("acme", "other"):
        configured(PolicyBindingProvider()).create(files_binding_props(OCIS_SLUG, f"{slug}-members", 10))
    assert may_use() == {"acme": True, "other": True, "nobody": False}
    assert client.check_access(OCIS_SLUG, client.find_user("akadmin")["pk"])["passing"]  # type: ignore[index]
