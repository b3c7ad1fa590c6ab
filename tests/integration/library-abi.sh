#!/bin/bash
# The installed library's interface: libxrfb.so exports exactly the
# functions include/xrfb.h declares (no internals), its soname follows
# -version-info in Makefile.am as doc/libxrfb.md says, and xrfb.pc is
# complete: examples/draw.c builds from the flags it gives, and its
# private requirements name every library libxrfb.so links (what a
# static link needs).
T_LIBRARY_ONLY=1
. "$(dirname "$0")/../lib.sh"

B=$XRFB_TOP_BUILDDIR
S=$XRFB_TOP_SRCDIR
SO=$B/.libs/libxrfb.so
t_require nm readelf pkg-config cc "$SO"

t_step "exported symbols = functions declared in xrfb.h"
nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort \
	>"$T_DIR/exported"
# declarations: a name followed by "(" (function pointer typedefs are
# "(*xrfb_..._fn)(" and do not match)
grep -o -E '\bxrfb_[a-z0-9_]+\(' "$S/include/xrfb.h" | tr -d '(' |
	sort -u >"$T_DIR/declared"
[ -s "$T_DIR/declared" ] || t_fail "no declarations found in xrfb.h"
if ! diff -u "$T_DIR/declared" "$T_DIR/exported" >"$T_DIR/symbols.diff"; then
	cat "$T_DIR/symbols.diff"
	t_fail "exported symbols differ from xrfb.h (- declared, + exported)"
fi
t_log "$(wc -l <"$T_DIR/exported") functions exported"

t_step "soname from -version-info"
vi=$(sed -n "s/.*libxrfb_la_LDFLAGS.*-version-info \([0-9:]*\).*/\1/p" \
	"$S/Makefile.am")
IFS=: read -r current revision age <<<"$vi"
want=libxrfb.so.$((current - age))
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$want" ] || t_fail "soname $soname, expected $want ($vi)"
grep -q -F "$want" "$S/doc/libxrfb.md" ||
	t_fail "doc/libxrfb.md does not name the soname $want"

t_step "an embedder builds from xrfb.pc alone"
pc() {
	PKG_CONFIG_PATH=$B pkg-config --define-variable=includedir="$S/include" \
		--define-variable=libdir="$B/.libs" "$@" xrfb
}
t_run "pkg-config xrfb" pc --exists --print-errors
t_run "shared link" cc -o "$T_DIR/draw-shared" "$S/examples/draw.c" \
	$(pc --cflags) $(pc --libs)
# A static link needs every library libxrfb.so itself needs (its NEEDED
# entries, but for the C library's) from the private requirements.
statlibs=" $(pc --static --libs) "
for lib in $(readelf -d "$SO" | sed -n 's/.*(NEEDED).*\[lib\(.*\)\.so.*\]/\1/p'); do
	case $lib in c | m | pthread | dl | rt | ld-linux*) continue ;; esac
	[[ $statlibs == *" -l$lib "* ]] ||
		t_fail "libxrfb.so needs lib$lib but xrfb.pc does not list it"
done
t_pass
