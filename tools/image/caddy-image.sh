#!/usr/bin/env bash
# A stand-in for the official caddy:2 image, for machines that reach no container registry:
# the caddy binary of Debian's package (installed by configure-podman.sh) on the local
# node:20-bookworm-slim stand-in (a plain Debian bookworm; run node-images.sh first).
#
# Usage: tools/image/caddy-image.sh   (as root, with podman and Debian's caddy installed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/caddy/Containerfile" "$(command -v caddy)" "$work/"
podman build --quiet --ulimit nofile=1024:4096 --ulimit nproc=1024:4096 --tag caddy:2 "$work" >/dev/null
echo "made caddy:2 ($(caddy version | cut -d' ' -f1))"
