#!/usr/bin/env bash
# Builds Orbitr's container image from this repository's Dockerfile with nothing pulled: stages a
# root filesystem (the orbitr binary and the shared libraries ldd names, the browser assets, the
# official extensions, CA certificates, an empty /tmp) in target/image/<tag>/ and runs
# `docker build` there.
#
#   tools/image.sh BINARY TAG [docker build options...]
#
# `make image` builds the release binary and assets first and tags the result `orbitr`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:?usage: tools/image.sh BINARY TAG [docker build options...]}"
tag="${2:?usage: tools/image.sh BINARY TAG [docker build options...]}"
shift 2
target="${CARGO_TARGET_DIR:-$root/target}"
site="$target/site"
[ -x "$binary" ] || { echo "image: $binary is not an executable (build it first)" >&2; exit 2; }
[ -f "$site/pkg/manifest.txt" ] || { echo "image: $site holds no built assets (tools/build-site.sh)" >&2; exit 2; }

context="$target/image/${tag//[:\/]/_}"
rm -rf "$context"
rootfs="$context/rootfs"
mkdir -p "$rootfs/opt/orbitr" "$rootfs/tmp" "$rootfs/etc/ssl/certs"
chmod 1777 "$rootfs/tmp"
cp "$root/Dockerfile" "$context/Dockerfile"
cp "$binary" "$rootfs/opt/orbitr/orbitr"
cp -r "$site" "$rootfs/opt/orbitr/site"
cp -r "$root/extensions" "$rootfs/opt/orbitr/extensions"
# The shared libraries the binary links (glibc, libgcc, libm) and the loader, at their paths.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
  while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi
docker build --quiet --tag "$tag" "$@" "$context" >/dev/null
rm -rf "$context"
echo "$tag"
