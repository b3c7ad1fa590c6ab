#!/bin/bash
# gtk-vnc shows xrfb --display in a window on a second, larger Xvfb; a
# screenshot of that display must hold the served picture.
#
# 1. gvncviewer, gtk-vnc's viewer as Debian ships it. It has no option to
#    choose an encoding and always allows lossy ones: gtk-vnc lists
#    QualityLevel 5 and Tight first (then ZRLE, Hextile, RRE, CopyRect,
#    Raw), so xrfb sends Tight with JPEG. The test reports what xrfb chose
#    (its debug log) and compares the window's picture area (below the
#    menu bar: the lower WxH part of the window) by PSNR.
# 2. tests/tools/gvnc-view.py: the same gtk-vnc widget alone in a window,
#    lossless, with each encoding gtk-vnc decodes (Tight, ZRLE, Hextile,
#    RRE, CopyRect beside Raw, Raw). The served picture must appear in the
#    screenshot pixel for pixel (found wherever it is), first whole, then
#    after a scroll, a rectangle and corner pixels; xrfb must have chosen
#    the encoding, and gtk-vnc's debug log must show rectangles of it.
. "$(dirname "$0")/../lib.sh"

IMGFIND=$T_TOOLS/imgfind
GVNC_VIEW=$XRFB_TOP_SRCDIR/tests/tools/gvnc-view.py
GVNC_PYTHON=${GVNC_PYTHON:-/usr/bin/python3}
t_require gvncviewer xwd xwininfo "$GVNC_PYTHON" "$XPAINT" "$IMGFIND" \
	"$IMGCMP"
"$GVNC_PYTHON" -c 'import gi; gi.require_version("GtkVnc", "2.0")' \
	2>/dev/null || t_skip "gtk-vnc's introspection data is not installed"

# gtk-vnc's QualityLevel 5 is JPEG with 4:2:0 chroma subsampling, which
# the pattern's band of per-pixel colour noise does not survive: the
# whole picture comes to about 19 dB. Red and blue swapped gives 9.6 dB
# on the same pattern, the picture one pixel or one row off 10.6 and
# 13.3 dB.
LOSSY_PSNR=${LOSSY_PSNR:-17}
# gtk-vnc's encoding numbers, for its "FramebufferUpdate type=N" lines
declare -A NUM=([raw]=0 [copyrect]=1 [rre]=2 [hextile]=5 [tight]=7 [zrle]=16)

W=643
H=481
t_start_xvfb DPY ${W}x${H}x24
t_paint "$DPY" 81
t_start_xrfb --display "$DPY" --log-level debug
t_start_xvfb VDPY 1024x768x24

refn=0
new_ref() {
	refn=$((refn + 1))
	REF=$T_DIR/ref$refn.xwd
	t_xwd_stable "$DPY" "$REF"
}

# The encoding xrfb chose for the newest SetEncodings.
server_choice() {
	grep -o 'SetEncodings, [0-9]* entries, using .*' "$XRFB_ERR" |
		tail -n 1 | sed 's/.*using //'
}

# Wait until the reference appears, exactly, somewhere in the viewer's
# display.
#   wait_found WHAT VIEWER_PID
wait_found() {
	local what=$1 pid=$2 shot=$T_DIR/viewer.xwd out i
	for ((i = 0; i < T_TIMEOUT * 4; i++)); do
		t_alive "$pid" || t_fail "$what: the viewer exited"
		xwd -display "$VDPY" -root -silent >"$shot" 2>/dev/null &&
			out=$("$IMGFIND" "$REF" "$shot") && {
			t_log "$what: $out"
			return 0
		}
		sleep 0.25
	done
	# explain with the place the picture should be: top left
	out="$out; $("$IMGFIND" --at 0,0 "$REF" "$shot")"
	t_fail "$what: $out (screenshot kept in $shot)"
}

# ---- 1. gvncviewer ---------------------------------------------------------

t_step "gvncviewer (lossy: Tight with JPEG)"
new_ref
# gvncviewer takes HOST:DISPLAY and connects to port 5900 + DISPLAY
[ "$XRFB_PORT" -gt 5900 ] || t_fail "port $XRFB_PORT is below 5900"
t_spawn gvncviewer gvncviewer --display "$VDPY" \
	"127.0.0.1:$((XRFB_PORT - 5900))"
viewer=$T_LAST_PID
shot=$T_DIR/gvncviewer.xwd
crop=$T_DIR/gvncviewer-area.ppm
for ((i = 0; i < T_TIMEOUT * 4; i++)); do
	t_alive "$viewer" || t_fail "gvncviewer exited"
	# the top-level window (a child of the root, named after the
	# desktop); the picture fills its lower W x H part
	at=$(xwininfo -display "$VDPY" -root -tree 2>/dev/null | awk -v H="$H" '
		/GVncViewer/ &&
		match($0, /[0-9]+x[0-9]+\+-?[0-9]+\+-?[0-9]+/) {
			split(substr($0, RSTART, RLENGTH), g, /[x+]/)
			print g[3] "," g[4] + g[2] - H
			exit
		}')
	rm -f "$crop"
	if [ -n "$at" ] &&
		xwd -display "$VDPY" -root -silent >"$shot" 2>/dev/null; then
		# exits 1 (not equal: JPEG) but writes the area
		"$IMGFIND" --at "$at" --crop "$crop" "$REF" "$shot" \
			>/dev/null 2>&1
		[ -s "$crop" ] && "$IMGCMP" --quiet --min-psnr "$LOSSY_PSNR" \
			"$crop" "$REF" >/dev/null 2>&1 && break
	fi
	sleep 0.25
done
[ -s "$crop" ] || t_fail "gvncviewer: no window found (screenshot in $shot)"
out=$("$IMGCMP" --min-psnr "$LOSSY_PSNR" "$crop" "$REF" 2>&1) ||
	t_fail "gvncviewer: picture at ${at:-?}: $out (screenshot kept in $shot)"
used=$(server_choice)
t_log "gvncviewer: xrfb uses '$used'; picture at $at: $out"
[[ $used == tight* ]] ||
	t_fail "gvncviewer lists Tight first, but xrfb chose '$used'"
t_stop "$viewer" || true

# ---- 2. gtk-vnc's widget, lossless, each encoding ----------------------------

FAILED=()
for enc in tight zrle hextile rre "copyrect raw" raw; do
	name=${enc// /+}
	t_step "gtk-vnc widget: $name"
	t_paint "$DPY" $((90 + refn))
	new_ref
	log=gvnc-view-$name
	DISPLAY=$VDPY t_spawn "$log" "$GVNC_PYTHON" \
		"$GVNC_VIEW" --debug --encodings "$enc" 127.0.0.1 "$XRFB_PORT"
	viewer=$T_LAST_PID
	wait_found "$name: first picture" "$viewer"
	# with CopyRect listed, scroll (a bounded number of times) until a
	# move arrives as CopyRect: xrfb does not find every move
	for ((i = 1; i <= 12; i++)); do
		t_run "scroll" "$XPAINT" -display "$DPY" scroll 0 29
		new_ref
		wait_found "$name: after scroll $i" "$viewer"
		[[ $enc == *copyrect* ]] || break
		grep -q "FramebufferUpdate type=1 " "$T_DIR/$log.log" && break
	done
	t_run "rect" "$XPAINT" -display "$DPY" rect 100 50 201 99 12ab34
	t_run "pixel" "$XPAINT" -display "$DPY" rect 0 0 1 1 ffffff
	t_run "pixel" "$XPAINT" -display "$DPY" \
		rect $((W - 1)) $((H - 1)) 1 1 ff00ff
	new_ref
	wait_found "$name: after rectangles" "$viewer"

	used=$(server_choice)
	want=${enc%% *}
	[ "$want" = copyrect ] && want="${enc#* } + copyrect"
	[ "$used" = "$want" ] ||
		FAILED+=("$name: xrfb chose '$used', not '$want'")
	for e in $enc; do
		n=$(grep -c "FramebufferUpdate type=${NUM[$e]} " \
			"$T_DIR/$log.log") || true
		t_log "$name: gtk-vnc decoded $n $e rectangles"
		[ "$n" -gt 0 ] || FAILED+=("$name: no $e rectangle decoded")
	done
	t_stop "$viewer" || true
	t_xrfb_alive
done

if [ ${#FAILED[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${FAILED[@]}"
	t_fail "${#FAILED[@]} gtk-vnc check(s) failed"
fi
t_pass
