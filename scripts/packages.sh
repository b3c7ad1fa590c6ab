# Debian packages xrfb needs, sourced by quickstart.sh and test.sh.
# XRFB_BUILD_PACKAGES: to build and run xrfb with a virtual desktop (the
# default one is openbox, its fonts, xsetroot for the background, xterm).
# XRFB_TEST_PACKAGES: in addition, to run the test suite.
# XRFB_BENCH_PACKAGES: the servers bench/ measures xrfb against.

XRFB_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config
	libx11-dev libxext-dev libxdamage-dev libxfixes-dev libxtst-dev
	libxrandr-dev zlib1g-dev libturbojpeg0-dev libpng-dev libisal-dev
	libpixman-1-dev libvpx-dev libopenh264-dev nettle-dev libgnutls28-dev libpam0g-dev libsystemd-dev xvfb xauth
	x11-xserver-utils openbox fonts-dejavu-core xterm"

XRFB_TEST_PACKAGES="check libpam-wrapper ffmpeg libavcodec-dev libvncserver-dev x11-apps x11-utils vncsnapshot
	tigervnc-viewer tigervnc-tools xdotool xclip xsel clang netpbm
	x11-xkb-utils ssvnc systemd twm adwaita-icon-theme procps
	novnc chromium gvncviewer gir1.2-gtk-vnc-2.0 python3-gi
	python3-pycryptodome openssl curl nodejs $(command -v npm >/dev/null 2>&1 || echo npm)"

XRFB_BENCH_PACKAGES="x11vnc tigervnc-scraping-server"

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

# What the test suite needs from configure: the conditionals of
# configure.ac that tests/Makemodule.am builds its tests and tools under.
XRFB_TEST_FEATURES="CHECK VNCCLIENT JPEG PNG OPENH264 AVCODEC"

# The directory to build in: @1, out of tree, unless the source tree @2
# was configured in place by hand (automake cannot build out of tree next
# to that), then the source tree itself.
xrfb_build_dir() {
	if [ -f "$2/config.status" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# Print those of the features named after @1 (conditionals of
# configure.ac, e.g. VNCCLIENT) that the configuration in build directory
# @1 does not have; nothing if it has them all.
xrfb_config_lacks() {
	dir=$1
	shift
	lacks=
	for f in "$@"; do
		# config.status holds every substitution; an enabled
		# conditional's _TRUE prefix is empty
		grep -qF "S[\"HAVE_${f}_TRUE\"]=\"\"" "$dir/config.status" \
			2>/dev/null || lacks="$lacks $f"
	done
	echo $lacks
}

# Configure build directory @1 for source tree @2 (extra configure
# arguments in XRFB_CONFIGURE), unless it is configured already with
# every feature named after @2. A configuration made before the packages
# of a feature were installed is made again, with its own arguments but
# pkg-config's search path as it is now (configure records the one it
# ran with).
xrfb_configure() {
	dir=$1
	src=$2
	shift 2
	if [ ! -x "$src/configure" ]; then
		(cd "$src" && autoreconf -fi) >&2 || return 1
	fi
	mkdir -p "$dir" || return 1
	if [ -f "$dir/Makefile" ] && [ -x "$dir/config.status" ]; then
		lacks=$(xrfb_config_lacks "$dir" "$@")
		[ -z "$lacks" ] && return 0
		echo "configuring $dir again: it was configured without $lacks" >&2
		args=$(cd "$dir" && ./config.status --config) || return 1
		eval "set -- $args"
		n=$#
		while [ "$n" -gt 0 ]; do
			a=$1
			shift
			n=$((n - 1))
			case $a in
			PKG_CONFIG_PATH=* | PKG_CONFIG_LIBDIR=*) ;;
			*) set -- "$@" "$a" ;;
			esac
		done
		(cd "$dir" && "$src/configure" "$@") >&2 || return 1
	else
		# shellcheck disable=SC2086
		(cd "$dir" && "$src/configure" -q ${XRFB_CONFIGURE:-}) >&2 ||
			return 1
	fi
}
