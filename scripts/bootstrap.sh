# Sourced by scripts/demo and scripts/test: installs uv if needed, then the locked environment.
# Needs only Python 3.11+ and the package registry.
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
