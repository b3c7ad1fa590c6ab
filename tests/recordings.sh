# shellcheck shell=bash
# Functions of the integration tests of recordings (record.sh,
# record-ring.sh); sourced after tests/lib.sh.

# Export the frame at @2 seconds of recording @1 as PPM into @3.
export_at() {
	"$XRFB" export "$1" --png-at "$2" "$3.png" &&
		pngtopnm "$3.png" >"$3"
}

# The times of the blocks of recording @1, in ms, one a line.
block_times() {
	python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
f.read(12)
while True:
    h = f.read(4)
    if len(h) < 4:
        break
    n = struct.unpack(">I", h)[0]
    f.read((n + 3) & ~3)
    t = f.read(4)
    if len(t) < 4:
        break
    print(struct.unpack(">I", t)[0])
PY
}

# Play @1 with xrfb play to libvncclient until it shows @2 (an xwd file).
play_until() {
	local rec=$1 ref=$2 name port pid
	name=play-$(basename "$rec")
	t_spawn "$name" "$XRFB" play --port 0 "$rec"
	pid=$T_LAST_PID
	t_wait_for "$T_TIMEOUT" "xrfb play to listen" grep -q '127\.0\.0\.1:' \
		"$T_DIR/$name.log"
	port=$(sed -n 's/^xrfb: serving .* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		"$T_DIR/$name.log")
	t_run "libvncclient plays $(basename "$rec") to its last frame" \
		t_grab --format 32 --encodings "raw copyrect" --compare "$ref" \
		"127.0.0.1:$port"
	t_stop "$pid" || true
}
