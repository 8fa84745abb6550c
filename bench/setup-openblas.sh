#!/bin/sh
# Unpacks Debian's OpenBLAS (OpenMP build) into bench/.cache/openblas for the PyTorch peer only:
# Debian's torch takes whatever libblas.so.3 the system picks, which may be the ~100× slower
# reference BLAS. Nothing is installed system-wide; run.mjs sets LD_LIBRARY_PATH for that child.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/.cache/openblas"
[ -e "$dest/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download libopenblas0-openmp)
mkdir -p "$dest"
dpkg -x "$tmp"/libopenblas0-openmp_*.deb "$dest"
echo "OpenBLAS unpacked into $dest"
