#!/bin/bash
# xrfb refuses to start, with one clear error line on stderr (after any
# informational log lines) and a distinct exit status, when it cannot do its job: a bad option (2), a display that does
# not exist (1), a port another server holds (1). --help and --version
# succeed. A failed start leaves no process and no listener behind.
. "$(dirname "$0")/../lib.sh"

t_require "$XRFB" timeout

# Run xrfb (bounded: it must not hang) and check exit status and stderr:
#   expect_error "what" STATUS PATTERN xrfb-arg...
expect_error() {
	local what=$1 want=$2 pattern=$3 status lines
	shift 3
	timeout 20 "$XRFB" "$@" >"$T_DIR/err.out" 2>"$T_DIR/err.err" &&
		status=0 || status=$?
	t_log "$what: exit $status, stderr: $(cat "$T_DIR/err.err")"
	[ $status -ne 124 ] || t_fail "$what: xrfb did not exit within 20 s"
	[ $status -eq "$want" ] ||
		t_fail "$what: exit status $status, expected $want"
	# informational log lines may come first; the error is one line
	grep -v '^xrfb\[\(info\|debug\|trace\)\]: ' "$T_DIR/err.err" |
		grep . >"$T_DIR/err.lines" || true
	lines=$(wc -l <"$T_DIR/err.lines")
	[ "$lines" -eq 1 ] ||
		t_fail "$what: $lines error lines on stderr, expected one"
	grep -q -- "$pattern" "$T_DIR/err.lines" ||
		t_fail "$what: the error does not mention '$pattern'"
	! grep -q '^xrfb: serving' "$T_DIR/err.out" ||
		t_fail "$what: printed a ready line"
}

t_step "bad options"
expect_error "unknown option" 2 "--no-such-option" --no-such-option
expect_error "bad port" 2 "99999" --port 99999
expect_error "bad geometry" 2 "10x10x7" --create=10x10x7
expect_error "bad shared policy" 2 "bogus" --shared-policy bogus
expect_error "bad log level" 2 "loud" --log-level loud
expect_error "bad CPU budget" 2 "half" --max-cpu half
expect_error "--display with --create" 2 "create" --display :1 --create
expect_error "bad --connect" 2 "\[::1" --connect "[::1"
expect_error "bad --connect port" 2 "host:0" --connect host:0
expect_error "bad repeater= form" 2 "repeater=ID" \
	--connect "repeater=1234+host:5500"
expect_error "--repeater without an ID" 2 "--repeater-id" \
	--repeater host:5500
expect_error "bad repeater ID" 2 "a b" --repeater host:5500 \
	--repeater-id "a b"
expect_error "bad --connect-retry" 2 "--connect-retry" --connect-retry 0
expect_error "bad --unix-mode" 2 "0999" --unix-mode 0999
expect_error "--inetd with --listen" 2 "--inetd" --inetd --listen ::1
# checked with a password file or --no-auth as well as without
printf 'secret\n' >"$T_DIR/pw"
expect_error "--tls-cert alone, with a password" 2 "--tls-key" \
	--create --password-file "$T_DIR/pw" --tls-cert "$T_DIR/pw"
expect_error "--users without PAM, with a password" 2 "--pam-service" \
	--create --password-file "$T_DIR/pw" --users someone
expect_error "Plain without PAM, with a password" 2 "--pam-service" \
	--create --password-file "$T_DIR/pw" --security Plain
expect_error "RA2 with neither password nor PAM" 2 "RA2" \
	--create --no-auth --security RA2
expect_error "VncAuth without a password, --no-auth" 2 "--password-file" \
	--create --no-auth --security VncAuth

t_step "a display that does not exist"
# Xvfb picks numbers from 0 upwards; this one is far above any in use
expect_error "missing display" 1 ":4077" --display :4077 --port 0

t_step "--help and --version"
out=$(timeout 20 "$XRFB" --help) || t_fail "--help failed"
for opt in --display --create --session --listen --port --password-file \
	--no-auth --shared-policy --view-only --poll --max-fps --max-cpu \
	--desktop-name --log-level --unix-mode --connect --connect-retry \
	--repeater --repeater-id --inetd --version; do
	grep -q -- "$opt" <<<"$out" || t_fail "--help does not mention $opt"
done
out=$(timeout 20 "$XRFB" --version) || t_fail "--version failed"
grep -q '[0-9]\+\.[0-9]\+' <<<"$out" || t_fail "--version shows no version: $out"

t_step "a port that is taken"
t_start_xvfb DPY 320x240x24
t_start_xrfb --display "$DPY"
first_pid=$XRFB_PID
first_port=$XRFB_PORT
expect_error "port taken" 1 "$first_port" --display "$DPY" \
	--listen 127.0.0.1 --port "$first_port"
t_xrfb_alive "$first_pid"
# the first server still serves
t_run "the first server still works" "$RFB_PROBE" "127.0.0.1:$first_port" \
	--request-update --expect-update --expect-open --wait-ms 500

t_step "a bad password file"
expect_error "missing password file" 1 "$T_DIR/nonexistent" \
	--display "$DPY" --port 0 --password-file "$T_DIR/nonexistent"

t_pass
