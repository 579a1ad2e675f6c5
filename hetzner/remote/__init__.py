"""Commands and files on a host over SSH, as Pulumi resources.

The issue asked for pulumi-command's `remote.Command`. Its provider binary (`pulumi-resource-command`) cannot be
obtained on the project's machines: the Go module proxy refuses `github.com/pulumi/pulumi-command/provider` at
every version and there is no other source. So this package is our own Pulumi dynamic provider that runs
commands over SSH with paramiko, keeping pulumi-command's semantics where they matter:

- `create`, `update` and `delete` commands; with no `update`, a change re-runs `create`;
- `triggers`: any change replaces the resource, which re-runs `create` (after `delete`);
- `stdout` / `stderr` as outputs, `PULUMI_COMMAND_STDOUT` / `PULUMI_COMMAND_STDERR` set for update and delete;
- secrets masked: outputs marked secret are encrypted in the state and never quoted in messages.

Additions of ours: `reruns_on` (a change re-runs the command in place, without the delete a trigger implies:
a changed k3s config re-runs the installer, it does not uninstall k3s first), a `dry_run` mode (validate on the host, record what would run, do not run it) for commands
a machine cannot run (k3s installer, systemd), and `RenderedFile`, a file with content and mode whose `read`
reports drift honestly.

`ssh.py` is the connection (paramiko only), `checks.py` validates scripts and unit files, `provider.py` holds
the dynamic providers and `component.py` the resource classes a program uses.
"""
