// SPDX-License-Identifier: MIT
//
// novnc-driver: drives noVNC (novnc-page.html) in a running headless
// Chromium for the integration tests, one command per line on standard
// input, one answer line per command on standard output ("ok ..." or
// "fail ..."), like tests/tools/vnc-grab in command mode.
//
//   node novnc-driver.js --cdp http://127.0.0.1:PORT --base URL
//        --imgcmp PATH --dir DIR [--web DIR] [--timeout S]
//
// The Chromium process belongs to the caller (started, and stopped by
// PID, by the test); the driver only connects to it over the DevTools
// protocol, so nothing it starts can outlive the test. One Chromium, and
// one page per noVNC tree, serve every connection of a test.
//
// With --web (the directory served at --base), match compares in the page
// (novnc-page.js xt.compare), which needs no copy of the canvas: the
// reference is linked into that directory's refs/ and fetched by the
// page. The first such match of a run is also checked with imgcmp, which
// must agree; a failed match is always described by imgcmp.
//
// Commands:
//   open LIB ENC [USER PASSWORD]
//                    connect with noVNC tree LIB (its page is loaded once
//                    and kept), encodings ENC ("hextile", "copyrect+hextile"
//                    or "default"), giving USER ("-": none) and PASSWORD
//                    if the server asks; wait until noVNC is connected
//   match REF [OPT]  wait until the canvas equals REF (xwd or PPM) as
//                    imgcmp with options OPT judges; the last canvas is
//                    kept in DIR on failure
//   size W H         wait until the canvas is W x H
//   state            the connection's state, rectangles per encoding,
//                    the SetEncodings list, messages counted
//   disconnect       disconnect (the page stays)
//   close            disconnect and close the page
//   base URL         load the pages from URL from now on
//   target HOST:PORT connect noVNC to HOST:PORT instead of the page's own
//                    host and port ("-": back to those)
//   type TEXT        type TEXT (the rest of the line) into noVNC
//   key NAME         press and release a key (Playwright's names: Enter)
//   ui PATH          load a web client's own page (PATH under the base,
//                    e.g. debian/vnc.html) with autoconnect, wait until it
//                    shows it is connected, and close it
//   watch URL        open noVNC's own page at URL as it is given (say the
//                    view-only URL of xrfb run) in a page of its own, kept
//                    open; wait until it shows it is connected
//   watch-refused URL  the same, but the page must show that it could
//                    not connect
//   watch-match REF  wait until that page's canvas equals REF (imgcmp)
//   watch-input TEXT click that page's canvas and type TEXT, as the page
//                    is, then again with its view-only setting turned off
//                    (so that noVNC sends them); answers with the
//                    messages the page sent over its WebSocket meanwhile,
//                    by RFB message type ("4:3 5:6": 3 KeyEvents, 6
//                    PointerEvents)
//   watch-close      close that page
//   quit

import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const opt = { timeout: 30 };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i].replace(/^--/, '');
	opt[k] = process.argv[i + 1];
}
for (const k of ['cdp', 'base', 'imgcmp', 'dir']) {
	if (!opt[k]) {
		console.error(`novnc-driver: --${k} is required`);
		process.exit(2);
	}
}
const timeoutMs = Number(opt.timeout) * 1000;

let browser = null;
let page = null;
let grabs = 0;
let refs = 0;
let verified = false;
const consoleLines = [];

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function summary() {
	return page ? page.evaluate(() => window.xt && window.xt.summary()) :
		null;
}

function describe(s) {
	if (!s)
		return 'no page';
	const rects = Object.entries(s.rects).map(([k, v]) => `${k}:${v}`)
		.join(',') || 'none';
	let d = `state=${s.state} size=${s.width}x${s.height} ` +
		`rects=${rects} colourmaps=${s.colourMapMessages} ` +
		`server-fences=${s.serverFences} resizes=${s.resizes} ` +
		`sent=${s.sent.join(',')}`;
	if (s.version)
		d += ` version=${s.version}`;
	if (s.securityType)
		d += ` security=${s.securityType}`;
	if (s.fingerprint)
		d += ` fingerprint=${s.fingerprint}`;
	if (s.reason)
		d += ` reason="${s.reason.replace(/\s+/g, ' ')}"`;
	return d;
}

// A failure that ends the connection ends every wait at once.
function broken(s) {
	return !s || s.state === 'disconnected' || s.state === 'error';
}

// The canvas as a binary PPM file; returns its path, or null when the
// canvas has no size yet.
async function grab() {
	return toPpm(await page.evaluate(() => window.xt.grab()));
}

// {width, height, rgba (base64)} as a binary PPM file, or null.
function toPpm(g) {
	if (!g)
		return null;
	const rgba = Buffer.from(g.rgba, 'base64');
	const n = g.width * g.height;
	const head = Buffer.from(`P6\n${g.width} ${g.height}\n255\n`);
	const rgb = Buffer.alloc(n * 3);
	for (let i = 0; i < n; i++) {
		rgb[3 * i] = rgba[4 * i];
		rgb[3 * i + 1] = rgba[4 * i + 1];
		rgb[3 * i + 2] = rgba[4 * i + 2];
	}
	const file = `${opt.dir}/canvas-${++grabs}.ppm`;
	writeFileSync(file, Buffer.concat([head, rgb]));
	return file;
}

let pageLib = null;
let wsTarget = null;

// A page per noVNC tree, kept for the next connection with that tree.
async function loadPage(lib) {
	if (page && pageLib === lib)
		return null;
	if (page)
		await cmdClose();
	const ctx = browser.contexts()[0] || await browser.newContext();
	page = await ctx.newPage();
	pageLib = lib;
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning')
			consoleLines.push(`${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e}`));
	await page.goto(`${opt.base}novnc-page.html?novnc=` +
			encodeURIComponent(lib) +
			(wsTarget ? `&ws=${encodeURIComponent(wsTarget)}` : ''),
			{ timeout: timeoutMs });
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		const s = await page.evaluate(() => window.xt &&
			{ ready: window.xt.ready, state: window.xt.state,
			  reason: window.xt.reason });
		if (s && s.ready)
			return null;
		if (s && s.state === 'error')
			return `fail page: ${s.reason}`;
		await sleep(50);
	}
	return `fail the page did not load noVNC from ${lib}`;
}

async function cmdOpen(lib, enc, user, password) {
	if (!lib || !enc)
		return 'fail usage: open LIB ENC [USER PASSWORD]';
	const err = await loadPage(lib);
	if (err)
		return err;
	consoleLines.length = 0;
	const creds = {};
	if (user && user !== '-')
		creds.username = user;
	if (password !== undefined)
		creds.password = password;
	await page.evaluate(([m, c]) => window.xt.connect(m, c),
			    [enc, creds]);
	const end = Date.now() + timeoutMs;
	let s = null;
	while (Date.now() < end) {
		s = await summary();
		if (s && s.state === 'connected' && s.width > 0)
			return `ok ${describe(s)}`;
		if (s && broken(s))
			break;
		await sleep(50);
	}
	return `fail not connected: ${describe(s)} ${consoleLines.join(' | ')}`;
}

// Compare a grab of the canvas with @ref through imgcmp: [status, text,
// file] (status 0 equal, 1 different, else an error).
async function imgcmp(ref, extra) {
	const file = await grab();
	if (!file)
		return [1, 'no canvas yet', null];
	const r = spawnSync(opt.imgcmp, [...extra, file, ref],
			    { encoding: 'utf8' });
	const out = `${r.stdout}${r.stderr}`.trim().replace(/\s+/g, ' ');
	return [r.status, out, file];
}

// The fast path of match; null when the page cannot read @ref.
async function matchInPage(ref) {
	const name = `ref-${++refs}`;
	mkdirSync(`${opt.web}/refs`, { recursive: true });
	symlinkSync(resolve(ref), `${opt.web}/refs/${name}`);
	const url = `${opt.base}refs/${name}`;
	const end = Date.now() + timeoutMs;
	let res = null, polls = 0;
	while (Date.now() < end) {
		const s = await summary();
		if (broken(s))
			return `fail connection lost: ${describe(s)} ` +
				consoleLines.join(' | ');
		try {
			res = await page.evaluate((u) => window.xt.compare(u),
						  url);
		} catch (e) {
			if (/unsupported|not 8 bits/.test(String(e)))
				return null;
			throw e;
		}
		polls++;
		if (res.same) {
			if (verified)
				return `ok images match (compared in the page, ` +
					`${polls} polls)`;
			const [st, out] = await imgcmp(ref, []);
			if (st !== 0)
				return 'fail the page found the canvas equal ' +
					`to ${ref}, imgcmp does not: ${out}`;
			verified = true;
			return `ok ${out} (page and imgcmp agree)`;
		}
		await sleep(100);
	}
	const [st, out, file] = await imgcmp(ref, []);
	if (st === 0)
		return `ok ${out}`;
	return `fail canvas differs after ${opt.timeout}s: ${out}` +
		(file ? ` (canvas kept in ${file})` : '') +
		(res ? ` [page: ${res.width}x${res.height} vs ` +
		 `${res.refWidth}x${res.refHeight}, ${res.diff} pixels ` +
		 `differ, first ${res.first}]` : '');
}

async function cmdMatch(ref, extra) {
	if (!page)
		return 'fail no page open';
	if (!ref)
		return 'fail usage: match REF [imgcmp option]...';
	if (opt.web && extra.length === 0) {
		const answer = await matchInPage(ref);
		if (answer)
			return answer;
	}
	const end = Date.now() + timeoutMs;
	let out = 'no canvas yet', file = null, st;
	while (Date.now() < end) {
		const s = await summary();
		if (broken(s))
			return `fail connection lost: ${describe(s)} ` +
				consoleLines.join(' | ');
		[st, out, file] = await imgcmp(ref, extra);
		if (st === 0)
			return `ok ${out}`;
		if (st !== 1)
			return `fail imgcmp: ${out}`;
		await sleep(150);
	}
	return `fail canvas differs after ${opt.timeout}s: ${out}` +
		(file ? ` (canvas kept in ${file})` : '');
}

async function cmdSize(w, h) {
	if (!page)
		return 'fail no page open';
	const end = Date.now() + timeoutMs;
	let dim = null;
	while (Date.now() < end) {
		const s = await summary();
		if (broken(s))
			return `fail connection lost: ${describe(s)}`;
		dim = await page.evaluate(() => window.xt.canvasSize());
		if (dim === `${w}x${h}`)
			return `ok canvas ${dim}`;
		await sleep(100);
	}
	return `fail canvas is ${dim}, not ${w}x${h}`;
}

async function cmdState() {
	const s = await summary();
	if (broken(s))
		return `fail ${describe(s)} ${consoleLines.join(' | ')}`;
	return `ok ${describe(s)}`;
}

// Disconnect; the page stays for the next connection.
async function cmdDisconnect() {
	if (!page)
		return 'ok nothing open';
	const s = await summary().catch(() => null);
	await page.evaluate(() => window.xt.disconnect()).catch(() => {});
	return `ok disconnected ${describe(s)}`;
}

async function cmdClose() {
	if (!page)
		return 'ok nothing open';
	const s = await summary().catch(() => null);
	await page.evaluate(() => window.xt && window.xt.disconnect())
		.catch(() => {});
	await page.close().catch(() => {});
	page = null;
	pageLib = null;
	return `ok closed ${describe(s)}`;
}

// Where pages come from, and where noVNC connects: the next open loads
// its page afresh.
async function cmdBase(url) {
	if (!url)
		return 'fail usage: base URL';
	if (page)
		await cmdClose();
	opt.base = url.endsWith('/') ? url : `${url}/`;
	return `ok pages from ${opt.base}`;
}

async function cmdTarget(hostPort) {
	if (!hostPort)
		return 'fail usage: target HOST:PORT|-';
	if (page)
		await cmdClose();
	wsTarget = hostPort === '-' ? null : hostPort;
	return `ok noVNC connects to ${wsTarget || "the page's own host"}`;
}

// Keys go where noVNC listens for them once it has the focus; the page
// makes connections view-only, so that nothing else sends input.
async function focusNoVNC() {
	await page.bringToFront();
	await page.evaluate(() => {
		window.xt.rfb.viewOnly = false;
		window.xt.rfb.focus();
	});
}

async function cmdType(text) {
	if (!page)
		return 'fail no page open';
	await focusNoVNC();
	await page.keyboard.type(text, { delay: 5 });
	return `ok typed ${text.length} characters`;
}

async function cmdKey(name) {
	if (!page)
		return 'fail no page open';
	await focusNoVNC();
	await page.keyboard.press(name);
	return `ok pressed ${name}`;
}

// noVNC's own page marks the document "noVNC_connected" once connected.
async function cmdUi(path) {
	if (!path)
		return 'fail usage: ui PATH';
	const ctx = browser.contexts()[0] || await browser.newContext();
	const p = await ctx.newPage();
	const lines = [];
	p.on('pageerror', (e) => lines.push(`pageerror: ${e}`));
	try {
		await p.goto(`${opt.base}${path}?autoconnect=true&` +
			     'reconnect=false&resize=off', { timeout: timeoutMs });
		const end = Date.now() + timeoutMs;
		while (Date.now() < end) {
			const st = await p.evaluate(() => ({
				connected: document.documentElement.classList
					.contains('noVNC_connected'),
				status: (document.getElementById('noVNC_status') ||
					 {}).textContent || '',
			}));
			if (st.connected)
				return `ok ${path} connected ("${st.status.trim()}")`;
			await sleep(100);
		}
		const st = await p.evaluate(() => (document.getElementById(
			'noVNC_status') || {}).textContent || '');
		return `fail ${path} did not connect: "${st.trim()}" ` +
			lines.join(' | ');
	} finally {
		await p.close().catch(() => {});
	}
}

// ---- noVNC's own page, opened at a given URL -------------------------------

let watchPage = null;

// Every message the page sends over a WebSocket, counted by its first
// byte (noVNC sends each input event as a message of its own).
function countSends() {
	window.__xtSent = {};
	const send = WebSocket.prototype.send;
	WebSocket.prototype.send = function (data) {
		const u = data instanceof ArrayBuffer ? new Uint8Array(data) :
			new Uint8Array(data.buffer, data.byteOffset,
				       data.byteLength);
		if (u.length)
			window.__xtSent[u[0]] = (window.__xtSent[u[0]] || 0) + 1;
		return send.call(this, data);
	};
}

function watchStatus(p) {
	return p.evaluate(() => ({
		connected: document.documentElement.classList
			.contains('noVNC_connected'),
		status: ((document.getElementById('noVNC_status') || {})
			.textContent || '').trim(),
	}));
}

async function openWatch(url) {
	if (watchPage)
		await watchPage.close().catch(() => {});
	const ctx = browser.contexts()[0] || await browser.newContext();
	watchPage = await ctx.newPage();
	await watchPage.addInitScript(countSends);
	await watchPage.goto(url, { timeout: timeoutMs });
}

// Open @url; wait until the page shows it is connected (@refused: that
// it could not connect).
async function cmdWatch(url, refused) {
	if (!url)
		return `fail usage: watch${refused ? '-refused' : ''} URL`;
	await openWatch(url);
	const end = Date.now() + timeoutMs;
	let st = null;
	while (Date.now() < end) {
		st = await watchStatus(watchPage);
		if (st.connected)
			return `${refused ? 'fail' : 'ok'} connected ` +
				`("${st.status}")`;
		if (refused && /fail|disconnect|closed/i.test(st.status))
			return `ok refused ("${st.status}")`;
		await sleep(100);
	}
	return `fail ${refused ? 'no word of a refusal' : 'did not connect'}` +
		`: "${st && st.status}"`;
}

function watchGrab() {
	return watchPage.evaluate(() => {
		const c = document.querySelector('#noVNC_container canvas');
		if (!c || !c.width || !c.height)
			return null;
		const d = c.getContext('2d').getImageData(0, 0, c.width,
							  c.height).data;
		let s = '';
		for (let i = 0; i < d.length; i += 0x8000)
			s += String.fromCharCode.apply(null,
						       d.subarray(i, i + 0x8000));
		return { width: c.width, height: c.height, rgba: btoa(s) };
	});
}

async function cmdWatchMatch(ref) {
	if (!watchPage)
		return 'fail no watch page';
	if (!ref)
		return 'fail usage: watch-match REF';
	const end = Date.now() + timeoutMs;
	let out = 'no canvas yet', file = null;
	while (Date.now() < end) {
		file = toPpm(await watchGrab());
		if (file) {
			const r = spawnSync(opt.imgcmp, [file, ref],
					    { encoding: 'utf8' });
			out = `${r.stdout}${r.stderr}`.trim()
				.replace(/\s+/g, ' ');
			if (r.status === 0)
				return `ok ${out}`;
			if (r.status !== 1)
				return `fail imgcmp: ${out}`;
		}
		await sleep(150);
	}
	return `fail canvas differs after ${opt.timeout}s: ${out}` +
		(file ? ` (canvas kept in ${file})` : '');
}

async function watchClickType(text) {
	const c = await watchPage.$('#noVNC_container canvas');
	const box = c && await c.boundingBox();
	if (!box)
		throw new Error('no canvas on the page');
	await watchPage.bringToFront();
	await watchPage.mouse.click(box.x + box.width / 2,
				    box.y + box.height / 2);
	await watchPage.keyboard.type(text, { delay: 5 });
}

async function cmdWatchInput(text) {
	if (!watchPage)
		return 'fail no watch page';
	if (!text)
		return 'fail usage: watch-input TEXT';
	const before = await watchPage.evaluate(() =>
		({ ...window.__xtSent }));
	await watchClickType(text);
	// What a page could do whatever the URL says: input on.
	await watchPage.evaluate(() => {
		const cb = document.getElementById('noVNC_setting_view_only');
		cb.checked = false;
		cb.dispatchEvent(new Event('change'));
	});
	await watchClickType(text);
	const after = await watchPage.evaluate(() => window.__xtSent);
	const sent = Object.keys(after).map((k) =>
		`${k}:${after[k] - (before[k] || 0)}`)
		.filter((e) => !e.endsWith(':0'));
	return `ok sent ${sent.join(' ') || 'nothing'}`;
}

async function cmdWatchClose() {
	if (!watchPage)
		return 'ok nothing open';
	await watchPage.close().catch(() => {});
	watchPage = null;
	return 'ok closed';
}

async function run(line) {
	const [cmd, ...args] = line.trim().split(/\s+/);
	switch (cmd) {
	case 'base': return cmdBase(args[0]);
	case 'target': return cmdTarget(args[0]);
	case 'type': return cmdType(line.replace(/^\s*type /, ''));
	case 'key': return cmdKey(args[0]);
	case 'ui': return cmdUi(args[0]);
	case 'watch': return cmdWatch(args[0], false);
	case 'watch-refused': return cmdWatch(args[0], true);
	case 'watch-match': return cmdWatchMatch(args[0]);
	case 'watch-input':
		return cmdWatchInput(line.replace(/^\s*watch-input /, ''));
	case 'watch-close': return cmdWatchClose();
	case 'open': return cmdOpen(args[0], args[1], args[2], args[3]);
	case 'match': return cmdMatch(args[0], args.slice(1));
	case 'size': return cmdSize(args[0], args[1]);
	case 'state': return cmdState();
	case 'disconnect': return cmdDisconnect();
	case 'close': return cmdClose();
	case '': return 'fail empty command';
	default: return `fail unknown command ${cmd}`;
	}
}

async function main() {
	browser = await chromium.connectOverCDP(opt.cdp,
						{ timeout: timeoutMs });
	const rl = createInterface({ input: process.stdin });
	for await (const line of rl) {
		if (line.trim() === 'quit')
			break;
		let answer;
		try {
			answer = await run(line);
		} catch (e) {
			answer = `fail ${String(e).replace(/\s+/g, ' ')}`;
		}
		process.stdout.write(`${answer}\n`);
	}
	if (page)
		await cmdClose();
	await cmdWatchClose();
	// The browser is the caller's: leave it running, just go.
	process.stdout.write('ok bye\n');
	process.exit(0);
}

main().catch((e) => {
	process.stdout.write(`fail driver: ${String(e).replace(/\s+/g, ' ')}\n`);
	process.exit(1);
});
