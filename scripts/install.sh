#!/usr/bin/env bash
# Install everything cnn2sheet and its tests need on a fresh Debian machine:
# the package with its Python dependencies, and Gnumeric and LibreOffice (independent engines
# for proofs). LibreOffice is driven through Python-UNO, which lives in Debian's own Python.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ssconvert >/dev/null 2>&1 || need_apt+=(gnumeric)
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc-nogui)
/usr/bin/python3 -c 'import uno' >/dev/null 2>&1 || need_apt+=(python3-uno)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing ${need_apt[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_apt[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
