#!/usr/bin/env bash
# Installs podman and what the image test needs from Debian's packages, and sets podman up for a
# sandbox like this project's CI machine: runc (crun fails there) with cgroupfs (no systemd), and no
# default ulimits (podman's defaults are above what the sandbox lets a process raise them to).
# Idempotent; run as root.
set -euo pipefail

need=()
for command in podman podman-compose mmdebstrap runc caddy; do
  command -v "$command" >/dev/null 2>&1 || need+=("$command")
done
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    podman podman-compose mmdebstrap runc caddy netavark aardvark-dns uidmap slirp4netns fuse-overlayfs iptables
fi

mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
echo "podman $(podman --version | awk '{print $3}') configured: runc, cgroupfs, no default ulimits"
