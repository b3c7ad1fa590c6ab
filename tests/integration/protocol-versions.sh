#!/bin/bash
# The RFB 3.3, 3.7 and 3.8 handshakes (RFC 6143 7.1-7.3): with security
# None a 3.3 client is told the type as a U32 and gets no SecurityResult,
# a 3.7 client picks from a list and gets no SecurityResult, a 3.8 client
# gets SecurityResult 0. A libvncclient speaking only 3.3 (or 3.7) sees the
# display exactly, in true colour and with a colour map. Unofficial minor
# versions are mapped as RFC 6143 and TigerVNC do (3.5, 3.6 -> 3.3;
# 3.889 -> 3.8); a version string that is not RFB 3.x is refused.
# ServerInit carries the framebuffer size, a true-colour format and the
# desktop name given with --desktop-name.
. "$(dirname "$0")/../lib.sh"

t_require xwd "$VNC_GRAB" "$RFB_PROBE" "$XPAINT"

t_start_xvfb DPY 640x480x24
t_paint "$DPY" 2
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY" --desktop-name "xrfb test desk"

# probe_ok "what" EXPECTED-LINE... -- rfb-probe option...: the probe must
# succeed and print every expected line (whole-line regular expressions)
probe_ok() {
	local what=$1 out line
	shift
	local expect=()
	while [ "$1" != -- ]; do
		expect+=("$1")
		shift
	done
	shift
	out=$(t_run "$what" "$RFB_PROBE" "$XRFB_ADDR" "$@")
	echo "$out"
	for line in "${expect[@]}"; do
		grep -qx -- "$line" <<<"$out" ||
			t_fail "$what: no line matching '$line'"
	done
}

init='server-init 640x480 bpp \(8\|16\|32\) depth [0-9]* be [01] tc 1 .* name "xrfb test desk"'

t_step "3.8: type list, SecurityResult after None"
probe_ok "3.8 handshake" 'server-version "RFB 003.008\\x0a"' \
	'security-types\( [0-9]*\)* 1\( [0-9]*\)*' 'security-result 0' "$init" \
	-- --version 3.8 --security 1 --request-update --expect-update \
	--expect-open --wait-ms 300

t_step "3.7: type list, no SecurityResult after None"
probe_ok "3.7 handshake" 'security-types\( [0-9]*\)* 1\( [0-9]*\)*' "$init" \
	-- --version 3.7 --security 1 --request-update --expect-update \
	--expect-open --wait-ms 300

t_step "3.3: the server picks the type"
probe_ok "3.3 handshake" 'security-type 1' "$init" \
	-- --version 3.3 --request-update --expect-update --expect-open \
	--wait-ms 300

t_step "unofficial versions"
probe_ok "3.5 is 3.3" 'security-type 1' "$init" \
	-- --version-raw 'RFB 003.005\n' --continue-as 3.3 --request-update \
	--expect-update --wait-ms 300
probe_ok "3.6 is 3.3" 'security-type 1' "$init" \
	-- --version-raw 'RFB 003.006\n' --continue-as 3.3 --request-update \
	--expect-update --wait-ms 300
probe_ok "3.889 is 3.8" 'security-types\( [0-9]*\)* 1\( [0-9]*\)*' \
	'security-result 0' "$init" \
	-- --version-raw 'RFB 003.889\n' --continue-as 3.8 --security 1 \
	--request-update --expect-update --wait-ms 300

t_step "not RFB 3.x"
t_run "a garbage version string is refused" "$RFB_PROBE" "$XRFB_ADDR" \
	--version-raw 'GET / HTTP/1.1\r\n' --expect-close
t_run "RFB 002.000 is refused" "$RFB_PROBE" "$XRFB_ADDR" \
	--version-raw 'RFB 002.000\n' --expect-close

t_step "libvncclient speaking only 3.3 and 3.7"
for v in 3.3 3.7; do
	for f in 32 16 cmap; do
		t_run "libvncclient $v, format $f" t_grab --version "$v" \
			--format "$f" --encodings "raw copyrect" \
			--compare "$T_DIR/ref.xwd" "$XRFB_ADDR"
	done
done
out=$(t_run "libvncclient 3.3 info" t_grab --version 3.3 --info \
	--compare "$T_DIR/ref.xwd" "$XRFB_ADDR")
echo "$out"
grep -q '^connected version 3.3 security 1 subtype 0 size 640x480 name "xrfb test desk"' \
	<<<"$out" || t_fail "libvncclient did not negotiate 3.3 with None"

t_xrfb_alive
t_pass
