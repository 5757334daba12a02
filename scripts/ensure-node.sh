# shellcheck shell=bash
# Makes sure a supported Node.js (>= 22) is first on PATH. When the machine's Node is older
# (or missing but npm is present), Node 24 is installed once from the npm registry's
# `node-<platform>-<arch>` package into a per-user cache folder and used from there.
# Source this file; it exports PATH.

TOTRA_NODE_MIN_MAJOR=22
TOTRA_NODE_INSTALL_MAJOR=${TOTRA_NODE_INSTALL_MAJOR:-24}

totra_node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

totra_ensure_node() {
  if [ "$(totra_node_major)" -ge "$TOTRA_NODE_MIN_MAJOR" ]; then
    return 0
  fi
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "totra: unsupported OS $(uname -s); install Node.js ${TOTRA_NODE_INSTALL_MAJOR} yourself" >&2; return 2 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "totra: unsupported CPU $(uname -m); install Node.js ${TOTRA_NODE_INSTALL_MAJOR} yourself" >&2; return 2 ;;
  esac
  local pkg="node-${os}-${arch}"
  local cache="${TOTRA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/totra}/node-${TOTRA_NODE_INSTALL_MAJOR}-${os}-${arch}"
  local bin="$cache/node_modules/$pkg/bin/node"
  if [ ! -x "$bin" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "totra: Node.js >= ${TOTRA_NODE_MIN_MAJOR} is required and npm is not available to install it." >&2
      echo "totra: install Node.js ${TOTRA_NODE_INSTALL_MAJOR} (https://nodejs.org) and run the command again." >&2
      return 2
    fi
    echo "totra: Node $(node -v 2>/dev/null || echo '(none)') is older than ${TOTRA_NODE_MIN_MAJOR}; installing Node ${TOTRA_NODE_INSTALL_MAJOR} from the npm registry into ${cache} (once)" >&2
    local staging="${cache}.tmp.$$"
    rm -rf "$staging"
    mkdir -p "$staging"
    if ! npm install --prefix "$staging" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "${pkg}@${TOTRA_NODE_INSTALL_MAJOR}" >&2; then
      rm -rf "$staging"
      echo "totra: could not install ${pkg}@${TOTRA_NODE_INSTALL_MAJOR} from the npm registry" >&2
      return 2
    fi
    chmod +x "$staging/node_modules/$pkg/bin/node"
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache"
    mv "$staging" "$cache"
  fi
  export PATH="$(dirname "$bin"):$PATH"
  if [ "$(totra_node_major)" -lt "$TOTRA_NODE_MIN_MAJOR" ]; then
    echo "totra: the installed Node at $bin does not run on this machine" >&2
    return 2
  fi
}
