"""The data rules on shared mailboxes and extra mail domains: an unmarked removal is refused at the field it
left, with the exact key that marks it; a marked one may go."""

from __future__ import annotations

from pathlib import Path

from dezky.policy.rules import check_data_not_deleted
from dezky.policy.state import Recorded
from tests.policy.conftest import context_for, recorded

SHARED = "buchhaltung@acme-werkzeuge.de"
EXTRA = "acme-tools.eu"


def rendered(tenants_dir: Path, *old: Recorded) -> list[str]:
    violations = check_data_not_deleted([], context_for(tenants_dir, *old))
    return [violation.render(relative_to=tenants_dir.parent) for violation in violations]


def position_of(path: Path, line_text: str) -> str:
    """`line:column` of the first line that is `line_text` once its indentation is set aside."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() == line_text:
            return f"{number}:{len(line) - len(line.lstrip()) + 1}"
    raise AssertionError(f"{line_text!r} is not in {path}")


def shared_mailbox(purge: bool) -> Recorded:
    return recorded(
        "stalwart:Account", f"acme:mail:group:{SHARED}", kind="group", address=SHARED, purge=purge
    )


def test_an_unmarked_shared_mailbox_left_the_file_is_refused_at_its_list_with_the_key_to_set(
    tenants_dir: Path,
) -> None:
    where = position_of(tenants_dir / "acme.yaml", "shared_mailboxes:")

    assert rendered(tenants_dir, shared_mailbox(purge=False)) == [
        f"tenants/acme.yaml:{where} mail.shared_mailboxes: shared mailbox {SHARED} of tenant acme would be "
        "deleted (it left the file) but was never marked `purge: true`; keep it, or mark it for purge in one "
        "change (set `purge: true` on the shared mailbox in `mail.shared_mailboxes`) and remove it in a later one"
    ]


def test_a_shared_mailbox_marked_by_the_last_run_may_go(tenants_dir: Path) -> None:
    assert rendered(tenants_dir, shared_mailbox(purge=True)) == []


def test_an_unmarked_extra_mail_domain_says_how_to_write_its_entry(tenants_dir: Path) -> None:
    old = recorded("stalwart:Domain", f"acme:mail:domain:{EXTRA}", domain=EXTRA, purge=False)
    where = position_of(tenants_dir / "acme.yaml", "domains:")  # acme.yaml has no `mail:` under it (any more)

    assert rendered(tenants_dir, old) == [
        f"tenants/acme.yaml:{where} domains.mail: mail domain {EXTRA} of tenant acme would be deleted (it left the "
        "file) but was never marked `purge: true`; keep it, or mark it for purge in one change (write its entry "
        f"in `domains.mail` as `{{domain: {EXTRA}, purge: true}}`) and remove it in a later one"
    ]


def test_an_extra_mail_domain_and_its_zone_marked_by_the_last_run_may_go(tenants_dir: Path) -> None:
    domain = recorded("stalwart:Domain", f"acme:mail:domain:{EXTRA}", domain=EXTRA, purge=True)
    zone = recorded("dns:Zone", f"acme:zone:{EXTRA}", zone=EXTRA, purge=True)

    assert rendered(tenants_dir, domain, zone) == []


def test_a_mailing_list_left_the_file_is_no_data_loss(tenants_dir: Path) -> None:
    old = recorded(
        "stalwart:MailingList", "acme:mail:list:team@acme-werkzeuge.de", address="team@acme-werkzeuge.de"
    )

    assert rendered(tenants_dir, old) == []
