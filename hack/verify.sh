#!/usr/bin/env bash
# make verify: what a change must keep in step, checked without touching the working tree.
#
#  1. generated code is current: hack/generate.sh runs in a copy of the tree (tracked and
#     untracked files, .gitignore'd ones left out) and nothing may change there;
#  2. the chart's CRD copies (charts/mcm-provider-pco/crds) equal the generated CRDs
#     (kubernetes/crds), file for file;
#  3. the chart's copies of MCM's CRDs (charts/mcm-provider-pco/mcm-crds) equal the pinned
#     machine-controller-manager module's;
#  4. go mod tidy changes nothing in any module (every go.mod in the repository);
#  5. hack/verify-imports.sh passes, where it exists.
#
# Every check runs; the script fails if any failed, naming the fix.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
failed=()
fail() { echo "verify: FAIL: $*" >&2; failed+=("$1"); }
ok() { echo "verify: ok: $*"; }

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# 1. Generated code. The copy holds what `git status` would show, so uncommitted edits count.
copy=$tmp/tree
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[[ -e $f ]] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -C "$copy" -xf -
if ! out=$("$copy/hack/generate.sh" 2>&1); then
	echo "$out" >&2
	fail "generate" "hack/generate.sh failed in a copy of the tree"
elif changes=$(diff -r --brief -x .git "$root" "$copy" 2>&1 | grep -v -e "^Only in $root" | sed "s|$copy|<generated>|g"); [[ -n $changes ]]; then
	echo "$changes" >&2
	fail "generated" "generated code or CRDs are stale: run make generate and commit the result"
else
	ok "generated code and CRDs are current (hack/generate.sh changes nothing)"
fi

# 2. The chart's CRD copies against the generated CRDs, both ways (a stray or missing copy fails).
if d=$(diff -r kubernetes/crds charts/mcm-provider-pco/crds 2>&1); then
	ok "charts/mcm-provider-pco/crds equals kubernetes/crds"
else
	echo "$d" | head -40 >&2
	fail "chart-crds" "charts/mcm-provider-pco/crds differs from kubernetes/crds: run make generate"
fi

# 3. MCM's CRDs in the chart against the module go.mod pins.
mcm=$(go list -m -f '{{.Dir}}' github.com/gardener/machine-controller-manager)
if [[ -z $mcm ]]; then
	fail "mcm-crds" "cannot find the machine-controller-manager module (go mod download)"
elif d=$(diff <(cd "$mcm/kubernetes/crds" && ls machine.sapcloud.io_*.yaml) <(cd charts/mcm-provider-pco/mcm-crds && ls) 2>&1) &&
	d=$(rc=0; for f in "$mcm"/kubernetes/crds/machine.sapcloud.io_*.yaml; do diff -q "$f" "charts/mcm-provider-pco/mcm-crds/${f##*/}" || rc=1; done 2>&1; exit $rc); then
	ok "charts/mcm-provider-pco/mcm-crds equals machine-controller-manager $(go list -m -f '{{.Version}}' github.com/gardener/machine-controller-manager)'s CRDs"
else
	echo "$d" >&2
	fail "mcm-crds" "charts/mcm-provider-pco/mcm-crds differs from the pinned MCM module's CRDs: copy them (docs/install.md)"
fi

# 4. go mod tidy, in every module; -diff prints what tidy would change and changes nothing.
while IFS= read -r mod; do
	dir=$(dirname "$mod")
	if d=$(cd "$dir" && go mod tidy -diff 2>&1); then
		ok "go mod tidy changes nothing in ${dir#./}"
	else
		echo "$d" | head -40 >&2
		fail "tidy:$dir" "go mod tidy changes $dir/go.mod or go.sum: run (cd $dir && go mod tidy)"
	fi
done < <(git ls-files --cached --others --exclude-standard -- 'go.mod' '**/go.mod' | sed 's|^|./|' | sort)

# 5. Import rules, once hack/verify-imports.sh exists.
if [[ -x hack/verify-imports.sh ]]; then
	if ./hack/verify-imports.sh; then ok "hack/verify-imports.sh"; else fail "imports" "hack/verify-imports.sh failed"; fi
fi

if ((${#failed[@]})); then
	echo "verify: ${#failed[@]} check(s) failed: ${failed[*]}" >&2
	exit 1
fi
echo "verify: all checks passed"
