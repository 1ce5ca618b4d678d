#!/usr/bin/env bash
# The manual pages: no warnings from mandoc or groff, and every option the
# builder's --help lists and every key the early-boot program's config
# parser knows is documented.
set -euo pipefail
builder=${1:?usage: $0 PATH/TO/initoverlayfs-install}
man=$(cd "$(dirname "$0")/../../man" && pwd)
src=$(cd "$(dirname "$0")/../../src" && pwd)
fail() { printf 'man_pages: FAIL: %s\n' "$*" >&2; exit 1; }
command -v mandoc >/dev/null || { echo "man_pages: SKIP: no mandoc" >&2; exit 77; }
for page in "$man"/*.[58]; do
	out=$(mandoc -T lint -W warning "$page" 2>&1 || true)
	[[ -z $out ]] || fail "mandoc: $out"
	out=$(groff -ww -z -man "$page" 2>&1 || true)
	[[ -z $out ]] || fail "groff: $out"
done
install8=$(sed 's/\\-/-/g' "$man/initoverlayfs-install.8")
conf5=$(sed 's/\\-/-/g' "$man/initoverlayfs.conf.5")
for opt in $("$builder" --help | grep -oE -- '(^|[ ,])--[a-z][a-z-]+' | tr -d ' ,' | sort -u); do
	grep -q -- "$opt" <<<"$install8" || fail "initoverlayfs-install(8) lacks $opt"
done
for key in $(grep -oE 'key == "[a-z_]+"' "$src/core/config.cc" | cut -d'"' -f2 | sort -u); do
	grep -qE -- "^\.BR? (.* )?$key( |\$)" <<<"$conf5" || fail "initoverlayfs.conf(5) lacks the key $key"
done
echo "man_pages: PASS" >&2
