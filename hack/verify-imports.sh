#!/usr/bin/env bash
# Fails when a package under cmd/ or pkg/ (its tests included) depends on a package under test/:
# test/ holds suites and test tools, and production code must build without them. Package tests
# that need a control plane use internal/testenv instead, which only tests may import.
set -euo pipefail
cd "$(dirname "$0")/.."
module=$(go list -m)
bad=$(go list -test -deps ./cmd/... ./pkg/... | grep "^$module/test/" | sort -u || true)
if [[ -n "$bad" ]]; then
	echo "cmd/ or pkg/ depends on test/ packages:" >&2
	echo "$bad" >&2
	for p in $bad; do
		# Name the importers so the fix is obvious.
		go list -test -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./cmd/... ./pkg/... |
			grep -F " $p" | cut -d: -f1 | sed "s|^|  imported by |; s|\$| -> $p|" >&2 || true
	done
	exit 1
fi
# internal/testenv is a test helper too: only tests may pull it into cmd/ or pkg/.
if bad=$(go list -deps ./cmd/... ./pkg/... | grep -x "$module/internal/testenv"); then
	echo "non-test code of cmd/ or pkg/ depends on $bad" >&2
	exit 1
fi
echo "ok: no cmd/ or pkg/ package depends on test/, and only their tests on internal/testenv"
