#!/usr/bin/env bash
# Makes the stand-ins for the official images that the Dockerfile and compose.yaml name, those
# that podman does not have yet (a machine without a registry: this project's CI). The Node images
# and the PostgreSQL image are made side by side (each is mostly waiting on downloads and dpkg);
# Caddy's is built on the Node slim one.
#
# Usage: tools/image/stand-ins.sh   (as root, after configure-podman.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
has() { podman image exists "$1"; }

pids=()
if ! has node:20-bookworm-slim || ! has node:20-bookworm; then "$here/node-images.sh" & pids+=($!); fi
if ! has postgres:18; then "$here/postgres-image.sh" & pids+=($!); fi
for pid in "${pids[@]}"; do wait "$pid"; done
has caddy:2 || "$here/caddy-image.sh"
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'node:20|postgres:18|caddy:2'
