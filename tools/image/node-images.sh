#!/usr/bin/env bash
# Stand-ins for the official Node images, made from Debian's packages and this machine's own Node,
# for machines that reach no container registry (this project's CI): the same layout as the
# official images (node and npm in /usr/local, a `node` user with uid 1000), so the repository's
# Dockerfile builds unchanged on either.
#
#   node:20-bookworm-slim  Debian bookworm minbase + Node (the runtime stage's base)
#   node:20-bookworm       the same + python3, make, g++ and Node's headers (the build stage's base:
#                          better-sqlite3 compiles against them when it cannot download a prebuilt binary)
#
# Usage: tools/image/node-images.sh   (as root, with podman and mmdebstrap installed; ~1-2 min)
set -euo pipefail

node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # .../node_modules/npm
node_headers=$(dirname "$node_bin")/../include/node
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copies Node and npm into the root file system being made ($1) where the official image keeps
# them, and adds the official image's user.
add_node='mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules" &&
  cp "'"$node_bin"'" "$1/usr/local/bin/node" &&
  cp -a "'"$npm_dir"'" "$1/usr/local/lib/node_modules/npm" &&
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" &&
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx" &&
  chroot "$1" groupadd --gid 1000 node &&
  chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
# This machine's certificate authorities (a registry reached through a proxy may be signed by
# one of its own), and npm told to use them, as this machine's npm is.
add_cas='cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt" &&
  mkdir -p "$1/usr/local/etc" && echo "cafile=/etc/ssl/certs/ca-certificates.crt" > "$1/usr/local/etc/npmrc"'
# The build image: Node's headers beside it and npm told to use them (the official image's
# node-gyp downloads them instead).
add_headers='mkdir -p "$1/usr/local/include" && cp -a "'"$node_headers"'" "$1/usr/local/include/node" &&
  echo "nodedir=/usr/local" >> "$1/usr/local/etc/npmrc"'

make_image() {
  local name=$1 hooks=$2 packages=$3
  local rootfs="$work/${name//[:.]/-}.tar"
  mmdebstrap --quiet --variant=minbase --dpkgopt=force-unsafe-io --include="$packages" \
    --customize-hook="$hooks" bookworm "$rootfs"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_VERSION='"$("$node_bin" --version | tr -d v)" \
    --change 'CMD ["node"]' \
    "$rootfs" "$name" >/dev/null
  rm -f "$rootfs"
  echo "made $name"
}

# Side by side: each is mostly waiting on downloads and dpkg.
make_image node:20-bookworm-slim "$add_node && $add_cas" ca-certificates &
slim=$!
make_image node:20-bookworm "$add_node && $add_cas && $add_headers" ca-certificates,python3,make,g++
wait "$slim"
