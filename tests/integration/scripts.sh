#!/bin/bash
# README's two commands in either order: scripts/quickstart.sh configures
# before the test packages are installed, scripts/test.sh must then still
# build the suite's tools. Played in a copy of the source tree with the
# test packages' pkg-config files hidden (PKG_CONFIG_LIBDIR), as on a
# fresh machine where only the build packages are installed yet:
#   1. the quick start, then the test command: the quick start builds
#      out of tree in build/, the test command in build-check/ with a
#      configuration of its own that has the tools;
#   2. a tree configured in place by hand, then the test command: that
#      configuration is made again, and the tools build;
#   3. the test command again: nothing is configured again;
#   4. the quick start after the test command: it leaves build-check/ alone.
. "$(dirname "$0")/../lib.sh"

t_require pkg-config make cc tar

SRC=$XRFB_TOP_SRCDIR
COPY=$T_DIR/src
HIDDEN="libvncclient.pc libvncserver.pc check.pc"

t_step "copy the source tree"
mkdir -p "$COPY"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	# the files a clone has, and what autoreconf made of them
	{
		git -C "$SRC" ls-files -co --exclude-standard -z
		for f in configure Makefile.in aclocal.m4 config.h.in \
			build-aux m4; do
			[ -e "$SRC/$f" ] && printf '%s\0' "$f"
		done
	} | tar -C "$SRC" --null -T - -cf - | tar -C "$COPY" -xf - ||
		t_fail "cannot copy $SRC"
else
	# a release tarball: the tree minus what building it produced
	tar -C "$SRC" --exclude='./build*' --exclude=.git \
		--exclude=node_modules --exclude=.deps --exclude=.libs \
		--exclude='*.o' --exclude='*.lo' --exclude=./config.status \
		--exclude=./config.log --exclude=./Makefile --exclude=./config.h \
		--exclude=./libtool --exclude=./stamp-h1 -cf - . |
		tar -C "$COPY" -xf - || t_fail "cannot copy $SRC"
fi
[ -f "$COPY/scripts/test.sh" ] || t_fail "the copy has no scripts/test.sh"

t_step "a pkg-config path without the test packages"
PCDIR=$T_DIR/pkgconfig
mkdir -p "$PCDIR"
n=0
IFS=: read -r -a pcpath <<<"$(pkg-config --variable pc_path pkg-config)"
for d in "${pcpath[@]}"; do
	for pc in "$d"/*.pc; do
		[ -e "$pc" ] || continue
		base=$(basename "$pc")
		[[ " $HIDDEN " == *" $base "* ]] && continue
		[ -e "$PCDIR/$base" ] || { ln -s "$pc" "$PCDIR/$base"; n=$((n + 1)); }
	done
done
t_log "$n pkg-config files visible, hidden: $HIDDEN"
for m in libvncclient check; do
	PKG_CONFIG_LIBDIR=$PCDIR pkg-config --exists "$m" &&
		t_fail "$m is still visible to pkg-config"
	pkg-config --exists "$m" || t_fail "$m is not installed here"
done

# Run one of the scripts in the copy up to its configure step; its
# "build directory:" line goes into BUILD. With "hidden", the test
# packages look uninstalled.
#   configure_with NAME hidden|visible SCRIPT [VAR=value]...
configure_with() {
	local name=$1 pc=$2 script=$3 out
	shift 3
	local -a env=(XRFB_CONFIGURE_ONLY=1 "$@")
	[ "$pc" = hidden ] && env+=(PKG_CONFIG_LIBDIR="$PCDIR")
	out=$(env "${env[@]}" sh "$COPY/scripts/$script" \
		2>"$T_DIR/$name.err") ||
		t_fail "$script ($name) failed: $(tail -n 20 "$T_DIR/$name.err")"
	BUILD=$(sed -n 's/^build directory: //p' <<<"$out")
	[ -n "$BUILD" ] || t_fail "$script ($name) named no build directory: $out"
	t_log "$script ($name, test packages $pc): builds in $BUILD"
}

# Succeeds if build directory @1 was configured with the test tools.
has_tools() {
	grep -qF 'S["HAVE_VNCCLIENT_TRUE"]=""' "$1/config.status" &&
		grep -qF 'S["HAVE_CHECK_TRUE"]=""' "$1/config.status"
}

# The suite's libvncclient tool builds in @1.
builds_tools() {
	make -C "$1" -j2 tests/tools/vnc-grab >"$T_DIR/make.log" 2>&1 ||
		t_fail "tests/tools/vnc-grab does not build in $1: $(tail -n 20 "$T_DIR/make.log")"
	[ -x "$1/tests/tools/vnc-grab" ] || t_fail "no vnc-grab in $1"
}

t_step "the quick start before the test packages, then the test command"
configure_with quickstart hidden quickstart.sh
[ "$BUILD" = "$COPY/build" ] || t_fail "the quick start builds in $BUILD"
[ ! -e "$COPY/config.status" ] || t_fail "the quick start configured the tree in place"
has_tools "$BUILD" && t_fail "the test packages were not hidden from configure"
configure_with test visible test.sh
[ "$BUILD" = "$COPY/build-check" ] || t_fail "the test command builds in $BUILD"
has_tools "$BUILD" || t_fail "the test command's configuration lacks the test tools"
builds_tools "$BUILD"

t_step "configured in place by hand before the test packages"
rm -rf "$COPY/build" "$COPY/build-check"
(cd "$COPY" && PKG_CONFIG_LIBDIR=$PCDIR ./configure -q) \
	>"$T_DIR/inplace.log" 2>&1 || t_fail "configure in place failed"
has_tools "$COPY" && t_fail "the test packages were not hidden from configure"
configure_with test-inplace visible test.sh
[ "$BUILD" = "$COPY" ] || t_fail "the test command builds in $BUILD, not in place"
grep -q 'configuring .* again: it was configured without' \
	"$T_DIR/test-inplace.err" || t_fail "the test command did not say it configures again"
has_tools "$COPY" || t_fail "the configuration in place still lacks the test tools"
builds_tools "$COPY"

t_step "the test command again configures nothing"
touch -d '-1 minute' "$COPY/config.status"
before=$(stat -c %Y "$COPY/config.status")
configure_with test-again visible test.sh
[ "$(stat -c %Y "$COPY/config.status")" = "$before" ] ||
	t_fail "the test command configured a complete configuration again"

t_step "the quick start after the test command"
(cd "$COPY" && make distclean) >"$T_DIR/distclean.log" 2>&1 ||
	t_fail "make distclean in the copy failed"
configure_with test-first visible test.sh
[ "$BUILD" = "$COPY/build-check" ] || t_fail "the test command builds in $BUILD"
configure_with quickstart-after hidden quickstart.sh
[ "$BUILD" = "$COPY/build" ] || t_fail "the quick start builds in $BUILD"
has_tools "$COPY/build-check" ||
	t_fail "the quick start spoiled the test command's configuration"

t_pass
