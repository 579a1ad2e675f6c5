"""The AX41's bootstrap over SSH: base hardening, k3s, Stalwart as a systemd service, nightly restic backups.

The bootstrap is data: `file_steps` lists every file the host gets (contents rendered by `host_config.py`),
`command_steps` every command, with the group it belongs to, what it waits for and which files re-run it.
`HostBootstrap` turns the lists into `RenderedFile` and `RemoteCommand` resources (see `hetzner/remote`, our
own SSH provider: pulumi-command's provider binary cannot be obtained here).

Dry run: a stack names the command groups its host cannot run (`dezky:host.dryRun`; dev defaults to
k3s, stalwart and systemd). Their commands are checked on the host (`bash -n`, unit files) and recorded in
its dry-run log instead of running; files are always written and the `checks` and `backup` groups always run.
In dry-run mode the kubeconfig output is a placeholder that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from hetzner.backup import render_backup_script
from hetzner.host_config import (
    K3S_UNINSTALL_COMMAND,
    STALWART_ACCOUNT_COMMAND,
    HostLayout,
    K3sSettings,
    StalwartSettings,
    StorageBox,
    backup_plan,
    k3s_install_command,
    packages_command,
    render_backup_ssh_config,
    render_backup_units,
    render_k3s_config,
    render_known_hosts,
    render_placeholder_kubeconfig,
    render_sshd_hardening,
    render_stalwart_config,
    render_stalwart_environment,
    render_stalwart_unit,
    render_unattended_upgrades,
    stalwart_install_command,
)
from hetzner.remote.component import RemoteCommand, RemoteCommandArgs, RenderedFile, RenderedFileArgs
from hetzner.remote.ssh import SshTarget

DRY_RUN_GROUPS = frozenset({"packages", "k3s", "stalwart", "systemd"})
DEV_DRY_RUN = frozenset({"k3s", "stalwart", "systemd"})
DEFAULT_PACKAGES = ("unattended-upgrades", "restic", "curl", "ca-certificates")
#: the estate's default boxes (`hetzner/settings.py`): backups in Falkenstein, disaster recovery in Helsinki
DEFAULT_ESTATE_BOXES = ("dezky-backups", "dezky-dr")


@dataclass(frozen=True)
class BackupSettings:
    storage_box: StorageBox
    helsinki_box: StorageBox
    restic_password: pulumi.Input[str]
    #: the key restic logs in to the boxes with; None when the host already has one
    ssh_private_key: pulumi.Input[str] | None = None
    calendar: str = "*-*-* 03:15:00"
    #: an ssh command restic uses instead of the aliases (a box on a loopback port, in tests)
    sftp_command: str | None = None
    #: the estate's own record of each box (alias -> {"host", "user"}): fills a box's empty host and user
    estate_accounts: pulumi.Input[Mapping[str, Mapping[str, str]]] | None = None

    def boxes(self) -> pulumi.Output[tuple[StorageBox, StorageBox]]:
        """Both boxes, their host and user taken from the estate where the stack gives none."""
        wanted = (self.storage_box, self.helsinki_box)
        accounts = pulumi.Output.from_input(self.estate_accounts or {})
        return accounts.apply(lambda known: tuple(_filled(box, known.get(box.estate_box)) for box in wanted))


def _filled(box: StorageBox, account: Mapping[str, str] | None) -> StorageBox:
    host = box.host or (account or {}).get("host", "")
    user = box.user or (account or {}).get("user", "")
    if not host or not user:
        raise ValueError(f"storage box {box.alias}: no host or user in dezky:host and none from the estate")
    return replace(box, host=host, user=user)


@dataclass(frozen=True)
class HostBootstrapArgs:
    target: SshTarget
    backup: BackupSettings
    #: the recovery admin's password Stalwart starts with; the program generates it (GeneratedSecret)
    stalwart_admin_password: pulumi.Input[str]
    k3s: K3sSettings = field(default_factory=K3sSettings)
    stalwart: StalwartSettings = field(default_factory=StalwartSettings)
    packages: tuple[str, ...] = DEFAULT_PACKAGES
    dry_run: frozenset[str] = frozenset()
    layout: HostLayout = field(default_factory=HostLayout)

    def __post_init__(self) -> None:
        unknown = self.dry_run - DRY_RUN_GROUPS
        if unknown:
            raise ValueError(
                f"dry-run groups {sorted(unknown)} unknown; choose from {sorted(DRY_RUN_GROUPS)}"
            )
        if "stalwart" not in self.dry_run and not self.stalwart.sha256:
            raise ValueError(
                "installing Stalwart for real needs its tarball's sha256 (dezky:host.stalwartSha256)"
            )


@dataclass(frozen=True)
class FileStep:
    name: str
    path: str
    content: pulumi.Input[str]
    mode: int = 0o644
    secret: bool = False


@dataclass(frozen=True)
class CommandStep:
    name: str
    group: str  # a DRY_RUN_GROUPS member, or "checks" / "backup", which always run
    create: str
    delete: str | None = None
    after: tuple[str, ...] = ()  # steps (files or commands) this one waits for
    reruns_on: tuple[str, ...] = ()  # files whose change re-runs it
    units: tuple[str, ...] = ()
    secret: bool = False


def file_steps(args: HostBootstrapArgs) -> list[FileStep]:
    layout, backup = args.layout, args.backup
    boxes = backup.boxes()
    service, timer = render_backup_units(layout, backup.calendar)
    plan = backup_plan(layout, backup.storage_box, backup.helsinki_box, sftp_command=backup.sftp_command)
    admin_password = pulumi.Output.from_input(args.stalwart_admin_password)
    steps = [
        FileStep("sshd-hardening", layout.sshd_dropin, render_sshd_hardening()),
        FileStep("unattended-upgrades", layout.apt_dropin, render_unattended_upgrades()),
        FileStep("k3s-config", layout.k3s_config, render_k3s_config(args.k3s), 0o600),
        FileStep("stalwart-config", layout.stalwart_config, render_stalwart_config(layout)),
        FileStep("stalwart-environment", layout.stalwart_environment,
                 admin_password.apply(lambda p: render_stalwart_environment(args.stalwart, p)), 0o600, secret=True),
        FileStep("stalwart-unit", layout.unit("stalwart.service"), render_stalwart_unit(layout)),
        FileStep("backup-script", layout.backup_script, render_backup_script(plan), 0o755),
        FileStep("backup-service", layout.unit("dezky-backup.service"), service),
        FileStep("backup-timer", layout.unit("dezky-backup.timer"), timer),
        FileStep("backup-password", layout.restic_password,
                 pulumi.Output.from_input(backup.restic_password).apply(lambda p: p + "\n"), 0o600, secret=True),
        FileStep("backup-ssh-config", layout.ssh_client_dropin,
                 boxes.apply(lambda b: render_backup_ssh_config(layout, b))),
        FileStep("backup-known-hosts", layout.backup_known_hosts, boxes.apply(render_known_hosts)),
    ]  # fmt: skip
    if backup.ssh_private_key is not None:
        key = pulumi.Output.from_input(backup.ssh_private_key).apply(lambda k: k.strip() + "\n")
        steps.append(FileStep("backup-ssh-key", layout.backup_key, key, 0o600, secret=True))
    return steps


def command_steps(args: HostBootstrapArgs) -> list[CommandStep]:
    layout = args.layout
    stalwart_unit, backup_service, backup_timer = (
        layout.unit(n) for n in ("stalwart.service", "dezky-backup.service", "dezky-backup.timer")
    )
    key = ("backup-ssh-key",) if args.backup.ssh_private_key is not None else ()
    return [
        CommandStep("packages", "packages", packages_command(args.packages)),
        CommandStep("sshd-check", "checks", f"/usr/sbin/sshd -t -f {layout.sshd_dropin} && echo valid",
                    after=("packages",), reruns_on=("sshd-hardening",)),
        CommandStep("sshd-reload", "systemd", "/usr/sbin/sshd -t && systemctl reload ssh.service",
                    after=("sshd-check",), reruns_on=("sshd-hardening",)),
        CommandStep("apt-check", "checks", f"apt-config -c {layout.apt_dropin} dump >/dev/null && echo valid",
                    after=("packages",), reruns_on=("unattended-upgrades",)),
        CommandStep("k3s-install", "k3s", k3s_install_command(args.k3s, layout), K3S_UNINSTALL_COMMAND,
                    after=("packages",), reruns_on=("k3s-config",)),
        CommandStep("kubeconfig", "k3s", _wait_and_read(layout.kubeconfig), after=("k3s-install",),
                    reruns_on=("k3s-config",), secret=True),
        CommandStep("stalwart-install", "stalwart", stalwart_install_command(args.stalwart, layout),
                    f"rm -rf {layout.stalwart_bin_dir}", after=("packages",)),
        CommandStep("stalwart-service", "systemd",
                    f"{STALWART_ACCOUNT_COMMAND}\n"
                    "systemctl daemon-reload && systemctl enable stalwart.service && systemctl restart stalwart.service",
                    "systemctl disable --now stalwart.service", after=("stalwart-install",),
                    reruns_on=("stalwart-config", "stalwart-environment", "stalwart-unit"), units=(stalwart_unit,)),
        CommandStep("backup-init", "backup", f"{layout.backup_script} init",
                    after=("packages", "backup-password", "backup-ssh-config", "backup-known-hosts", *key),
                    reruns_on=("backup-script",)),
        CommandStep("backup-timer", "systemd",
                    "systemctl daemon-reload && systemctl enable --now dezky-backup.timer",
                    "systemctl disable --now dezky-backup.timer", after=("backup-init",),
                    reruns_on=("backup-service", "backup-timer"), units=(backup_service, backup_timer)),
    ]  # fmt: skip


def _wait_and_read(path: str) -> str:
    # The installer starts k3s and returns; k3s writes its kubeconfig a few seconds later.
    return f"for _ in $(seq 90); do [ -s {path} ] && break; sleep 2; done\ncat {path}"


class HostBootstrap(pulumi.ComponentResource):
    """Every step of the bootstrap as a child resource; outputs the kubeconfig (a secret) and the dry-run log."""

    kubeconfig: pulumi.Output[str]

    def __init__(
        self, name: str, args: HostBootstrapArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dezky:hetzner:HostBootstrap", name, None, opts)
        self.files: dict[str, RenderedFile] = {}
        for step in file_steps(args):
            file_args = RenderedFileArgs(args.target, step.path, step.content, step.mode, step.secret)
            self.files[step.name] = RenderedFile(f"{name}:file:{step.name}", file_args, self._child())
        self.commands: dict[str, RemoteCommand] = {}
        steps = command_steps(args)
        for step in steps:
            self.commands[step.name] = self._command(name, args, step)
        self.kubeconfig = self._kubeconfig(args)
        self.dry_run_groups = args.dry_run
        self.target = args.target
        self.dry_run_steps = sorted(step.name for step in steps if step.group in args.dry_run)
        self.dry_run_log = args.layout.dry_run_log
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "dry_run_log": self.dry_run_log,
                "dry_run_steps": self.dry_run_steps,
            }
        )

    def _child(self, depends_on: list[Any] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on or [])

    def _command(self, name: str, args: HostBootstrapArgs, step: CommandStep) -> RemoteCommand:
        waits_for = [self.files.get(n) or self.commands[n] for n in (*step.after, *step.reruns_on)]
        command_args = RemoteCommandArgs(
            connection=args.target,
            create=step.create,
            delete=step.delete,
            reruns_on=[self.files[n].sha256 for n in step.reruns_on],
            dry_run=step.group in args.dry_run,
            dry_run_log=args.layout.dry_run_log,
            units=step.units,
            secret=step.secret,
        )
        return RemoteCommand(f"{name}:command:{step.name}", command_args, self._child(waits_for))

    def _kubeconfig(self, args: HostBootstrapArgs) -> pulumi.Output[str]:
        if "k3s" in args.dry_run:
            return pulumi.Output.secret(render_placeholder_kubeconfig(args.target.host))
        # k3s writes its kubeconfig for 127.0.0.1; operators reach the API on the host's address.
        server = f"https://{args.target.host}:6443"
        stdout = self.commands["kubeconfig"].stdout
        return pulumi.Output.secret(stdout.apply(lambda text: text.replace("https://127.0.0.1:6443", server)))


def bootstrap_args_from_config(
    config: pulumi.Config,
    stalwart_admin_password: pulumi.Input[str],
    estate_accounts: pulumi.Input[Mapping[str, Mapping[str, str]]] | None = None,
) -> HostBootstrapArgs:
    """From the stack: `dezky:host` (an object: address, sshHostKey, sshPort, sshUser, root, dryRun, k3sVersion,
    stalwartVersion, stalwartSha256, stalwartUrl (a mirror of the release tarball), storageBox and helsinkiBox
    as StorageBox fields, sftpCommand for boxes that restic must reach through an explicit ssh command, as on
    loopback) and the secrets `dezky:resticPassword` and `dezky:backupSshPrivateKey`. A box's `host` and `user`
    may be left out: they come from the estate (`estate_accounts`). Stalwart's admin password is the program's
    own (`stalwart_admin_password`). The key the bootstrap itself logs in with, `dezky:hostSshPrivateKey`, is
    read by the providers, never passed here."""
    host = config.require_object("host")
    default_dry_run = sorted(DEV_DRY_RUN) if config.get("environment") == "dev" else []
    return HostBootstrapArgs(
        target=SshTarget(
            host["address"], int(host.get("sshPort", 22)), host.get("sshUser", "root"), host["sshHostKey"]
        ),
        backup=BackupSettings(
            storage_box=_box(host["storageBox"], DEFAULT_ESTATE_BOXES[0]),
            helsinki_box=_box(host["helsinkiBox"], DEFAULT_ESTATE_BOXES[1]),
            restic_password=config.require_secret("resticPassword"),
            ssh_private_key=config.get_secret("backupSshPrivateKey"),
            sftp_command=host.get("sftpCommand"),
            estate_accounts=estate_accounts,
        ),
        stalwart_admin_password=stalwart_admin_password,
        k3s=K3sSettings(version=host.get("k3sVersion", K3sSettings.version), tls_sans=(host["address"],)),
        stalwart=StalwartSettings(
            host.get("stalwartVersion", StalwartSettings.version),
            host.get("stalwartSha256", ""),
            download_url=host.get("stalwartUrl", ""),
        ),
        dry_run=frozenset(host.get("dryRun", default_dry_run)),
        layout=HostLayout().under(host.get("root", "/")),
    )


def _box(settings: Mapping[str, Any], estate_box: str) -> StorageBox:
    """A box of `dezky:host`; camelCase `hostKey` and `estateBox` are taken as well as the field names."""
    fields = {"host_key": settings.get("hostKey", ""), "estate_box": settings.get("estateBox", estate_box)}
    given = {key: value for key, value in settings.items() if key not in ("hostKey", "estateBox")}
    return StorageBox(**{"host": "", "user": "", **fields, **given})
