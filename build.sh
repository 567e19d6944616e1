#!/usr/bin/env bash
# Builds the camera-recorder container image from ./Dockerfile and tags it
# recorder-service:<version> (from package.json) and recorder-service:<git-sha>.
# Uses docker when its daemon answers, else podman, else buildah (both need no daemon).
# Run ./build.sh --help for the options.
set -euo pipefail

IMAGE_NAME=${IMAGE_NAME:-recorder-service}
PROG=build.sh

usage() {
  cat <<EOF
Usage: ./build.sh [--push REGISTRY] [--tool docker|podman|buildah] [--platform PLATFORM]

Builds the camera-recorder image from ./Dockerfile and tags it
  ${IMAGE_NAME}:<version>   the version in package.json
  ${IMAGE_NAME}:<git-sha>   the commit (12 hex digits), with "-dirty" when tracked files have
                            uncommitted changes, so such a build never poses as the commit

Options:
  --push REGISTRY   also tag both as REGISTRY/${IMAGE_NAME}:<tag> and push them,
                    e.g. --push registry.example.com/cameras
  --tool TOOL       use docker, podman or buildah instead of detecting one
  --platform P      target platform such as linux/arm64 (default: the build machine's)
  --allow-dirty     push even though tracked files have uncommitted changes (refused by default:
                    it would overwrite REGISTRY/${IMAGE_NAME}:<version> with an uncommitted build)
  -h, --help        show this help and exit

Environment:
  IMAGE_NAME        image name (default: recorder-service)
  CONTAINER_TOOL    same as --tool
  GIT_SHA           commit to tag with when building outside a git work tree
  IMAGE_SOURCE      org.opencontainers.image.source label (default: git remote "origin", without credentials)

Container tool: docker when "docker info" answers, otherwise podman, otherwise buildah.
Exit status: 0 built (and pushed), 1 build or push failed or no container tool, 2 bad arguments.
EOF
}

die() {
  echo "${PROG}: $1" >&2
  exit "${2:-1}"
}

run() {
  echo "+ $*"
  "$@"
}

REGISTRY=""
TOOL=${CONTAINER_TOOL:-}
PLATFORM=""
ALLOW_DIRTY=false
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --push)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--push needs a registry, e.g. --push registry.example.com/cameras" 2; fi
      REGISTRY=${2%/}
      shift 2
      ;;
    --push=*)
      REGISTRY=${1#--push=}
      REGISTRY=${REGISTRY%/}
      [ -n "$REGISTRY" ] || die "--push needs a registry, e.g. --push registry.example.com/cameras" 2
      shift
      ;;
    --tool)
      if [ $# -lt 2 ]; then die "--tool needs docker, podman or buildah" 2; fi
      TOOL=$2
      shift 2
      ;;
    --tool=*)
      TOOL=${1#--tool=}
      shift
      ;;
    --platform)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--platform needs a platform such as linux/arm64" 2; fi
      PLATFORM=$2
      shift 2
      ;;
    --platform=*)
      PLATFORM=${1#--platform=}
      shift
      ;;
    --allow-dirty)
      ALLOW_DIRTY=true
      shift
      ;;
    *)
      die "unknown argument \"$1\"; run ./build.sh --help" 2
      ;;
  esac
done

cd "$(dirname "${BASH_SOURCE[0]}")"

# --- container tool -----------------------------------------------------------------------------
if [ -n "$TOOL" ]; then
  case "$TOOL" in
    docker | podman | buildah) ;;
    *) die "unknown container tool \"$TOOL\"; use docker, podman or buildah" 2 ;;
  esac
  command -v "$TOOL" >/dev/null 2>&1 || die "$TOOL is not installed (asked for with --tool/CONTAINER_TOOL)"
else
  docker_without_daemon=false
  if command -v docker >/dev/null 2>&1; then
    if docker info >/dev/null 2>&1; then
      TOOL=docker
    else
      docker_without_daemon=true
    fi
  fi
  if [ -z "$TOOL" ] && command -v podman >/dev/null 2>&1; then TOOL=podman; fi
  if [ -z "$TOOL" ] && command -v buildah >/dev/null 2>&1; then TOOL=buildah; fi
  if [ -z "$TOOL" ]; then
    if [ "$docker_without_daemon" = true ]; then
      die "docker is installed but its daemon does not answer (\"docker info\" failed) and neither podman nor buildah is installed. Start the docker daemon, or install podman or buildah (apt-get install podman), which build without a daemon."
    fi
    die "no container tool found: install docker (with its daemon running), podman or buildah (apt-get install podman), then run ./build.sh again."
  fi
fi

# --- version, commit, labels ----------------------------------------------------------------------
if [ ! -f package.json ] || [ ! -f Dockerfile ]; then die "package.json or Dockerfile missing next to build.sh"; fi
VERSION=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' package.json | head -n 1)
[ -n "$VERSION" ] || die "cannot read \"version\" from package.json"

if [ -n "${GIT_SHA:-}" ]; then
  REVISION=$GIT_SHA
  SHA_TAG=${GIT_SHA:0:12}
  CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
elif command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  REVISION=$(git rev-parse HEAD)
  SHA_TAG=$(git rev-parse --short=12 HEAD)
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then SHA_TAG="${SHA_TAG}-dirty"; fi
  # The commit time rather than "now": rebuilding a commit gives the same label.
  CREATED=$(git log -1 --format=%cI HEAD)
else
  die "not a git work tree (or git is missing): cannot make the <git-sha> tag; set GIT_SHA=<commit>"
fi

if [ -n "${IMAGE_SOURCE+set}" ]; then
  SOURCE=$IMAGE_SOURCE
else
  SOURCE=$(git config --get remote.origin.url 2>/dev/null || true)
  # Never put credentials from a remote URL (https://user:token@host/...) into an image label.
  SOURCE=$(printf '%s' "$SOURCE" | sed -E 's#^([a-z+]+://)[^/@]*@#\1#')
fi

if [ -n "$REGISTRY" ] && [ "$ALLOW_DIRTY" = false ] && [[ "$SHA_TAG" == *-dirty ]]; then
  die "refusing to push: tracked files have uncommitted changes (git status), and pushing would replace ${REGISTRY}/${IMAGE_NAME}:${VERSION} with a build of no commit. Commit first, or pass --allow-dirty."
fi

TAGS=("${IMAGE_NAME}:${VERSION}" "${IMAGE_NAME}:${SHA_TAG}")
if [ -n "$REGISTRY" ]; then
  TAGS+=("${REGISTRY}/${IMAGE_NAME}:${VERSION}" "${REGISTRY}/${IMAGE_NAME}:${SHA_TAG}")
fi

BUILD_ARGS=(build --file Dockerfile)
for tag in "${TAGS[@]}"; do BUILD_ARGS+=(--tag "$tag"); done
BUILD_ARGS+=(
  --build-arg "VERSION=${VERSION}"
  --build-arg "REVISION=${REVISION}"
  --build-arg "SOURCE=${SOURCE}"
  --build-arg "CREATED=${CREATED}"
)
if [ -n "$PLATFORM" ]; then BUILD_ARGS+=(--platform "$PLATFORM"); fi
BUILD_ARGS+=(.)

echo "${PROG}: building ${IMAGE_NAME} ${VERSION} (${SHA_TAG}) with ${TOOL}"
run "$TOOL" "${BUILD_ARGS[@]}" || die "$TOOL build failed"

if [ -n "$REGISTRY" ]; then
  for tag in "${TAGS[@]:2}"; do
    run "$TOOL" push "$tag" || die "$TOOL push $tag failed (logged in? try: $TOOL login ${REGISTRY%%/*})"
  done
fi

echo "${PROG}: built ${TAGS[*]}"
