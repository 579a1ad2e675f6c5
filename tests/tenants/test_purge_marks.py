"""Every item that holds mail can be marked `purge: true` in the tenant file before it is removed: users and
spaces (as before), shared mailboxes and extra mail domains; a list, which holds no mail, accepts the key too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from dezky.tenants import load_tenants
from dezky.tenants.model import Domains
from tests.tenants.builders import DOMAIN, SLUG, address, problems, problems_in_text, tenant, to_yaml, write

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "tenant.schema.json"
EXTRA = "berg-mail.de"


def loaded(folder: Path, data: dict[str, Any]) -> Any:
    write(folder, data)
    result = load_tenants([folder])
    assert result.problems == []
    (item,) = result.tenants
    return item.tenant


def with_mail(**mail: Any) -> dict[str, Any]:
    return tenant(plan="enterprise", mail=mail)


def shared_mailbox(**fields: Any) -> dict[str, Any]:
    return {"address": address("kanzlei"), "name": "Kanzlei", "members": [address("eva.berg")], **fields}


def test_purge_on_a_shared_mailbox_is_a_known_key(tmp_path: Path) -> None:
    found = loaded(tmp_path, with_mail(shared_mailboxes=[shared_mailbox(purge=True)]))

    assert found.mail.shared_mailboxes[0].purge is True


def test_a_shared_mailbox_is_not_marked_unless_it_says_so(tmp_path: Path) -> None:
    found = loaded(tmp_path, with_mail(shared_mailboxes=[shared_mailbox()]))

    assert found.mail.shared_mailboxes[0].purge is False


def test_purge_on_a_mailing_list_is_accepted(tmp_path: Path) -> None:
    mailing_list = {
        "address": address("team"),
        "name": "Team",
        "members": [address("eva.berg")],
        "purge": True,
    }

    found = loaded(tmp_path, with_mail(lists=[mailing_list]))

    assert found.mail.lists[0].purge is True


def test_a_misspelt_purge_on_a_shared_mailbox_suggests_it(tmp_path: Path) -> None:
    assert problems(tmp_path, with_mail(shared_mailboxes=[shared_mailbox(purg=True)])) == [
        ("mail.shared_mailboxes[0].purg", "unknown key `purg`; did you mean `purge`?")
    ]


# --- extra mail domains: a name, or a mapping that can carry the mark ------------------------------------------


def test_plain_extra_mail_domains_still_validate_unchanged(tmp_path: Path) -> None:
    found = loaded(
        tmp_path, tenant(plan="enterprise", domains={"primary": DOMAIN, "mail": [EXTRA, "Berg.EU"]})
    )

    assert found.domains.mail == (EXTRA, "berg.eu")
    assert found.domains.mail_domains == (DOMAIN, EXTRA, "berg.eu")
    assert found.domains.purged_mail_domains == frozenset()


def test_an_extra_mail_domain_written_as_a_mapping_can_be_marked_for_purge(tmp_path: Path) -> None:
    domains = {
        "primary": DOMAIN,
        "mail": [{"domain": EXTRA, "purge": True}, {"domain": "berg.eu"}, "berg.at"],
    }

    found = loaded(tmp_path, tenant(plan="enterprise", domains=domains))

    assert found.domains.mail == (EXTRA, "berg.eu", "berg.at")
    assert found.domains.purged_mail_domains == frozenset({EXTRA})


def test_the_mark_is_read_in_block_style_too(tmp_path: Path) -> None:
    text = to_yaml(tenant(plan="enterprise")).replace(
        f"  primary: {DOMAIN}\n",
        f"  primary: {DOMAIN}\n  mail:\n    - berg.eu\n    - domain: {EXTRA}\n      purge: true\n",
    )
    (tmp_path / f"{SLUG}.yaml").write_text(text, encoding="utf-8")

    (item,) = load_tenants([tmp_path]).tenants

    assert item.tenant.domains.purged_mail_domains == frozenset({EXTRA})


def test_a_mark_on_the_primary_domain_is_refused_at_its_entry(tmp_path: Path) -> None:
    domains = {"primary": DOMAIN, "mail": [EXTRA, {"domain": DOMAIN, "purge": True}]}

    assert problems(tmp_path, tenant(plan="enterprise", domains=domains)) == [
        (
            "domains.mail[1]",
            f"`{DOMAIN}` is the primary domain: it goes only with its tenant (`status: deleted`, then `purge: true` "
            "on the tenant); make another domain primary first to remove this one",
        )
    ]


def test_the_primary_listed_again_without_a_mark_is_still_accepted() -> None:
    domains = Domains.model_validate({"primary": DOMAIN, "mail": [{"domain": DOMAIN}]})

    assert domains.mail_domains == (DOMAIN,)
    assert domains.purged_mail_domains == frozenset()


def test_a_misspelt_key_in_a_mail_domain_mapping_is_named_with_a_suggestion(tmp_path: Path) -> None:
    text = to_yaml(tenant(plan="enterprise")).replace(
        f"  primary: {DOMAIN}\n", f"  primary: {DOMAIN}\n  mail:\n    - domain: {EXTRA}\n      purg: true\n"
    )

    line = text.splitlines().index("      purg: true") + 1

    assert problems_in_text(tmp_path, text) == [
        f"{SLUG}.yaml:{line}:7 domains.mail[0].purg: unknown key `purg`; did you mean `purge`?"
    ]


def test_a_mapping_without_its_domain_says_the_field_is_missing(tmp_path: Path) -> None:
    domains = {"primary": DOMAIN, "mail": [{"purge": True}]}

    assert problems(tmp_path, tenant(plan="enterprise", domains=domains)) == [
        ("domains.mail[0].domain", "required field is missing")
    ]


def test_a_bad_domain_is_reported_at_its_entry_in_either_form(tmp_path: Path) -> None:
    domains = {"primary": DOMAIN, "mail": ["https://berg.eu/", {"domain": "https://berg.at/", "purge": True}]}

    assert problems(tmp_path, tenant(plan="enterprise", domains=domains)) == [
        ("domains.mail[0]", "`https://berg.eu/` is a web address (URL); write the domain alone: berg.eu"),
        (
            "domains.mail[1].domain",
            "`https://berg.at/` is a web address (URL); write the domain alone: berg.at",
        ),
    ]


def test_a_domain_listed_twice_is_refused_whatever_its_form(tmp_path: Path) -> None:
    domains = {"primary": DOMAIN, "mail": [EXTRA, {"domain": EXTRA, "purge": True}]}

    assert problems(tmp_path, tenant(plan="enterprise", domains=domains)) == [
        ("domains.mail", f"listed twice: {EXTRA}")
    ]


# --- the JSON Schema editors read ------------------------------------------------------------------------------


def schema_errors(data: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    as_json = json.loads(json.dumps(yaml.safe_load(to_yaml(data)), default=str))
    return [error.message for error in validator.iter_errors(as_json)]


def test_the_schema_takes_both_forms_of_an_extra_mail_domain_and_every_new_purge_key() -> None:
    data = tenant(
        plan="enterprise",
        domains={"primary": DOMAIN, "mail": [EXTRA, {"domain": "berg.eu", "purge": True}]},
        mail={
            "shared_mailboxes": [shared_mailbox(purge=True)],
            "lists": [
                {"address": address("team"), "name": "Team", "members": [address("eva.berg")], "purge": True}
            ],
        },
    )

    assert schema_errors(data) == []


def test_the_schema_flags_an_unknown_key_in_a_mail_domain_mapping() -> None:
    data = tenant(domains={"primary": DOMAIN, "mail": [{"domain": EXTRA, "purg": True}]})

    assert schema_errors(data) != []
