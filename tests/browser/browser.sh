# shellcheck shell=bash
# Functions of the integration tests that show xrfb in noVNC, in headless
# Chromium; sourced after tests/lib.sh, whose process and failure handling
# they use.
#
#   tb_setup                 node, npm, Chromium, noVNC present;
#                            the npm project installed (npm ci) in
#                            tests/browser/ of the build directory, which
#                            may differ from the (read-only) source tree;
#                            TB_WEB, the web root to give xrfb (--web):
#                            the test page and the noVNC trees
#   tb_serve PORT            pages come from xrfb on 127.0.0.1:PORT, and
#                            noVNC connects to it there, over ws://,
#                            with no proxy; sets TB_BASE
#   tb_serve_https PORT CERT the same over https:// and wss://, xrfb's
#                            certificate CERT (PEM) checked by curl
#   tb_start_chromium [FLAG]... one headless Chromium, fresh profile,
#                            with FLAGs added; sets TB_CDP (its DevTools
#                            address)
#   tb_spki CERT             the base64 SHA-256 of CERT's public key, for
#                            Chromium's --ignore-certificate-errors-spki-list
#   tb_driver_start          tests/browser/novnc-driver.js on that Chromium
#   tb_cmd / tb_cmd_ok CMD   one driver command (see novnc-driver.js)
#   tb_new_ref               xwd -root of $DPY, once stable, into a new
#                            file; sets REF
#   tb_view LIB WHAT COLOUR  connect noVNC tree LIB (Hextile), the canvas
#                            equals the display, paint a COLOUR rectangle,
#                            equal again, disconnect
#
# The noVNC trees served beside the page: "debian" is Debian's novnc
# package (/usr/share/novnc), "npm" the @novnc/novnc release pinned in
# tests/browser/package-lock.json.

TB_SRC=$XRFB_TOP_SRCDIR/tests/browser
# The npm project (package.json, its lock, node_modules and the driver,
# which must sit beside node_modules to find playwright-core) lives in the
# build directory: the source tree may be read-only (make distcheck).
TB_DIR=$XRFB_TOP_BUILDDIR/tests/browser
TB_DEBIAN_NOVNC=${TB_DEBIAN_NOVNC:-/usr/share/novnc}
TB_NPM_NOVNC=$TB_DIR/node_modules/@novnc/novnc
TB_CHROMIUM=${TB_CHROMIUM:-chromium}

# Install the npm dependencies (playwright-core, @novnc/novnc) exactly as
# package-lock.json pins them, once: tests running in parallel wait for
# the one that installs. No browser is downloaded: playwright-core has
# none, and the tests drive Debian's Chromium.
tb_npm_ci() {
	local stamp=$TB_DIR/node_modules/.package-lock.json f
	t_require flock
	mkdir -p "$TB_DIR" || t_fail "cannot create $TB_DIR"
	(
		flock 9
		# the project's files, copied when they changed (atomically:
		# other tests may be reading them)
		for f in package.json package-lock.json novnc-driver.js; do
			cmp -s "$TB_SRC/$f" "$TB_DIR/$f" && continue
			cp "$TB_SRC/$f" "$TB_DIR/.$f.tmp" &&
				mv -f "$TB_DIR/.$f.tmp" "$TB_DIR/$f" || exit 1
		done
		if [ -f "$stamp" ] &&
			! [ "$TB_DIR/package-lock.json" -nt "$stamp" ]; then
			exit 0
		fi
		echo "installing $TB_DIR/node_modules (npm ci)"
		cd "$TB_DIR" && npm ci --no-audit --no-fund --loglevel=error
	) 9>>"$TB_DIR/.lock" >"$T_DIR/npm-ci.log" 2>&1 ||
		t_fail "npm ci in $TB_DIR failed ($(tail -n 3 "$T_DIR/npm-ci.log"))"
}

tb_setup() {
	t_require node npm "$TB_CHROMIUM" xwd "$IMGCMP"
	[ -f "$TB_DEBIAN_NOVNC/core/rfb.js" ] ||
		t_skip "Debian's novnc is not installed ($TB_DEBIAN_NOVNC)"
	tb_npm_ci
	[ -f "$TB_NPM_NOVNC/core/rfb.js" ] ||
		t_fail "npm ci did not install @novnc/novnc"
	TB_WEB=$T_DIR/web
	mkdir -p "$TB_WEB"
	ln -s "$TB_SRC/novnc-page.html" "$TB_SRC/novnc-page.js" "$TB_WEB/"
	ln -s "$TB_DEBIAN_NOVNC" "$TB_WEB/debian"
	ln -s "$TB_NPM_NOVNC" "$TB_WEB/npm"
}

# xrfb serves the test page (started with --web "$TB_WEB") and speaks
# WebSocket on the same port.
tb_serve() {
	TB_BASE=http://127.0.0.1:$1/
	t_wait_for "$T_TIMEOUT" "xrfb to serve the test page" \
		node -e 'fetch(process.argv[1]).then((r) =>
			process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
		"${TB_BASE}novnc-page.html"
	t_log "pages and WebSocket from xrfb at $TB_BASE"
}

# The same over HTTPS: the page and the WebSocket from xrfb, TLS first.
tb_serve_https() {
	TB_BASE=https://127.0.0.1:$1/
	t_require curl
	t_wait_for "$T_TIMEOUT" "xrfb to serve the test page over HTTPS" \
		curl -sS --fail -o /dev/null --cacert "$2" \
		"${TB_BASE}novnc-page.html"
	t_log "pages and WebSocket from xrfb at $TB_BASE (TLS)"
}

tb_spki() {
	t_require openssl
	openssl x509 -in "$1" -noout -pubkey |
		openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64
}

# Headless Chromium with the flags this machine needs (no outside
# network: nothing may try to reach it), a fresh profile, DevTools on a
# loopback port it picks and writes into the profile.
tb_start_chromium() {
	local profile=$T_DIR/chromium-profile i port=
	mkdir -p "$profile"
	t_spawn chromium "$TB_CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--disable-default-apps --disable-extensions \
		--user-data-dir="$profile" --remote-debugging-address=127.0.0.1 \
		--remote-debugging-port=0 "$@" about:blank
	TB_CHROMIUM_PID=$T_LAST_PID
	for ((i = 0; i < T_TIMEOUT * 10; i++)); do
		port=$(head -n 1 "$profile/DevToolsActivePort" 2>/dev/null)
		[ -n "$port" ] && break
		t_alive "$TB_CHROMIUM_PID" || t_fail "chromium did not start"
		sleep 0.1
	done
	[ -n "$port" ] || t_fail "chromium reported no DevTools port"
	TB_CDP=http://127.0.0.1:$port
	t_log "chromium (pid $TB_CHROMIUM_PID) DevTools on $TB_CDP"
}

# The driver reads commands from a FIFO and answers into another, as
# vnc-grab does in tests/lib.sh.
tb_driver_start() {
	local in=$T_DIR/driver.in out=$T_DIR/driver.out
	mkfifo "$in" "$out"
	node "$TB_DIR/novnc-driver.js" --cdp "$TB_CDP" --base "$TB_BASE" \
		--imgcmp "$IMGCMP" --dir "$T_DIR" --web "$TB_WEB" \
		--timeout "$T_TIMEOUT" \
		<"$in" >"$out" 2>"$T_DIR/driver.err" &
	TB_DRIVER_PID=$!
	T_PIDS+=("$TB_DRIVER_PID")
	T_PROC_NAME[$TB_DRIVER_PID]=novnc-driver
	exec {TB_IN}<>"$in"
	exec {TB_OUT}<>"$out"
}

# Send one command; its answer goes into TB_REPLY. Returns 0 for "ok".
tb_cmd() {
	local wait=$((T_TIMEOUT * 2 + 10)) start=$EPOCHREALTIME
	TB_REPLY=
	if ! t_alive "$TB_DRIVER_PID"; then
		TB_REPLY="fail the noVNC driver is not running"
		return 1
	fi
	printf '%s\n' "$*" >&"$TB_IN"
	if ! read -r -t "$wait" TB_REPLY <&"$TB_OUT"; then
		TB_REPLY="fail no answer to '$*' within ${wait}s"
		return 1
	fi
	# the time each command took, for reading logs only
	echo "$* -> $TB_REPLY [$start .. $EPOCHREALTIME]" >>"$T_DIR/driver.log"
	[[ $TB_REPLY == ok* ]]
}

tb_cmd_ok() {
	tb_cmd "$@" || t_fail "noVNC: $* -> $TB_REPLY"
	t_log "noVNC: $* -> $TB_REPLY"
}

# The last "using ..." line xrfb logged for a SetEncodings (--log-level
# debug): the encoding it chose for the newest client.
tb_server_encoding() {
	grep -o 'SetEncodings, [0-9]* entries, using .*' "$XRFB_ERR" |
		tail -n 1 | sed 's/.*using //'
}

TB_REFN=0
tb_new_ref() {
	TB_REFN=$((TB_REFN + 1))
	REF=$T_DIR/ref$TB_REFN.xwd
	t_xwd_stable "$DPY" "$REF"
}

tb_view() {
	t_step "noVNC $1: $2"
	tb_new_ref
	tb_cmd_ok open "$1" hextile
	tb_cmd_ok match "$REF"
	t_run "rect" "$XPAINT" -display "$DPY" rect 101 77 203 111 "$3"
	tb_new_ref
	tb_cmd_ok match "$REF"
	tb_cmd_ok disconnect
}
