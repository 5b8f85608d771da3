#!/usr/bin/env bash
# Installs libtorch for tch 0.26: the PyPI `torch==2.13.0` wheel into the project-local `.venv/`.
# Idempotent: does nothing when the right version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
PYTHON="${PYTHON:-python3}"
VENV=.venv

have_torch() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null
}

if have_torch; then
  echo "setup-libtorch: torch $TORCH_VERSION already in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-libtorch: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "setup-libtorch: installing torch==$TORCH_VERSION into $VENV (about 4.7 GB, a minute or more)"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "torch==$TORCH_VERSION"; then
  echo "setup-libtorch: error: pip could not install torch==$TORCH_VERSION from PyPI into $VENV." >&2
  echo "  Check the network access to PyPI, then run 'make setup' again." >&2
  exit 1
fi
have_torch || { echo "setup-libtorch: error: torch in $VENV is not version $TORCH_VERSION after install" >&2; exit 1; }
echo "setup-libtorch: torch $TORCH_VERSION ready in $VENV"
