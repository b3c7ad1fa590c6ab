#!/bin/bash
# The clipboard, both ways, byte for byte:
#   - text an X application copies (UTF-8 with umlauts, CJK and an emoji,
#     several lines) reaches TigerVNC's vncviewer (Extended Clipboard: the
#     viewer's own X clipboard then holds it) and our extended client
#     exactly, and a classic client as Latin-1 with '?' where Latin-1 has
#     no character;
#   - text set on the viewer's display reaches the X CLIPBOARD and PRIMARY
#     and the other viewers; text from a classic client (Latin-1) arrives
#     in X as UTF-8; what a viewer sets is never echoed back to it;
#   - texts over a megabyte go both ways (by INCR on the X side) where
#     --viewer-clipboard-max lets them;
#   - PRIMARY is followed too;
#   - with --clipboard clipboard PRIMARY is not, and --clipboard-max
#     stops larger texts in both directions.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"

t_require xclip xwd vncviewer "$RFB_EXT" "$XPAINT"

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 2
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY" --log-level debug --viewer-clipboard-max 4M
t_start_xvfb VDPY 640x480x24
# full screen: the viewer has the keyboard focus, which it wants before
# it takes the server's clipboard
d_vncviewer viewer "$VDPY" "$XRFB_ADDR" -FullScreen -RemoteResize=0 \
	-AutoSelect=0 -NoJPEG
# a clipboard change is announced to the viewers connected at the time
t_wait_display_match "vncviewer shows the desktop" "$VDPY" "$T_DIR/ref.xwd" \
	--bits 8,8,8
d_ext_start E
d_ext_start C --encodings raw
t_cmd_ok E sync
t_cmd_ok C sync

sel_is() {
	d_selection_is "$@"
}

printf 'Grüße, 日本語, emoji 😀\nzweite Zeile\n' >"$T_DIR/u8.txt"
printf 'Grüße, ???, emoji ?\nzweite Zeile\n' >"$T_DIR/u8-latin1.txt"

t_step "UTF-8 copied in X reaches the viewers"
d_set_selection "$DPY" clipboard "$T_DIR/u8.txt"
t_cmd_ok E wait-clip "$T_DIR/u8.txt"
t_cmd_ok C wait-cut "$T_DIR/u8-latin1.txt"
t_wait_for "$T_TIMEOUT" "vncviewer's clipboard to hold the text" \
	sel_is "$VDPY" clipboard "$T_DIR/u8.txt"

t_step "text set on the viewer's display reaches X and the other viewers"
printf 'Vom Viewer: Ärger über Öl, 中文 ✓\nmit zwei Zeilen\n' >"$T_DIR/v.txt"
d_set_selection "$VDPY" clipboard "$T_DIR/v.txt"
t_wait_for "$T_TIMEOUT" "the X CLIPBOARD to hold the viewer's text" \
	sel_is "$DPY" clipboard "$T_DIR/v.txt"
t_wait_for "$T_TIMEOUT" "the X PRIMARY to hold the viewer's text" \
	sel_is "$DPY" primary "$T_DIR/v.txt"
t_cmd_ok E wait-clip "$T_DIR/v.txt"

t_step "an extended client's text reaches X and is not echoed to it"
t_cmd_ok E stats
before=$(sed -n 's/.* clip \([0-9]*\) .*/\1/p' <<<"$T_REPLY")
printf 'from the extended client: ½ € ☃\n' >"$T_DIR/e.txt"
t_cmd_ok E clip-offer "$T_DIR/e.txt"
t_wait_for "$T_TIMEOUT" "the X CLIPBOARD to hold the client's text" \
	sel_is "$DPY" clipboard "$T_DIR/e.txt"
t_wait_for "$T_TIMEOUT" "vncviewer's clipboard to hold the client's text" \
	sel_is "$VDPY" clipboard "$T_DIR/e.txt"
printf 'next copy in X\n' >"$T_DIR/x2.txt"
d_set_selection "$DPY" clipboard "$T_DIR/x2.txt"
t_cmd_ok E wait-clip "$T_DIR/x2.txt"
t_cmd_ok E stats
after=$(sed -n 's/.* clip \([0-9]*\) .*/\1/p' <<<"$T_REPLY")
[ $((after - before)) -eq 1 ] ||
	t_fail "the client got $((after - before)) texts, not 1: its own came back"

t_step "a classic client's Latin-1 text arrives in X as UTF-8"
printf 'K\xe4se f\xfcr \xa3 5\n' >"$T_DIR/latin1.txt"
printf 'Käse für £ 5\n' >"$T_DIR/latin1-as-utf8.txt"
t_cmd_ok C cut "$T_DIR/latin1.txt"
t_wait_for "$T_TIMEOUT" "the X CLIPBOARD to hold the classic text" \
	sel_is "$DPY" clipboard "$T_DIR/latin1-as-utf8.txt"
t_cmd_ok E wait-clip "$T_DIR/latin1-as-utf8.txt"

t_step "over a megabyte both ways (by INCR on the X side)"
for ((i = 0; i < 30000; i++)); do
	printf 'Zeile %05d: Grüße aus 日本 😀 —\n' "$i"
done >"$T_DIR/big.txt"
sed 's/Zeile/Line/' "$T_DIR/big.txt" >"$T_DIR/big2.txt"
t_log "big texts: $(wc -c <"$T_DIR/big.txt") and $(wc -c <"$T_DIR/big2.txt") bytes"
# (xrfb alone reads it: xclip cannot serve two INCR readers at once)
d_own_selection "$DPY" clipboard "$T_DIR/big.txt"
t_cmd_ok E wait-clip "$T_DIR/big.txt"
t_cmd_ok E clip-offer "$T_DIR/big2.txt"
t_wait_for "$T_TIMEOUT" "the X CLIPBOARD to hold the big text" \
	sel_is "$DPY" clipboard "$T_DIR/big2.txt"
grep -q 'receiving the selection by INCR' "$XRFB_ERR" ||
	t_fail "the big text from X did not come by INCR"
grep -q 'bytes to 0x[0-9a-f]* by INCR' "$XRFB_ERR" ||
	t_fail "the big text to X did not go by INCR"

t_step "PRIMARY is followed too"
printf 'selected, not copied\n' >"$T_DIR/p.txt"
d_set_selection "$DPY" primary "$T_DIR/p.txt"
t_cmd_ok E wait-clip "$T_DIR/p.txt"

t_alive "$D_VIEWER_PID" || t_fail "vncviewer exited"
t_xrfb_alive

t_step "--clipboard clipboard --clipboard-max 1000"
t_stop "$D_VIEWER_PID" || true
t_grab_stop E
t_grab_stop C
t_stop "$XRFB_PID" || true
t_start_xrfb --display "$DPY" --clipboard clipboard --clipboard-max 1000
d_ext_start F
t_cmd_ok F sync
printf 'primary only\n' >"$T_DIR/p2.txt"
printf 'small one\n' >"$T_DIR/s1.txt"
d_set_selection "$DPY" primary "$T_DIR/p2.txt"
d_set_selection "$DPY" clipboard "$T_DIR/s1.txt"
t_cmd_ok F wait-clip "$T_DIR/s1.txt"
head -c 2000 /dev/zero | tr '\0' 'a' >"$T_DIR/a2000.txt"
printf 'small two\n' >"$T_DIR/s2.txt"
d_set_selection "$DPY" clipboard "$T_DIR/a2000.txt"
d_set_selection "$DPY" clipboard "$T_DIR/s2.txt"
t_cmd_ok F wait-clip "$T_DIR/s2.txt"
t_cmd_ok F stats
[[ $T_REPLY == *" clip 2 "* ]] ||
	t_fail "PRIMARY or a text over the limit reached the client: $T_REPLY"
# a viewer's text over the limit does not reach X
t_cmd_ok F clip-offer "$T_DIR/a2000.txt"
t_cmd_ok F sync
t_cmd_ok F sync
sel_is "$DPY" clipboard "$T_DIR/s2.txt" ||
	t_fail "a text over the limit replaced the X CLIPBOARD"
grep -q 'over the 1000-byte limit' "$XRFB_ERR" ||
	t_fail "xrfb did not log the refused text"

t_xrfb_alive
t_pass
