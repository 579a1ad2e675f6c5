"""Every file and command the host bootstrap puts on the AX41, rendered by the program from typed settings.

Pure functions, no Pulumi: `hetzner/host.py` turns their output into `RenderedFile` and `RemoteCommand`
resources. Paths come from a `HostLayout`, the real filesystem layout by default; `HostLayout.under(root)` moves
every path below a folder, so a dev stack (and the end-to-end test) installs the same files into a sandbox on
a host that is not ours to reconfigure, with contents that point at each other consistently.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, fields, replace
from urllib.parse import quote

import yaml

from hetzner.backup import BackupPlan, Dump, Repository
from hetzner.remote.ssh import public_key_fields

HEADER = "Rendered by the dezky program (hetzner/host_config.py); edits on the host are overwritten."


@dataclass(frozen=True)
class HostLayout:
    sshd_dropin: str = "/etc/ssh/sshd_config.d/50-dezky-hardening.conf"
    ssh_client_dropin: str = "/etc/ssh/ssh_config.d/60-dezky-backup.conf"
    apt_dropin: str = "/etc/apt/apt.conf.d/52dezky-unattended-upgrades"
    k3s_config: str = "/etc/rancher/k3s/config.yaml"
    kubeconfig: str = "/etc/rancher/k3s/k3s.yaml"
    stalwart_config: str = "/etc/stalwart/config.json"
    stalwart_environment: str = "/etc/stalwart/stalwart.env"
    stalwart_bin_dir: str = "/opt/stalwart/bin"
    stalwart_data: str = "/var/lib/stalwart"
    ocis_metadata: str = "/var/lib/ocis/storage/users"  # OCIS's STORAGE_USERS_S3NG_ROOT (hostPath)
    #: where the platform's nightly CronJob leaves Authentik's database dump (k3s/authentik.py DEFAULT_DUMP_DIR)
    authentik_dumps: str = "/var/backups/dezky/authentik"
    units_dir: str = "/etc/systemd/system"
    backup_script: str = "/usr/local/sbin/dezky-backup"
    backup_dir: str = "/etc/dezky/backup"
    backup_staging: str = "/var/lib/dezky-backup"
    dry_run_log: str = "/var/log/dezky/dry-run.log"

    def under(self, root: str) -> HostLayout:
        """Every path below `root` (a sandbox); `/` leaves the layout as it is."""
        prefix = root.rstrip("/")
        return replace(self, **{f.name: prefix + getattr(self, f.name) for f in fields(self)})

    def unit(self, name: str) -> str:
        return f"{self.units_dir}/{name}"

    @property
    def restic_password(self) -> str:
        return f"{self.backup_dir}/restic-password"

    @property
    def backup_key(self) -> str:
        return f"{self.backup_dir}/id_ed25519"

    @property
    def backup_known_hosts(self) -> str:
        return f"{self.backup_dir}/known_hosts"


@dataclass(frozen=True)
class K3sSettings:
    version: str = "v1.33.2+k3s1"
    node_name: str = "ax41"
    tls_sans: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    snapshot_cron: str = "0 */12 * * *"
    snapshot_retention: int = 6


@dataclass(frozen=True)
class StalwartSettings:
    version: str = "0.16.18"
    #: sha256 of the release tarball; required before the install runs for real
    sha256: str = ""
    hostname: str = "mail.dezky.eu"
    asset: str = "stalwart-x86_64-unknown-linux-gnu.tar.gz"
    #: where the tarball is fetched instead of the GitHub release (a mirror; a local file in tests)
    download_url: str = ""

    @property
    def url(self) -> str:
        if self.download_url:
            return self.download_url
        return f"https://github.com/stalwartlabs/stalwart/releases/download/v{self.version}/{self.asset}"


@dataclass(frozen=True)
class StorageBox:
    """A Storage Box (or the Helsinki one) as restic reaches it: an ssh alias defined in the client drop-in."""

    alias: str
    host: str
    user: str
    path: str
    port: int = 23
    host_key: str = ""  # `ssh-ed25519 AAAA...`
    #: the estate's box (`dezky:estate` storageBoxes[].name) whose server and user fill an empty host and user
    estate_box: str = ""


# --- base hardening ----------------------------------------------------------------------------------


def render_sshd_hardening() -> str:
    # Debian's sshd_config includes sshd_config.d/*.conf first and the first value of a key wins, so these
    # override the defaults below them. Algorithms: ones both OpenSSH 9.2 and paramiko (the bootstrap's own
    # client) speak; a test logs in through a server running exactly this file.
    return f"""# {HEADER}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
X11Forwarding no
AllowAgentForwarding no
MaxAuthTries 3
LoginGraceTime 30
ClientAliveInterval 300
ClientAliveCountMax 2
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512,hmac-sha2-256
"""


def render_unattended_upgrades() -> str:
    # Security updates daily; a reboot for a new kernel at 04:30, after the 03:15 backup has finished.
    return f"""// {HEADER}
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
Unattended-Upgrade::Origins-Pattern {{
        "origin=Debian,codename=${{distro_codename}}-security,label=Debian-Security";
        "origin=Debian,codename=${{distro_codename}},label=Debian";
}};
Unattended-Upgrade::Remove-Unused-Dependencies "true";
Unattended-Upgrade::Automatic-Reboot "true";
Unattended-Upgrade::Automatic-Reboot-Time "04:30";
Unattended-Upgrade::Mail "root";
"""


def packages_command(packages: tuple[str, ...]) -> str:
    """Install only what is missing, so a re-run on a converged host changes nothing."""
    names = " ".join(shlex.quote(p) for p in packages)
    return (
        "set -euo pipefail\nmissing=()\n"
        f"for p in {names}; do\n"
        "    dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null | grep -q 'install ok installed' || missing+=(\"$p\")\n"
        "done\n"
        "if [ ${#missing[@]} -gt 0 ]; then\n    apt-get update -qq\n"
        '    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"\nfi\n'
        f'echo "present: {names}"'
    )


# --- k3s ------------------------------------------------------------------------------------------------


def render_k3s_config(k3s: K3sSettings) -> str:
    config = {
        "node-name": k3s.node_name,
        "write-kubeconfig-mode": "0600",
        "tls-san": list(k3s.tls_sans),
        # Embedded etcd instead of the default SQLite: `k3s etcd-snapshot save` gives the backup a consistent
        # datastore snapshot while the cluster runs.
        "cluster-init": True,
        "secrets-encryption": True,
        "etcd-snapshot-schedule-cron": k3s.snapshot_cron,
        "etcd-snapshot-retention": k3s.snapshot_retention,
        "disable": list(k3s.disable),
    }
    return f"# {HEADER}\n" + yaml.safe_dump(config, sort_keys=True)


def k3s_install_command(k3s: K3sSettings, layout: HostLayout) -> str:
    # The installer is taken from the same tag as the binary; it checks the binary against the release's
    # sha256sum file itself.
    installer = f"https://raw.githubusercontent.com/k3s-io/k3s/{quote(k3s.version, safe='')}/install.sh"
    exec_args = f"server --config {layout.k3s_config}"
    return (
        "set -euo pipefail\ninstaller=$(mktemp)\ntrap 'rm -f \"$installer\"' EXIT\n"
        f'curl -sfL --retry 3 -o "$installer" {shlex.quote(installer)}\n'
        # A re-run after a config change must restart k3s even when the binary is unchanged.
        f"INSTALL_K3S_VERSION={shlex.quote(k3s.version)} INSTALL_K3S_EXEC={shlex.quote(exec_args)} "
        'INSTALL_K3S_FORCE_RESTART=true sh "$installer"'
    )


K3S_UNINSTALL_COMMAND = "if [ -x /usr/local/bin/k3s-uninstall.sh ]; then /usr/local/bin/k3s-uninstall.sh; fi"


def render_placeholder_kubeconfig(host: str) -> str:
    """What a dry run returns instead of k3s's kubeconfig: valid YAML, unusable, and saying so."""
    return f"""# DRY RUN PLACEHOLDER: k3s was not installed (dry-run mode); this kubeconfig reaches nothing.
apiVersion: v1
kind: Config
clusters:
- name: dry-run-placeholder
  cluster:
    server: https://{host}:6443
    certificate-authority-data: DRY-RUN-PLACEHOLDER
contexts:
- name: dry-run-placeholder
  context: {{cluster: dry-run-placeholder, user: dry-run-placeholder}}
current-context: dry-run-placeholder
users:
- name: dry-run-placeholder
  user: {{token: DRY-RUN-PLACEHOLDER}}
"""


# --- Stalwart -------------------------------------------------------------------------------------------


def render_stalwart_config(layout: HostLayout) -> str:
    """Stalwart 0.16's configuration file names only its data store: every other setting lives in that store
    and is managed through its JMAP API (the tenant providers do that). RocksDB on the host's disk."""
    store = {"@type": "RocksDb", "path": layout.stalwart_data + "/data"}
    return json.dumps(store, indent=2) + "\n"


def render_stalwart_environment(stalwart: StalwartSettings, admin_password: str) -> str:
    """The service's environment: its host name and the recovery admin, whose password the program generated
    and also hands to the tenant providers (HTTP Basic `admin:<password>` on `/jmap`)."""
    return (
        f"# {HEADER}\n"
        f"STALWART_HOSTNAME={_systemd_quoted(stalwart.hostname)}\n"
        f"STALWART_RECOVERY_ADMIN={_systemd_quoted('admin:' + admin_password)}\n"
    )


def _systemd_quoted(value: str) -> str:
    # EnvironmentFile= takes a double-quoted value with backslash escapes.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml(value: str) -> str:
    # A JSON string is a valid TOML basic string: quotes and backslashes in a value stay values.
    return json.dumps(value)


def render_stalwart_unit(layout: HostLayout) -> str:
    # The environment file holds the recovery admin's password and stays root-only (0600): systemd reads it
    # before it drops to the unprivileged stalwart user, who never needs read access to /etc/stalwart.
    return f"""# {HEADER}
[Unit]
Description=Stalwart mail server (dezky)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=stalwart
Group=stalwart
EnvironmentFile={layout.stalwart_environment}
ExecStart={layout.stalwart_bin_dir}/stalwart --config={layout.stalwart_config}
StateDirectory=stalwart
StateDirectoryMode=0700
ReadWritePaths={layout.stalwart_data}
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
LimitNOFILE=65536
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


def stalwart_install_command(stalwart: StalwartSettings, layout: HostLayout) -> str:
    """Fetch the release tarball, refuse it unless its sha256 is the pinned one, unpack the binary, run it."""
    digest = stalwart.sha256 or "UNSET-set-dezky:stalwartSha256"
    return (
        "set -euo pipefail\n"
        "tarball=$(mktemp)\ntrap 'rm -f \"$tarball\"' EXIT\n"
        f'curl -sfL --retry 3 -o "$tarball" {shlex.quote(stalwart.url)}\n'
        f'echo "{digest}  $tarball" | sha256sum --check --strict --quiet\n'
        f"install -d -m 0755 {shlex.quote(layout.stalwart_bin_dir)}\n"
        f'tar -xzf "$tarball" -C {shlex.quote(layout.stalwart_bin_dir)} stalwart\n'
        f"{shlex.quote(layout.stalwart_bin_dir)}/stalwart --version"
    )


STALWART_ACCOUNT_COMMAND = "id stalwart >/dev/null 2>&1 || useradd --system --home-dir /var/lib/stalwart --shell /usr/sbin/nologin stalwart"


# --- backups --------------------------------------------------------------------------------------------


def backup_plan(
    layout: HostLayout, main: StorageBox, dr: StorageBox, sftp_command: str | None = None
) -> BackupPlan:
    """Stalwart's data, OCIS's metadata root, Authentik's database dump (made in the cluster half an hour
    before) and the k3s snapshot, to the box, copied to Helsinki."""
    password = layout.restic_password
    return BackupPlan(
        sources=(layout.stalwart_data, layout.ocis_metadata, layout.authentik_dumps),
        staging=layout.backup_staging,
        repository=Repository(f"sftp:{main.alias}:{main.path}", password, sftp_command),
        dr_repository=Repository(f"sftp:{dr.alias}:{dr.path}", password, sftp_command),
        dumps=default_dumps(),
    )


def default_dumps() -> tuple[Dump, ...]:
    return (Dump("k3s", 'k3s etcd-snapshot save --dir "$DUMP_DIR" --name dezky-nightly'),)


def render_backup_units(layout: HostLayout, calendar: str = "*-*-* 03:15:00") -> tuple[str, str]:
    service = f"""# {HEADER}
[Unit]
Description=Dezky nightly restic backup to the Storage Box, copied to Helsinki
Wants=network-online.target
After=network-online.target k3s.service stalwart.service

[Service]
Type=oneshot
ExecStart={layout.backup_script} run
Nice=10
IOSchedulingClass=idle
TimeoutStartSec=6h
"""
    timer = f"""# {HEADER}
[Unit]
Description=Run the dezky backup nightly

[Timer]
OnCalendar={calendar}
RandomizedDelaySec=15m
Persistent=true

[Install]
WantedBy=timers.target
"""
    return service, timer


def render_backup_ssh_config(layout: HostLayout, boxes: tuple[StorageBox, ...]) -> str:
    blocks = [f"# {HEADER}"]
    for box in boxes:
        blocks.append(
            f"Host {box.alias}\n    HostName {box.host}\n    Port {box.port}\n    User {box.user}\n"
            f"    IdentityFile {layout.backup_key}\n    IdentitiesOnly yes\n    StrictHostKeyChecking yes\n"
            f"    UserKnownHostsFile {layout.backup_known_hosts}\n    ServerAliveInterval 60\n"
        )
    return "\n".join(blocks)


def render_known_hosts(boxes: tuple[StorageBox, ...]) -> str:
    lines = []
    for box in boxes:
        fields_ = public_key_fields(box.host_key)
        if fields_ is not None:
            name = box.host if box.port == 22 else f"[{box.host}]:{box.port}"
            lines.append(f"{name} {' '.join(fields_)}")
    return "\n".join(lines) + "\n"
