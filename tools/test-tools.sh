#!/usr/bin/env bash
# Installs what only the tests need, pinned and idempotent (make run does not need it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"
# shellcheck source=apt.sh
. "$here/apt.sh"
# shellcheck source=venv.sh
. "$here/venv.sh"

# shellcheck disable=SC2086
install_apt $TEST_APT_PACKAGES

# The OpenID Connect provider the sign-in tests run against (a Python program from PyPI), in
# its own virtualenv so nothing touches the system Python.
install_venv oidc-mock oidc-provider-mock

# The SMTP server the mail tests send to (PyPI aiosmtpd), in its own virtualenv.
install_venv aiosmtpd aiosmtpd

# Schemathesis, the API fuzzer of server/tests/api/fuzz.rs, in its own virtualenv.
install_venv schemathesis st
