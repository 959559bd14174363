#!/usr/bin/env bash
# Builds the browser side into target/site: the wasm bundle split per page (wasm-split-cli, then
# wasm-bindgen), the stylesheet and static files, all under content-hashed names listed in
# target/site/pkg/manifest.txt, each precompressed (.br, .gz) so the server sends them without
# compressing per request.
#
#   tools/build-site.sh dev|release
set -euo pipefail
profile="${1:-dev}"
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/versions.env"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
site="$target_dir/site"
stage="$target_dir/site-stage"

# A release bundle drops the function-name and producer sections (3.5 KB brotli): a panic still
# prints its message and place, and dev builds keep the names for stack traces.
case "$profile" in
  release) cargo_profile="wasm-release"; wasm_dir="wasm-release"
    bindgen_flags=(--remove-name-section --remove-producers-section); pack_flags=() ;;
  dev) cargo_profile="dev"; wasm_dir="debug"; bindgen_flags=(); pack_flags=(--keep-names) ;;
  *) echo "usage: $0 dev|release" >&2; exit 2 ;;
esac

cargo build --manifest-path "$root/Cargo.toml" -p frontend --lib \
  --target "$WASM_TARGET" --profile "$cargo_profile"

rm -rf "$stage"
mkdir -p "$stage/pkg"
# Each page's code is its own chunk: wasm-split cuts the module at the pages' lazy routes (the
# link keeps relocations for it, see .cargo/config.toml) into the main module, one module per
# page and the chunks they share, with the loader __wasm_split.js; wasm-bindgen then binds the
# main module. They reference each other by relative names, so they share one folder named
# after their content: /pkg/<hash>/.
split="$stage/split"
wasm-split-cli "$target_dir/$WASM_TARGET/$wasm_dir/frontend.wasm" "$split" --target web --out-name orbitr
# wasm-split writes a chunk for every set of page groups that share code (over two hundred, each
# carrying the main module's whole type table) and a page waits for a hundred of them; sitepack
# (this repository's sitepack/) merges chunks where that lowers what the pages download, keeps
# only the types each module uses and rewrites the loader to match.
cargo run --quiet --manifest-path "$root/Cargo.toml" -p sitepack -- "$split" "${pack_flags[@]}"
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle "${bindgen_flags[@]}" \
  --out-dir "$split" --out-name orbitr "$split/orbitr.wasm"
rm "$split/orbitr.wasm"
wasm_hash=$(cd "$split" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16)
mv "$split" "$stage/pkg/$wasm_hash"
cat "$root"/style/*.css > "$stage/pkg/orbitr.css"

hash_of() { sha256sum "$1" | cut -c1-16; }
cd "$stage/pkg"
css_hash=$(hash_of orbitr.css)
mv orbitr.css "orbitr.$css_hash.css"
printf 'css: %s\njs: %s\nwasm: %s\n' "orbitr.$css_hash.css" "$wasm_hash/orbitr.js" "$wasm_hash/orbitr_bg.wasm" > manifest.txt
cp -r "$root"/public/. "$stage/"

# Precompress everything a browser downloads.
find "$stage" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -print0 |
  while IFS= read -r -d '' f; do
    if [ "$profile" = release ]; then brotli -f -q 11 -k "$f"; else brotli -f -q 5 -k "$f"; fi
    gzip -f -9 -k "$f"
  done

rm -rf "$site"
mv "$stage" "$site"
echo "site built in $site ($(du -sh "$site" | cut -f1)); $(cat "$site/pkg/manifest.txt" | tr '\n' ' ')"
