/* SPDX-License-Identifier: MIT */
/*
 * Decoders the encoder round-trip tests feed: libvncclient (through a fake
 * server on a socketpair, exactly as a viewer receives updates) and the
 * small spec decoders in tests/decoders/. Each holds a client framebuffer
 * in the negotiated pixel format, wire byte order.
 */
#ifndef TEST_ENC_DECODER_H
#define TEST_ENC_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "pixfmt.h"

struct enc_decoder;

struct enc_decoder_ops {
	const char *name;
	/* A decoder with a fb_w x fb_h framebuffer in format @pf (colour
	 * map formats as BGR233 indices) that asked for @encodings (a
	 * libvncclient encodings string), QualityLevel @quality and
	 * CompressLevel @compress (-1: none). NULL on failure. */
	struct enc_decoder *(*open)(const struct pixfmt *pf, int fb_w,
				    int fb_h, const char *encodings,
				    int quality, int compress);
	/* Decode one FramebufferUpdate body of @nrects rectangles. 0 once
	 * the update is fully applied, -1 if the decoder rejected it. */
	int (*update)(struct enc_decoder *d, const uint8_t *data, size_t len,
		      int nrects);
	/* Ask the client to send new levels; 0 or -1. */
	int (*set_levels)(struct enc_decoder *d, int quality, int compress);
	/* The levels the server was last told (what an encoder must use). */
	void (*levels)(struct enc_decoder *d, int *quality, int *compress);
	const uint8_t *(*fb)(struct enc_decoder *d);
	/* Last messages the decoder logged (for failure reports). */
	const char *(*log)(struct enc_decoder *d);
	void (*close)(struct enc_decoder *d);
};

extern const struct enc_decoder_ops enc_decoder_libvncclient;
/* Raw, Hextile, ZlibHex, TRLE, ZRLE (and lossless ZYWRLE). */
extern const struct enc_decoder_ops enc_decoder_spec;

#endif
