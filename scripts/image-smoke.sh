#!/usr/bin/env bash
# Smoke test of the container image's final stage, where no Docker engine runs and no base
# image can be pulled: build the static (musl) release binary here, assemble the image from
# the real Dockerfile with buildah (`--build-arg BINARY_FROM=prebuilt` swaps the compile
# stage for dist/), then run it in an empty root file system:
#   1. `packetgate check` on the mounted examples: the verdict `cargo run` gives (exit 1);
#   2. the entrypoint `packetgate github` finds the CA bundle: its GitHub client starts and
#      fails only on the (closed) API port; the same binary in an image without the bundle
#      fails on the missing certificates instead, so the check can tell the two apart;
#   3. the entrypoint and the default user are what GitHub's Docker actions need;
#   4. the image and binary sizes, against the 20 MB target.
# Needs: rustup's x86_64-unknown-linux-musl target, musl-tools (or gcc), buildah.
# Environment: SMOKE_PROFILE (the Cargo profile to build, default release).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
image=localhost/packetgate:smoke
bare=localhost/packetgate:no-ca
today=2026-11-20

need() { command -v "$1" >/dev/null || { echo "image-smoke: needs $1 ($2)"; exit 2; }; }
need buildah "apt-get install -y buildah"
rustup target list --installed | grep -q "$target" || rustup target add "$target"
if command -v musl-gcc >/dev/null; then export CC_x86_64_unknown_linux_musl=musl-gcc; fi

# SMOKE_PROFILE=smoke (what CI uses) builds faster; the sizes below are the release profile's
# only when it is `release`, the default.
profile=${SMOKE_PROFILE:-release}
echo "== static binary ($target, profile $profile)"
cargo build --profile "$profile" --locked --target "$target" --quiet
bin="target/$target/$profile/packetgate"
if readelf -l "$bin" | grep -q "program interpreter"; then echo "not a static binary: $bin"; exit 1; fi
mkdir -p dist
cp "$bin" dist/packetgate
cp /etc/ssl/certs/ca-certificates.crt dist/ca-certificates.crt

echo "== image from the Dockerfile (BINARY_FROM=prebuilt)"
buildah rmi -f "$image" "$bare" >/dev/null 2>&1 || true
buildah bud --quiet --isolation chroot --build-arg BINARY_FROM=prebuilt -t "$image" -f Dockerfile . >/dev/null

work=$(mktemp -d)
cleanup() { buildah rm -a >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/workspace" "$work/workflow"
cp -r examples "$work/workspace/examples"
printf '%s' '{"number":2,"repository":{"full_name":"o/r"},"pull_request":{"number":2,"head":{"sha":"aaaa"},"base":{"sha":"bbbb","ref":"main"}}}' \
  > "$work/workflow/event.json"

run_in() { # image, then the command
  local img=$1; shift
  local ctr; ctr=$(buildah from --quiet "$img")
  set +e
  buildah run --isolation chroot \
    -v "$work/workspace:/github/workspace" -v "$work/workflow:/github/workflow:ro" \
    --workingdir /github/workspace \
    --env GITHUB_TOKEN=smoke-token --env GITHUB_EVENT_PATH=/github/workflow/event.json \
    --env GITHUB_EVENT_NAME=pull_request --env GITHUB_API_URL=http://127.0.0.1:9 \
    --env GITHUB_WORKSPACE=/github/workspace --env HOME=/github/home \
    "$ctr" -- "$@" > "$work/out.txt" 2>&1
  code=$?
  set -e
  buildah rm "$ctr" >/dev/null
}

echo "== 1. packetgate check on the mounted examples"
run_in "$image" /usr/local/bin/packetgate check --offline --today "$today" examples/
grep "packets" "$work/out.txt" | tail -n 1
[ "$code" -eq 1 ] || { echo "expected exit 1 (invalid examples fail), got $code"; cat "$work/out.txt"; exit 1; }
grep -q "4 passed, 10 failed" "$work/out.txt" || { echo "unexpected verdicts"; exit 1; }

echo "== 2. the entrypoint finds its CA certificates"
run_in "$image" /usr/local/bin/packetgate github --offline
grep -m 1 "^packetgate:" "$work/out.txt" || true
if grep -qi "certificate" "$work/out.txt"; then echo "CA bundle not found in the image"; exit 1; fi
grep -q "listing the pull request's files" "$work/out.txt" || { echo "the GitHub client did not start"; exit 1; }
# The control: the same binary with no bundle must fail on certificates.
ctr=$(buildah from --quiet scratch)
buildah copy --quiet "$ctr" dist/packetgate /usr/local/bin/packetgate >/dev/null
buildah commit --quiet "$ctr" "$bare" >/dev/null
buildah rm "$ctr" >/dev/null
run_in "$bare" /usr/local/bin/packetgate github --offline
grep -q "native root CA certificates" "$work/out.txt" \
  || { echo "control failed: without a bundle the client should not start"; cat "$work/out.txt"; exit 1; }
echo "control, no bundle: $(grep "packetgate: error" "$work/out.txt" | head -n 1)"

echo "== 3. entrypoint and user"
read -r entry user < <(buildah inspect "$image" | python3 -c '
import json, sys
c = json.load(sys.stdin)["OCIv1"]["config"]
print(json.dumps(c.get("Entrypoint"), separators=(",", ":")), repr(c.get("User") or ""))')
echo "entrypoint $entry, user $user"
[ "$entry" = '["/usr/local/bin/packetgate","github"]' ] || { echo "wrong entrypoint"; exit 1; }
[ "$user" = "''" ] || { echo "USER must not be set for Docker actions"; exit 1; }

echo "== 4. sizes"
bin_bytes=$(stat -c %s dist/packetgate)
# The image as it would be pushed: its one layer, uncompressed and gzip-compressed.
buildah push --quiet "$image" "oci-archive:$work/image.tar" >/dev/null
img_bytes=$(python3 - "$work/image.tar" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
index = json.load(t.extractfile("index.json"))
manifest_digest = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(t.extractfile(f"blobs/sha256/{manifest_digest}"))
print(sum(layer["size"] for layer in manifest["layers"]))
PY
)
raw_bytes=$((bin_bytes + $(stat -c %s dist/ca-certificates.crt)))
mib() { python3 -c "print(f'{$1/1048576:.1f}')"; }
echo "static binary:           $bin_bytes bytes ($(mib "$bin_bytes") MiB)"
echo "image, uncompressed:     $raw_bytes bytes ($(mib "$raw_bytes") MiB; binary + CA bundle)"
echo "image, compressed layer: $img_bytes bytes ($(mib "$img_bytes") MiB), target < 20 MB"
[ "$raw_bytes" -lt 20000000 ] || { echo "image over 20 MB"; exit 1; }
echo "image-smoke: ok"
