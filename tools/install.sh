#!/usr/bin/env bash
# Installs what building and serving need (make run), pinned and idempotent: a second run skips
# everything. What only the tests need is installed by tools/test-tools.sh (make test).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

log() { printf '[install] %s\n' "$*" >&2; }

# shellcheck source=apt.sh
. "$here/apt.sh"
# shellcheck disable=SC2086
install_apt $RUN_APT_PACKAGES

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
stamp="${CARGO_HOME:-$HOME/.cargo}/.orbitr-wasm-split-$WASM_SPLIT_VERSION"
if ! command -v wasm-split-cli >/dev/null 2>&1 || [ ! -f "$stamp" ]; then
  log "wasm-split-cli $WASM_SPLIT_VERSION"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
  touch "$stamp"
fi
log "tools ready"
