"""Host bootstrap over SSH, restic backups and the restore drill, against a real OpenSSH server."""
