#!/usr/bin/env bash
# Install everything cnn2sheet and its tests need on a fresh Debian machine:
# the package with its Python dependencies, and Gnumeric (an independent engine for proofs).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ssconvert >/dev/null 2>&1 || need_apt+=(gnumeric)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing ${need_apt[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
