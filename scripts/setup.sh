#!/usr/bin/env bash
# Installs what deltamac needs on a fresh Debian machine, and nothing when it is already there:
#  - Debian packages (simulators, synthesis, dataset) through apt when missing;
#  - the pinned virtualenv .venv, rebuilt only when requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(iverilog verilator yosys dataset-fashion-mnist tcl g++ make z3)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "[setup] ERROR: need root to run: apt-get install ${missing[*]}" >&2; exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements.lock | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] creating pinned virtualenv .venv (requirements.txt/.lock changed or missing)"
  rm -rf .venv
  "$PYTHON" -m venv .venv
  # This machine's pip configuration lists local package mirrors that may be absent: drop that noise.
  .venv/bin/pip install -q -r requirements.txt -c requirements.lock 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "[setup] ERROR: pip install failed (see above)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
echo "[setup] environment ready: $(.venv/bin/python --version), $(iverilog -V 2>&1 | head -n1 | cut -d' ' -f1-4), $(verilator --version), $(yosys -V | cut -d' ' -f1-2)"
