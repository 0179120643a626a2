#!/usr/bin/env bash
# deploy/pin-images.sh: refresh the digests the deploy files pin their registry images to.
#
# Every image pulled from a registry is named NAME:TAG@sha256:DIGEST (the base image in
# deploy/Dockerfile, Redis and Caddy in deploy/compose.replicas.yaml): a tag can be moved to other
# content, a digest cannot. This script asks the registry what each NAME:TAG points at now (the
# multi-platform index's digest) and rewrites the pins in place; review with `git diff deploy/`,
# rebuild (deploy/smoke.sh), then commit.
#
#   deploy/pin-images.sh            rewrite the pins
#   deploy/pin-images.sh --check    exit 1 if a pin is out of date (nothing written)
#
# Needs the registry (docker.io) and one of: skopeo (preferred: reads the manifest, pulls nothing)
# or podman/docker (pulls the image, then reads the digest it resolved). With ENGINE=podman or
# ENGINE=docker the engine is used even when skopeo is there.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=(deploy/Dockerfile deploy/compose.yaml deploy/compose.webhook.yaml deploy/compose.replicas.yaml)
check=0
[ "${1:-}" = --check ] && check=1

resolve() {  # NAME:TAG -> sha256:DIGEST of what the tag points at now
  local ref=$1 engine=${ENGINE:-}
  if [ -z "$engine" ] && command -v skopeo >/dev/null; then
    # the digest of the raw top-level manifest: the multi-platform index, as a FROM pin needs
    echo "sha256:$(skopeo inspect --raw "docker://$ref" | sha256sum | cut -d' ' -f1)"
    return
  fi
  engine=${engine:-$(command -v podman >/dev/null && echo podman || echo docker)}
  command -v "$engine" >/dev/null || { echo "neither skopeo nor $engine is installed" >&2; exit 2; }
  "$engine" pull -q "$ref" >/dev/null
  "$engine" image inspect --format '{{.Digest}}' "$ref"
}

stale=0
# each distinct pinned reference in the deploy files, e.g. docker.io/library/redis:7-bookworm@sha256:...
mapfile -t pins < <(grep -ohE '[a-z0-9.-]+(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}' "${FILES[@]}" | sort -u)
[ "${#pins[@]}" -gt 0 ] || { echo "no NAME:TAG@sha256:DIGEST pins found in ${FILES[*]}" >&2; exit 2; }
for pin in "${pins[@]}"; do
  ref=${pin%@*}
  old=${pin#*@}
  new=$(resolve "$ref")
  [[ "$new" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "could not resolve $ref (got '$new')" >&2; exit 2; }
  if [ "$new" = "$old" ]; then
    echo "ok       $ref@$old"
    continue
  fi
  stale=1
  if [ "$check" = 1 ]; then echo "stale    $ref: pinned $old, now $new"; else echo "updated  $ref: $old -> $new"; fi
  if [ "$check" = 0 ]; then
    for f in "${FILES[@]}"; do sed -i "s|$ref@$old|$ref@$new|g" "$f"; done
  fi
done
if [ "$check" = 1 ] && [ "$stale" = 1 ]; then
  echo "some pins are out of date: run deploy/pin-images.sh" >&2
  exit 1
fi
