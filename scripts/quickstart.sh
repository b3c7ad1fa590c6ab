#!/bin/sh
# Install what xrfb needs (Debian 12), build it, and serve a fresh virtual
# desktop on the loopback address. Extra arguments go to xrfb, e.g.
#   scripts/quickstart.sh --create=1280x800x24 --port 5901
#
# The build is out of tree, in build/ (XRFB_BUILD_DIR to change it), so
# the source tree stays as it was and scripts/test.sh, which builds in a
# directory of its own, is never handed a configuration made without the
# test packages. A tree configured in place by hand is built in place.
# XRFB_CONFIGURE_ONLY=1 stops after configuring and prints the build
# directory (tests/integration/scripts.sh uses it).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/packages.sh
# shellcheck disable=SC2086
xrfb_install $XRFB_BUILD_PACKAGES
build=$(xrfb_build_dir "${XRFB_BUILD_DIR:-$top/build}" "$top")
xrfb_configure "$build" "$top"
if [ -n "${XRFB_CONFIGURE_ONLY:-}" ]; then
	echo "build directory: $build"
	exit 0
fi
make -C "$build" -j"$(nproc)" xrfb >&2
if [ $# -eq 0 ]; then
	set -- --create
fi
echo "starting: $build/xrfb $*" >&2
echo "connect with a VNC viewer to the address printed below; Ctrl-C stops" >&2
exec "$build/xrfb" "$@"
