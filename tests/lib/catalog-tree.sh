#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build a node-type fixture tree (tests/fixtures/catalog/<type>.tree, format
# in tests/fixtures/catalog/README.md) under a host root, for scripts: the
# inventory test, the red-team tests, the discovery benchmark. The unit test
# test_catalog.c builds the same trees in C. Source it (with fixture.sh for
# fixture_marker), then:
#   catalog_tree ROOT TYPE         build TYPE.tree under ROOT
#   catalog_tree_creds TYPE        print the "PATH KIND ENTRY" lines it expects found
# Every credential file holds a "CWMARKER-<random>" line, as fixture.sh's do.

CATALOG_TREES=${CATALOG_TREES:-tests/fixtures/catalog}

catalog_tree() {
	local root=$1 type=$2 op path a b k ts
	while read -r op path a b rest; do
		case "$op" in ''|'#'*) continue ;; esac
		case "$op" in
		cred|public)
			[ -e "$root$path" ] || [ -L "$root$path" ] && continue
			mkdir -p "$(dirname "$root$path")"
			if [ "$op" = cred ]; then fixture_marker >"$root$path"; else echo public >"$root$path"; fi
			;;
		copy)
			mkdir -p "$(dirname "$root$path")"
			cp "$CATALOG_TREES/files/$a" "$root$path"
			;;
		link)
			mkdir -p "$(dirname "$root$path")"
			ln -sfn "$a" "$root$path"
			;;
		dir) mkdir -p "$root$path" ;;
		mode) chmod "$a" "$root$path" ;;
		owner) chown "$a" "$root$path" ;;
		atomic)
			ts=..2026_01_01_00_00_00.123456789
			mkdir -p "$root$path/$ts"
			for k in $a $b $rest; do
				fixture_marker >"$root$path/$ts/$k"
				ln -sfn "..data/$k" "$root$path/$k"
			done
			ln -sfn "$ts" "$root$path/..data"
			;;
		*) echo "catalog_tree: $type: unknown line '$op'" >&2; return 1 ;;
		esac
	done <"$CATALOG_TREES/$type.tree"
}

catalog_tree_creds() {
	awk '$1 == "cred" { print $2, $3, $4 }' "$CATALOG_TREES/$1.tree"
}
