# Debian packages xrfb needs, sourced by quickstart.sh and test.sh.
# XRFB_BUILD_PACKAGES: to build and run xrfb with a virtual desktop.
# XRFB_TEST_PACKAGES: in addition, to run the test suite.

XRFB_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
	libx11-dev libxext-dev libxdamage-dev libxfixes-dev libxtst-dev
	libxrandr-dev zlib1g-dev libturbojpeg0-dev libpng-dev libisal-dev
	libpixman-1-dev nettle-dev libgnutls28-dev libsystemd-dev xvfb xauth
	x11-xserver-utils twm xterm"

XRFB_TEST_PACKAGES="check libvncserver-dev x11-apps x11-utils vncsnapshot
	tigervnc-viewer tigervnc-tools xdotool xclip xsel clang netpbm
	x11-xkb-utils ssvnc systemd
	novnc chromium gvncviewer gir1.2-gtk-vnc-2.0 python3-gi
	nodejs $(command -v npm >/dev/null 2>&1 || echo npm)"

# Install the packages named in "$@" that are not installed yet.
xrfb_install() {
	missing=""
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		SUDO=sudo
	else
		SUDO=
	fi
	echo "installing:$missing" >&2
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
}

# Configure (once) and build in the source tree.
xrfb_build() {
	[ -x configure ] || autoreconf -fi >&2
	[ -f Makefile ] || ./configure -q >&2
	make -j"$(nproc)" >&2
}
