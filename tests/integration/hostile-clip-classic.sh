#!/bin/bash
# Clipboard sizes. A text over --classic-clipboard-max (1 MiB by default)
# is not sent to classic viewers, which libvncclient would drop the
# connection over; one line is logged and the viewer stays. A text a
# viewer sets over --viewer-clipboard-max (256 KiB by default, as
# TigerVNC) is ignored, without a disconnect.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-desk.sh"
. "$(dirname "$0")/../lib-hostile.sh"

t_require xclip "$RFB_EXT"
h_start --log-level info

t_step "a 2 MiB clipboard from X skips the classic viewer"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'b' >"$T_DIR/big.txt"
t_spawn xclip-big xclip -display "$DPY" -selection clipboard -loops 0 \
	-i "$T_DIR/big.txt"
t_wait_for "$T_TIMEOUT" "the skip to be logged" \
	grep -q 'clipboard text of 2097152 bytes not sent' "$XRFB_ERR"
h_good_flows
[ "$(grep -c 'clipboard text of [0-9]* bytes not sent' "$XRFB_ERR")" -eq 1 ] ||
	t_fail "the skip was not logged exactly once"
t_step "a small clipboard still reaches the classic viewer"
t_stop "$T_LAST_PID" || true
printf 'small text' >"$T_DIR/small.txt"
t_spawn xclip-small xclip -display "$DPY" -selection clipboard -loops 0 \
	-i "$T_DIR/small.txt"
t_cmd_ok G expect-cut small text

t_step "300 KiB from a viewer: ignored, the viewer stays"
d_ext_start C --encodings raw
head -c $((300 * 1024)) /dev/zero | tr '\0' 'c' >"$T_DIR/c.txt"
t_cmd_ok C cut "$T_DIR/c.txt"
t_cmd_ok C sync
t_wait_for "$T_TIMEOUT" "the refusal to be logged" \
	grep -q 'of 307200 bytes over the 262144-byte limit' \
	"$XRFB_ERR"
t_cmd_ok C sync
[ "$(xclip -display "$DPY" -selection clipboard -o)" = "small text" ] ||
	t_fail "the text over the limit reached X"
h_good_flows
t_xrfb_alive
t_pass
