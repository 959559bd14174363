#!/usr/bin/env bash
# Installs what the build and tests need, pinned and idempotent: a second run skips everything.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

log() { printf '[install] %s\n' "$*" >&2; }

need_apt=()
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
  log "rust target $WASM_TARGET"
  rustup target add "$WASM_TARGET"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  if ! cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked 2>/tmp/orbitr-wbg.log; then
    # Its lock file pins a webpki-roots that no longer builds on this toolchain: rebuild from the
    # registry copy with that one crate moved to a version that does (see ../shared/TOOLCHAIN.md).
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$WASM_BINDGEN_VERSION" | head -n1)
    work=$(mktemp -d)
    cp -r "$src" "$work/cli"
    (cd "$work/cli" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --path . --locked)
    rm -rf "$work"
  fi
fi
# The OpenID Connect provider the sign-in tests run against (a Python program from PyPI), in
# its own virtualenv so nothing touches the system Python.
# shellcheck source=venv.sh
. "$here/venv.sh"
install_venv oidc-mock oidc-provider-mock
log "tools ready"
