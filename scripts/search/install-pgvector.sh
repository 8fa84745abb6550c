#!/usr/bin/env bash
# Installs what the PostgreSQL catalog-store tests need: Debian's PostgreSQL server and pgvector.
#
# pgvector is not packaged for Debian 12 (bookworm), and this machine reaches no registry but
# Debian's and npm's, so it is built from Debian's own source package of a newer release
# (trixie's `pgvector`): a private apt configuration that lists only that deb-src entry fetches
# the source without touching the system's sources or installing any trixie binary, then pgvector's
# Makefile builds it against this PostgreSQL's PGXS (postgresql-server-dev-$PG_MAJOR) and installs
# vector.so and its SQL files. Idempotent: it does nothing when the extension is already installed.
# Needs root (apt-get, make install).
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_CONFIG="$PG_BIN/pg_config"
SOURCE_SUITE="${PGVECTOR_SOURCE_SUITE:-trixie}"

log() { echo "install-pgvector: $*"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pkgs=()
[ -x "$PG_BIN/postgres" ] || pkgs+=("postgresql-$PG_MAJOR")
# pgxs.mk ships with the client package; the server headers tell whether the -dev package is here.
[ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ] || pkgs+=("postgresql-server-dev-$PG_MAJOR")
command -v make >/dev/null || pkgs+=(make)
command -v gcc >/dev/null || pkgs+=(gcc)
command -v dpkg-source >/dev/null || pkgs+=(dpkg-dev)
if [ "${#pkgs[@]}" -gt 0 ]; then
  log "apt-get install ${pkgs[*]}"
  apt_install "${pkgs[@]}"
fi

ext_dir="$("$PG_CONFIG" --sharedir)/extension"
if [ -f "$ext_dir/vector.control" ] && [ -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ]; then
  log "pgvector already installed ($(grep default_version "$ext_dir/vector.control"))"
  exit 0
fi

work="$(mktemp -d /tmp/esci-pgvector.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial"
cat >"$work/src.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $SOURCE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(
  -o "Dir::Etc::SourceList=$work/src.sources"
  -o "Dir::Etc::SourceParts=$work/none"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache::Archives=$work/archives"
  -o "APT::Sandbox::User=root"
)
log "fetching Debian source package pgvector ($SOURCE_SUITE)"
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq pgvector)
dsc="$(ls "$work"/pgvector_*.dsc | head -n1)"
dpkg-source --no-check -x "$dsc" "$work/src" >/dev/null
log "building $(basename "$dsc" .dsc) against PostgreSQL $PG_MAJOR"
# OPTFLAGS="": no -march=native, so the library also runs on another CPU of this architecture.
make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" -j"$(nproc)" >/dev/null
make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install >/dev/null
log "installed $(grep default_version "$ext_dir/vector.control")"
