#!/usr/bin/env bash
# Fetches the chart library the HTML report embeds (reporters/html.go, with
# go:embed) from the npm registry, checks it against the registry's
# integrity hash, and keeps only what the report needs: the minified
# browser build, its stylesheet and its licence. Re-running it with the
# same VERSION gives the same files; to upgrade, change VERSION, run it,
# update README.md beside it and run the reporters' tests (the browser
# test renders the charts).
#
#   bash reporters/assets/fetch.sh
#
# Needs npm (and so node) and tar.
set -euo pipefail

PKG=uplot
VERSION=1.6.32
# The registry's dist.integrity for that version ('npm view uplot@1.6.32
# dist.integrity'); pinned here so that a changed tarball is refused.
INTEGRITY='sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=='

cd "$(dirname "$0")"
here=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

registry=$(npm view "$PKG@$VERSION" dist.integrity)
if [ "$registry" != "$INTEGRITY" ]; then
  echo "fetch.sh: the registry's integrity for $PKG@$VERSION is $registry, not the pinned $INTEGRITY" >&2
  exit 1
fi

(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz="$tmp/$PKG-$VERSION.tgz"
got=$(node -e 'const c = require("crypto"), fs = require("fs");
  process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$tgz")
if [ "$got" != "$INTEGRITY" ]; then
  echo "fetch.sh: $tgz has integrity $got, want $INTEGRITY" >&2
  exit 1
fi

tar -xzf "$tgz" -C "$tmp"
cp "$tmp/package/dist/uPlot.iife.min.js" "$here/uPlot.iife.min.js"
cp "$tmp/package/dist/uPlot.min.css" "$here/uPlot.min.css"
cp "$tmp/package/LICENSE" "$here/uPlot.LICENSE"
echo "fetched $PKG@$VERSION ($INTEGRITY) into $here"
