#!/usr/bin/env bash
# commit-check.sh: every commit since the rule was adopted has a subject of
# 72 characters or less (CONTRIBUTING.md, "Commits"). Commits before it are
# history and are left as they are. A shallow clone that lacks the rule's
# commit checks the commits it has.
set -euo pipefail
cd "$(dirname "$0")/.."
# The last commit made before the rule (issue 18, the 1.0 release).
since=c65f799
git rev-parse -q --verify "$since^{commit}" >/dev/null && range="$since..HEAD" || range=HEAD
long=$(git log --no-merges --format='%h%x09%s' "$range" | awk -F'\t' 'length($2) > 72')
if [ -n "$long" ]; then
  echo "commits: subjects over 72 characters (reword them before merging):" >&2
  sed 's/^/  /' <<<"$long" >&2
  exit 1
fi
echo "commits: every subject since $since is 72 characters or less"
