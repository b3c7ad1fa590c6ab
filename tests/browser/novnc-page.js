// SPDX-License-Identifier: MIT
//
// Test page module: loads the noVNC tree named by ?novnc=DIR and connects
// its RFB object straight to xrfb, which serves this page too, as
// often as the test asks (xt.connect), and exposes what the test needs as
// window.xt: the connection state and failure reason, the rectangles
// decoded per encoding, the messages noVNC must never receive, and the
// canvas pixels (xt.grab) or their comparison with a reference image
// (xt.compare).
//
// noVNC picks its encodings itself (RFB._sendEncodings) and xrfb uses the
// first encoding of the client's list it implements. To make noVNC ask for
// one encoding, this page wraps RFB.messages.clientEncodings, the function
// that writes SetEncodings, and rewrites the list noVNC built: the chosen
// encodings first ("copyrect+hextile" lists both), Raw after them, every
// pseudo-encoding noVNC asked for kept, except the JPEG quality levels (so
// Tight stays lossless). With "default" the list is sent untouched.

const params = new URLSearchParams(location.search);
const lib = params.get('novnc') || 'novnc';
const path = params.get('path') || 'websockify';
// Where to connect: the host and port that served this page, unless
// ?ws=HOST:PORT says otherwise.
const target = params.get('ws') || location.host;

const ENCODINGS = {
	raw: 0, copyrect: 1, rre: 2, hextile: 5, zlib: 6, tight: 7,
	zrle: 16, jpeg: 21, h264: 50, tightpng: -260,
};
const NAMES = Object.fromEntries(
	Object.entries(ENCODINGS).map(([k, v]) => [v, k]));
const QUALITY_FIRST = -32, QUALITY_LAST = -23;

// xt.connect(mode) starts a connection; the fields below describe the
// newest one. xt.ready is set once the noVNC module is loaded.
const xt = {
	lib,
	ready: false,
	version: '',
	rfb: null,
	mode: '', state: 'loading', reason: '', clean: null, rects: {},
	sentEncodings: [], colourMapMessages: 0, serverFences: 0, resizes: 0,
};
window.xt = xt;
let mode = 'default';
let RFB = null;

function rewrite(list) {
	if (mode === 'default')
		return list;
	const out = [];
	for (const name of mode.split('+')) {
		if (!(name in ENCODINGS))
			throw new Error(`unknown encoding ${name}`);
		out.push(ENCODINGS[name]);
	}
	if (!out.includes(0))
		out.push(0);
	for (const e of list) {
		// Data encodings (non-negative, and TightPNG) are replaced by
		// the list above; JPEG quality hints are dropped.
		if (e >= 0 && e < 0x10000 || e === ENCODINGS.tightpng)
			continue;
		if (e >= QUALITY_FIRST && e <= QUALITY_LAST)
			continue;
		out.push(e);
	}
	return out;
}

async function main() {
	({ default: RFB } = await import(`./${lib}/core/rfb.js`));
	try {
		const r = await fetch(`./${lib}/VERSION`);
		if (r.ok)
			xt.version = (await r.text()).trim();
	} catch (e) {
		// Debian's tree has no VERSION file: the test knows its version.
	}

	const send = RFB.messages.clientEncodings;
	RFB.messages.clientEncodings = function (sock, list) {
		const out = rewrite(list.map((e) => e | 0));
		xt.sentEncodings = out;
		return send.call(this, sock, out);
	};
	xt.ready = true;
}

// Connect to xrfb (which serves this page) asking for
// the encodings @m ("hextile", "copyrect+hextile", "default"), with the
// credentials @creds ({ username, password }) if the server asks.
xt.connect = (m, creds) => {
	if (xt.rfb && xt.state === 'connected')
		xt.rfb.disconnect();
	mode = m;
	Object.assign(xt, {
		mode, state: 'connecting', reason: '', clean: null, rects: {},
		sentEncodings: [], colourMapMessages: 0, serverFences: 0,
		resizes: 0, fingerprint: '', securityType: 0,
	});
	// a page that came over HTTPS connects over WSS, as noVNC's own does
	const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
	const rfb = new RFB(document.getElementById('screen'),
			    `${scheme}://${target}/${path}`,
			    { shared: true, credentials: creds || {} });
	rfb.viewOnly = true;
	rfb.scaleViewport = false;
	rfb.clipViewport = false;
	rfb.resizeSession = false;
	xt.rfb = rfb;

	// Count what is decoded, per encoding.
	for (const [num, dec] of Object.entries(rfb._decoders)) {
		const name = NAMES[num] || `enc${num}`;
		const decode = dec.decodeRect.bind(dec);
		dec.decodeRect = (...args) => {
			const done = decode(...args);
			if (done && xt.rfb === rfb)
				xt.rects[name] = (xt.rects[name] || 0) + 1;
			return done;
		};
	}
	// Messages noVNC disconnects on: count them if they ever come.
	const colourMap = rfb._handleSetColourMapMsg.bind(rfb);
	rfb._handleSetColourMapMsg = () => {
		xt.colourMapMessages++;
		return colourMap();
	};
	const fence = rfb._handleServerFenceMsg.bind(rfb);
	rfb._handleServerFenceMsg = () => {
		xt.serverFences++;
		return fence();
	};
	const fail = rfb._fail.bind(rfb);
	rfb._fail = (details) => {
		if (xt.rfb === rfb && !xt.reason)
			xt.reason = String(details);
		return fail(details);
	};
	const resize = rfb._resize.bind(rfb);
	rfb._resize = (w, h) => {
		xt.resizes++;
		return resize(w, h);
	};

	rfb.addEventListener('connect', () => {
		if (xt.rfb === rfb)
			xt.state = 'connected';
	});
	rfb.addEventListener('disconnect', (ev) => {
		if (xt.rfb !== rfb)
			return;
		xt.state = 'disconnected';
		xt.clean = ev.detail.clean;
	});
	// RSA-AES: noVNC shows the server's key and waits. Its fingerprint
	// as TigerVNC shows it (the first 8 bytes of the SHA-1 of the key as
	// sent) is kept for the test to compare with xrfb's; then go on.
	rfb.addEventListener('serververification', async (ev) => {
		const h = new Uint8Array(await crypto.subtle.digest('SHA-1',
			ev.detail.publickey));
		if (xt.rfb === rfb)
			xt.fingerprint = Array.from(h.slice(0, 8),
				(b) => b.toString(16).padStart(2, '0')).join('-');
		rfb.approveServer();
	});
	rfb.addEventListener('securityfailure', (ev) => {
		xt.reason = `security failure: ${ev.detail.reason}`;
	});
};

function canvas() {
	return xt.rfb ? xt.rfb._canvas : null;
}

// The canvas noVNC shows, as base64 RGBA (its width and height beside).
xt.grab = () => {
	const c = canvas();
	if (!c || !c.width || !c.height)
		return null;
	const data = c.getContext('2d').getImageData(0, 0, c.width, c.height)
		.data;
	let s = '';
	for (let i = 0; i < data.length; i += 0x8000)
		s += String.fromCharCode.apply(null,
			data.subarray(i, Math.min(i + 0x8000, data.length)));
	return { width: c.width, height: c.height, rgba: btoa(s) };
};

// A reference image for xt.compare: an xwd dump of a depth 24 or 32
// true-colour display (big-endian header, pixels in the recorded byte
// order, 8-bit channels) or a binary PPM. Anything else throws, and the
// caller compares through the test's image tool instead.
function parseReference(buf) {
	const dv = new DataView(buf);
	const bytes = new Uint8Array(buf);
	if (bytes[0] === 0x50 && bytes[1] === 0x36) { // "P6"
		const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
		const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(text);
		if (!m)
			throw new Error('unsupported PPM');
		const width = +m[1], height = +m[2];
		return { width, height,
			 rgb: bytes.subarray(m[0].length,
					     m[0].length + width * height * 3) };
	}
	const word = (i) => dv.getUint32(4 * i);
	const [headerSize, version, format] = [word(0), word(1), word(2)];
	const width = word(4), height = word(5), msbFirst = word(7) === 1;
	const bpp = word(11), stride = word(12), visual = word(13);
	const masks = [word(14), word(15), word(16)];
	const ncolors = word(19);
	if (version !== 7 || format !== 2 || bpp !== 32 ||
	    (visual !== 4 && visual !== 5))
		throw new Error(`unsupported xwd (format ${format}, ` +
				`${bpp} bpp, visual class ${visual})`);
	const shifts = masks.map((m) => {
		let s = 0;
		while (m && !(m & 1)) { m >>>= 1; s++; }
		if (m !== 0xff)
			throw new Error('xwd channels are not 8 bits');
		return s;
	});
	const data = headerSize + ncolors * 12;
	const rgb = new Uint8Array(width * height * 3);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const v = dv.getUint32(data + y * stride + 4 * x,
					       !msbFirst);
			const o = 3 * (y * width + x);
			rgb[o] = (v >>> shifts[0]) & 0xff;
			rgb[o + 1] = (v >>> shifts[1]) & 0xff;
			rgb[o + 2] = (v >>> shifts[2]) & 0xff;
		}
	}
	return { width, height, rgb };
}

const references = new Map();

// Compare the canvas with the reference image at @url, exactly. Returns
// { same, width, height, refWidth, refHeight, diff, first } or throws
// when the reference is of a kind parseReference does not read.
xt.compare = async (url) => {
	let ref = references.get(url);
	if (!ref) {
		const r = await fetch(url);
		if (!r.ok)
			throw new Error(`${url}: HTTP ${r.status}`);
		ref = parseReference(await r.arrayBuffer());
		references.set(url, ref);
	}
	const c = canvas();
	const res = { same: false, width: c ? c.width : 0,
		      height: c ? c.height : 0,
		      refWidth: ref.width, refHeight: ref.height,
		      diff: -1, first: '' };
	if (res.width !== ref.width || res.height !== ref.height)
		return res;
	const px = c.getContext('2d')
		.getImageData(0, 0, res.width, res.height).data;
	const n = res.width * res.height;
	let diff = 0;
	for (let i = 0; i < n; i++) {
		if (px[4 * i] !== ref.rgb[3 * i] ||
		    px[4 * i + 1] !== ref.rgb[3 * i + 1] ||
		    px[4 * i + 2] !== ref.rgb[3 * i + 2]) {
			if (!diff)
				res.first = `(${i % res.width},` +
					`${Math.floor(i / res.width)})`;
			diff++;
		}
	}
	res.diff = diff;
	res.same = diff === 0;
	return res;
};

xt.canvasSize = () => {
	const c = canvas();
	return c ? `${c.width}x${c.height}` : null;
};

xt.summary = () => ({
	state: xt.state, reason: xt.reason, clean: xt.clean,
	rects: xt.rects, sent: xt.sentEncodings,
	colourMapMessages: xt.colourMapMessages,
	serverFences: xt.serverFences, resizes: xt.resizes,
	version: xt.version,
	fingerprint: xt.fingerprint,
	securityType: xt.rfb ? xt.rfb._rfbAuthScheme : 0,
	width: xt.rfb ? xt.rfb._fbWidth : 0,
	height: xt.rfb ? xt.rfb._fbHeight : 0,
});

xt.disconnect = () => {
	if (xt.rfb && xt.state === 'connected')
		xt.rfb.disconnect();
};

main().catch((e) => {
	xt.state = 'error';
	xt.reason = `page: ${e && e.stack ? e.stack : e}`;
});
