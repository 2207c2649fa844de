#!/usr/bin/env bash
# Installs the Claude Code CLI into a cache directory OUTSIDE node_modules and prints the binary's
# path on the last line of stdout. It is not a project dependency on purpose: its native binary is
# ~400 MB and a new user's `npm install` / `npm start` must not download it. The coding engine and
# its contract test find it through CLAUDE_CODE_BIN or this cache directory.
#   CLAUDE_CODE_DIR      cache directory (default: .cache/claude-code under the repository root)
#   CLAUDE_CODE_VERSION  pinned version (default below)
set -euo pipefail
cd "$(dirname "$0")/.."

version="${CLAUDE_CODE_VERSION:-2.1.328}"
dir="${CLAUDE_CODE_DIR:-.cache/claude-code}"
bin="$dir/node_modules/.bin/claude"

if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "^$version"; then
  echo "Claude Code $version already installed" >&2
else
  mkdir -p "$dir"
  # --no-save: the cache directory gets no package.json churn; logs go to stderr so stdout is the path.
  npm install --prefix "$dir" --no-save --no-audit --no-fund "@anthropic-ai/claude-code@$version" >&2
fi

"$bin" --version >&2
echo "$(cd "$(dirname "$bin")" && pwd)/claude"
