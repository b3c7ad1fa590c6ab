#!/bin/sh
# Install what xrfb needs (Debian 12), build it, and serve a fresh virtual
# desktop on the loopback address. Extra arguments go to xrfb, e.g.
#   scripts/quickstart.sh --create=1280x800x24 --port 5901
set -eu
cd "$(dirname "$0")/.."
. scripts/packages.sh
# shellcheck disable=SC2086
xrfb_install $XRFB_BUILD_PACKAGES
xrfb_build
if [ $# -eq 0 ]; then
	set -- --create
fi
echo "starting: ./xrfb $*" >&2
echo "connect with a VNC viewer to the address printed below; Ctrl-C stops" >&2
exec ./xrfb "$@"
