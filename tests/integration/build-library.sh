#!/bin/bash
# The release tarball is complete, and the library builds and passes its
# tests without X11:
#   1. `make dist` from a fresh configuration of this source tree;
#   2. from the unpacked tarball, `configure --disable-x11` with the X11
#      development packages hidden from pkg-config, `make` and `make check`
#      (the library, its examples, the unit, encoder and fuzz-replay tests;
#      the tests of the xrfb program skip);
#   3. the tarball holds every file of the repository's source folders.
# two configurations and a build of the library: give it more than the
# usual limit of a test on a loaded machine
T_LIMIT=${T_LIMIT:-900}
if [ -n "${XRFB_BUILD_LIBRARY_NESTED:-}" ]; then
	echo "SKIP: build-library: already inside a build it made"
	exit 77
fi
T_LIBRARY_ONLY=1
. "$(dirname "$0")/../lib.sh"

t_require make tar pkg-config
jobs=$(nproc 2>/dev/null || echo 2)
# the builds below are independent of the make that runs this test: none of
# its variables (TESTS=... on its command line, say) may reach them
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

t_step "make dist"
mkdir -p "$T_DIR/dist"
(cd "$T_DIR/dist" && "$XRFB_TOP_SRCDIR/configure" -q) \
	>"$T_DIR/dist-configure.log" 2>&1 ||
	t_fail "configure for make dist failed"
make -C "$T_DIR/dist" dist >"$T_DIR/dist.log" 2>&1 ||
	t_fail "make dist failed"
tarball=$(ls "$T_DIR"/dist/xrfb-*.tar.gz) || t_fail "no tarball"
tar -xzf "$tarball" -C "$T_DIR" || t_fail "cannot unpack $tarball"
src=$(ls -d "$T_DIR"/xrfb-*/) || t_fail "the tarball holds no xrfb-* folder"

t_step "a pkg-config view without the X11 development packages"
view=$T_DIR/pkgconfig
mkdir -p "$view"
for dir in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
	[ -d "$dir" ] || continue
	for pc in "$dir"/*.pc; do
		[ -e "$pc" ] || continue
		case $(basename "$pc" .pc) in
		x11 | x11-* | xext | xdamage | xfixes | xtst | xrandr | xrender | \
			xi | xau | xdmcp | xcb | xcb-* | xproto | xextproto | \
			damageproto | fixesproto | randrproto | recordproto | \
			renderproto | inputproto | kbproto)
			continue ;;
		esac
		[ -e "$view/$(basename "$pc")" ] || ln -s "$pc" "$view/"
	done
done
if PKG_CONFIG_LIBDIR=$view pkg-config --exists x11; then
	t_fail "x11 is still visible to pkg-config"
fi

t_step "--disable-x11: configure, make, make check"
mkdir -p "$T_DIR/lib"
(cd "$T_DIR/lib" && PKG_CONFIG_LIBDIR=$view "$src/configure" -q \
	--disable-x11) >"$T_DIR/lib-configure.log" 2>&1 ||
	t_fail "configure --disable-x11 failed without X11 in view"
make -C "$T_DIR/lib" -j"$jobs" >"$T_DIR/lib-make.log" 2>&1 ||
	t_fail "make failed in the --disable-x11 build"
[ -e "$T_DIR/lib/.libs/libxrfb.so" ] || t_fail "libxrfb.so was not built"
[ ! -e "$T_DIR/lib/xrfb" ] || t_fail "the xrfb program was built"
# Every test of that build but the three encoder and move-detection
# stress runs: they take most of its time, read no X, and the main build
# runs them on the same sources.
heavy="tests/unit/test-fb-scroll tests/enc/test-enc-roundtrip tests/enc/test-enc-tight"
tests=$(printf 'print-tests:\n\t@echo $(TESTS)\n' |
	make -s -C "$T_DIR/lib" -f Makefile -f - print-tests) ||
	t_fail "cannot list the tests of the --disable-x11 build"
tests=" $tests "
for t in $heavy; do
	[[ $tests == *" $t "* ]] || t_fail "$t is not a test of that build"
	tests=${tests/ $t / }
done
t_log "left out of this check (run in the main build): $heavy"
# On failure, name the tests that failed and show their own logs (the
# configure and build logs, which t_fail shows, tell nothing here).
nested_failed() {
	local t failed
	failed=$(sed -n 's/^\(FAIL\|ERROR\): \([^ ]*\)$/\2/p' \
		"$T_DIR/lib-check.log" |
		sort -u | tr '\n' ' ')
	echo "FAIL: $T_NAME: make check failed in the --disable-x11 build:" \
		"${failed:-no test failed, see below}"
	[ -n "$failed" ] || tail -n 40 "$T_DIR/lib-check.log"
	for t in $failed; do
		echo "----- --disable-x11 build: ${t%.sh}.log (last 80 lines) -----"
		tail -n 80 "$T_DIR/lib/${t%.sh}.log"
	done
	exit 1
}
XRFB_BUILD_LIBRARY_NESTED=1 make -C "$T_DIR/lib" -j"$jobs" check \
	TESTS="$tests" >"$T_DIR/lib-check.log" 2>&1 || nested_failed
pass=$(sed -n 's/^# PASS: *//p' "$T_DIR/lib/test-suite.log")
fail=$(sed -n 's/^# FAIL: *//p' "$T_DIR/lib/test-suite.log")
t_log "--disable-x11: $pass passed, $fail failed"
[ "${pass:-0}" -gt 0 ] || t_fail "no test passed in the --disable-x11 build"
# the library's own suites must have run, not skipped
for t in tests/unit/test-client tests/unit/test-server \
	tests/enc/test-enc-golden tests/fuzz/replay-client; do
	grep -q "^PASS: $t\$" "$T_DIR/lib/test-suite.log" ||
		grep -q "^PASS: $t\$" "$T_DIR/lib-check.log" ||
		t_fail "$t did not pass in the --disable-x11 build"
done

t_step "the tarball holds every file the repository tracks"
if git -C "$XRFB_TOP_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	missing=$(cd "$XRFB_TOP_SRCDIR" && git ls-files -- configure.ac \
		Makefile.am '*.am' src encoders include xsession tests bench \
		examples doc man scripts README.md xrfb.pc.in |
		while read -r f; do [ -e "$src/$f" ] || echo "$f"; done)
	[ -z "$missing" ] || t_fail "missing from the tarball: $missing"
else
	t_log "not a git checkout: the file list is not compared"
fi
t_pass
