#!/bin/bash
# Tight as TigerVNC's vncviewer decodes it (a decoder independent of the
# libvncclient and spec decoders of the encoder tests): xrfb --display is
# shown full screen on a second Xvfb of the same size and a screenshot of
# that display is compared with the served one. Lossless at compression
# levels 0 (stored zlib blocks: vncviewer does not list -317), 1, 6 and 9
# must be exact; with JPEG at quality levels 2, 6 and 9 the picture must be
# close (the pattern's ramps, noise and text make every subencoding
# appear: fill, mono, indexed, gradient, JPEG).
. "$(dirname "$0")/../lib.sh"

t_require xwd vncviewer "$XPAINT" "$IMGCMP"

geometry=1024x768x24
t_start_xvfb DPY "$geometry"
t_paint "$DPY" 4
t_xwd_stable "$DPY" "$T_DIR/ref.xwd"
t_start_xrfb --display "$DPY"
host=${XRFB_ADDR%:*}
port=${XRFB_ADDR##*:}

# $1 what, then imgcmp options up to "--", then vncviewer options.
check_tight() {
	local what=$1 vdpy vxvfb cmp=() viewer
	shift
	while [ "$1" != -- ]; do
		cmp+=("$1")
		shift
	done
	shift
	t_step "$what"
	t_start_xvfb vdpy "$geometry"
	vxvfb=$T_LAST_PID
	t_spawn "vncviewer-${vdpy#:}" vncviewer -display "$vdpy" \
		-FullScreen -ViewOnly -Shared -AlertOnFatalError=0 \
		-ReconnectOnError=0 -AutoSelect=0 -FullColor \
		-PreferredEncoding=Tight -CustomCompressLevel=1 "$@" \
		"$host::$port"
	viewer=$T_LAST_PID
	t_wait_display_match "$what" "$vdpy" "$T_DIR/ref.xwd" "${cmp[@]}"
	t_alive "$viewer" || t_fail "$what: vncviewer exited"
	t_stop "$viewer" || true
	t_stop "$vxvfb" || true
}

for cl in 0 1 6 9; do
	check_tight "lossless Tight, compression level $cl" --bits 8,8,8 -- \
		-NoJPEG -CompressLevel="$cl"
done

# JPEG quality 41 (4:2:0), 79 and 100 (4:4:4) of the whole pattern alone
# score 16, 31 and 53 dB; xrfb sends its flat and few-colour parts
# losslessly. A wrong channel order or offset lands far lower.
for q in 2:18 6:28 9:40; do
	check_tight "Tight with JPEG, quality level ${q%:*}" \
		--min-psnr "${q#*:}" -- \
		-NoJPEG=0 -QualityLevel="${q%:*}" -CompressLevel=2
done

t_xrfb_alive
t_pass
