#!/usr/bin/env bash
# Installs what only the tests need, pinned and idempotent (make run does not need it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=venv.sh
. "$here/venv.sh"

# Schemathesis, the API fuzzer of server/tests/api/fuzz.rs, in its own virtualenv.
install_venv schemathesis st
