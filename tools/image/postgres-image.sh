#!/usr/bin/env bash
# A stand-in for the official postgres:18 image, for machines that reach no container registry:
# Debian's own PostgreSQL 18 packages (from sid, the only Debian suite that has 18), with the
# official image's contract as compose.yaml uses it (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
# PGDATA=/var/lib/postgresql/18/docker under the volume /var/lib/postgresql, user postgres uid 999,
# port 5432) and its client tools (psql, pg_isready, pg_dump, pg_restore), which docs/deploy.md's
# health check and backups use. The official image is Debian with PostgreSQL's packages too.
#
# Usage: tools/image/postgres-image.sh   (as root, with podman and mmdebstrap; ~1-3 min)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Before PostgreSQL is installed: the official image's postgres user, and no default cluster
# (the entrypoint makes one in PGDATA).
# (written into the files directly: sid's essential packages have no groupadd).
before='echo "postgres:x:999:" >> "$1/etc/group" &&
  echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >> "$1/etc/passwd" &&
  mkdir -p "$1/etc/postgresql-common/createcluster.d" &&
  echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/no-main-cluster.conf"'
after='cp "'"$here"'/postgres/docker-entrypoint.sh" "$1/usr/local/bin/docker-entrypoint.sh" &&
  mkdir -p "$1/var/lib/postgresql" && chroot "$1" chown postgres:postgres /var/lib/postgresql'

# sid's Release file says until when it is valid (a week ahead); a mirror that is a snapshot
# (as this project's CI machine reaches) serves one past that date, which apt refuses by default.
mmdebstrap --quiet --variant=minbase --include=postgresql-18 \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --essential-hook="$before" --customize-hook="$after" sid "$work/rootfs.tar"
podman import \
  --change 'ENV PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PGDATA=/var/lib/postgresql/18/docker' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'VOLUME /var/lib/postgresql' \
  --change 'EXPOSE 5432' \
  --change 'STOPSIGNAL SIGINT' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  "$work/rootfs.tar" postgres:18 >/dev/null
echo "made postgres:18"
