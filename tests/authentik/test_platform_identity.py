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
