# Sourced by the hack/*.sh scripts that build a tool from the Go module proxy into the cache.

# The cache every built tool and binary lives in; PCO_CACHE_DIR moves it.
CACHE_ROOT="${PCO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mcm-provider-pco}"

# go_tool OUT BIN NOTE PKG@VERSION [LDFLAGS] builds BIN into OUT unless it is there. The tool's
# own module graph is used (go install pkg@version), never ours; NOTE tells how long it takes.
go_tool() {
  local out=$1 bin=$2 note=$3 pkg=$4 ldflags=${5:-}
  [[ -x "$out/$bin" ]] && return 0
  mkdir -p "$out"
  echo "building $bin ${pkg##*@} ($note)" >&2
  CGO_ENABLED=0 GOBIN="$out" GOFLAGS=-mod=mod go install -trimpath ${ldflags:+-ldflags "$ldflags"} "$pkg" >&2
}
