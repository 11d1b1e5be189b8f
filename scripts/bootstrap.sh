# Sourced by the scripts in scripts/: installs uv if needed, then the locked environments.
# Needs Python 3.11+, Node.js 20+ with npm (for the Teams and Playground tools) and the registries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
UV_VERSION="0.13.9"
if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "Installing uv ${UV_VERSION}…" >&2
  python3 -m pip install --quiet --disable-pip-version-check --user "uv==${UV_VERSION}" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
python3 -m uv sync --locked --quiet
# Node tools (package.json): the Teams manifest schema for the tests, and the Agents Playground.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else
    echo "npm not found: install Node.js 20+ for the Teams package tests and the Playground." >&2
  fi
fi
