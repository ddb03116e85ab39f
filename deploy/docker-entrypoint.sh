#!/bin/sh
# The image's entrypoint: puts the shipped model into the data volume on first start (unless
# MODEL_PATH points elsewhere), then becomes the command (exec: node gets the signals).
#
# Seeded once: an existing $DATA_DIR/model.bin is the operator's (`npm run update` writes it) and
# is never replaced, so a new image keeps what the model learned.
set -eu
data_dir=${DATA_DIR:-/data}
if [ -z "${MODEL_PATH:-}" ] && [ ! -e "$data_dir/model.bin" ]; then
  if ! cp /app/data/model.bin "$data_dir/model.bin.seed" 2>/dev/null; then
    echo "movieclassifier: cannot write to $data_dir (uid $(id -u) here); give the volume to uid $(id -u) (chown -R $(id -u):$(id -g)) or mount a named volume" >&2
    exit 1
  fi
  mv "$data_dir/model.bin.seed" "$data_dir/model.bin"
fi
exec "$@"
