#!/usr/bin/env bash
# Every test: lint, unit, Docker-backed, browser (on SQLite), then the database-touching tests
# again on a real PostgreSQL. Needs the tools from tools/install.sh (make test installs them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --no-fail-fast "$@"; }
else
  run_tests() { cargo test --no-fail-fast "$@"; }
fi

step "test-only tools"
bash tools/test-tools.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The browser-only code (hydrate) is compiled for wasm alone.
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "build the browser assets and the orbitr binary the browser tests drive"
bash tools/build-site.sh dev
cargo build -p server --bin orbitr

step "PostgreSQL"
pg_url=$(bash tools/postgres.sh start)
# Databases left by an interrupted earlier run.
psql "$pg_url" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'orbitr_test_%'" |
  while read -r db; do [ -n "$db" ] && psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done

step "remove test objects a killed earlier run may have left"
label=dev.orbitr.test-run
docker ps -aq --filter "label=$label" | xargs -r docker rm -f -v >/dev/null
docker network ls -q --filter "label=$label" | xargs -r docker network rm >/dev/null
docker volume ls -q --filter "label=$label" | xargs -r docker volume rm -f >/dev/null
docker images -q --filter "label=$label" | xargs -r docker rmi -f >/dev/null

step "all tests on SQLite"
run_tests --workspace

step "database tests on PostgreSQL"
TEST_POSTGRES_URL="$pg_url" run_tests -p engine -p server

step "done"
