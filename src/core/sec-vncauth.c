/* SPDX-License-Identifier: MIT */
/*
 * VNC Authentication: DES-ECB of a 16-byte challenge keyed by the first 8
 * bytes of the password, with the bit order of every key byte reversed
 * (RFB treats bit 0 as DES's first bit; doc/protocol.md, "VNC
 * authentication"). DES is nettle's.
 * Also the security type's exchange: a challenge out, the response in,
 * checked against the password and then the view-only one, whose
 * clients may only watch.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <nettle/des.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "sec-vncauth.h"
#include "server-state.h"
#include "conn.h"

/* The fixed key vncpasswd files are obfuscated with. */
static const uint8_t vncpasswd_key[8] = { 23, 82, 107, 6, 35, 78, 88, 7 };

static uint8_t reverse_bits(uint8_t b)
{
	b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
	b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
	b = (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
	return b;
}

static void vnc_des_key(struct des_ctx *ctx, const uint8_t raw[8])
{
	uint8_t key[8];

	for (int i = 0; i < 8; i++)
		key[i] = reverse_bits(raw[i]);
	/* A weak key still sets the schedule; VNC has no say in it. */
	des_set_key(ctx, key);
}

static void password_key(const char *password, uint8_t key[8])
{
	size_t n = password ? strlen(password) : 0;

	memset(key, 0, 8);
	if (n)
		memcpy(key, password, n > 8 ? 8 : n);
}

int vncauth_challenge(uint8_t challenge[VNCAUTH_CHALLENGE_LEN])
{
	size_t got = 0;

	while (got < VNCAUTH_CHALLENGE_LEN) {
		ssize_t n = getrandom(challenge + got,
				      VNCAUTH_CHALLENGE_LEN - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

void vncauth_response(const char *password,
		      const uint8_t challenge[VNCAUTH_CHALLENGE_LEN],
		      uint8_t response[VNCAUTH_CHALLENGE_LEN])
{
	struct des_ctx ctx;
	uint8_t key[8];

	password_key(password, key);
	vnc_des_key(&ctx, key);
	des_encrypt(&ctx, VNCAUTH_CHALLENGE_LEN, response, challenge);
}

bool vncauth_check(const char *password,
		   const uint8_t challenge[VNCAUTH_CHALLENGE_LEN],
		   const uint8_t response[VNCAUTH_CHALLENGE_LEN])
{
	uint8_t expect[VNCAUTH_CHALLENGE_LEN];
	uint8_t diff = 0;

	vncauth_response(password, challenge, expect);
	for (int i = 0; i < VNCAUTH_CHALLENGE_LEN; i++)
		diff |= (uint8_t)(expect[i] ^ response[i]);
	return diff == 0;
}

void vncauth_unobfuscate(const uint8_t in[8], char out[9])
{
	struct des_ctx ctx;

	vnc_des_key(&ctx, vncpasswd_key);
	des_decrypt(&ctx, 8, (uint8_t *)out, in);
	out[8] = '\0';
}

void vncauth_obfuscate(const char *password, uint8_t out[8])
{
	struct des_ctx ctx;
	uint8_t key[8];

	password_key(password, key);
	vnc_des_key(&ctx, vncpasswd_key);
	des_encrypt(&ctx, 8, out, key);
}

/* ---- the security type ------------------------------------------------- */

static bool vncauth_offered(const struct xrfb_server *s)
{
	return s->password != NULL;
}

static int vncauth_start(struct conn *conn, void **state)
{
	uint8_t *challenge = malloc(VNCAUTH_CHALLENGE_LEN);

	if (!challenge)
		return -ENOMEM;
	if (vncauth_challenge(challenge) < 0) {
		free(challenge);
		conn_close(conn, "no random bytes for the challenge");
		return -EIO;
	}
	*state = challenge;
	conn_send(conn, challenge, VNCAUTH_CHALLENGE_LEN);
	return SEC_CONTINUE;
}

static ssize_t vncauth_on_read(struct conn *conn, void *state,
			       const uint8_t *d, size_t len,
			       enum sec_result *result)
{
	const struct xrfb_server *s = conn->server;

	if (len < VNCAUTH_CHALLENGE_LEN)
		return 0;
	if (vncauth_check(s->password, state, d)) {
		*result = SEC_OK;
	} else if (s->password_view &&
		   vncauth_check(s->password_view, state, d)) {
		/* The view-only password: in, to watch. */
		log_info("client %u (%s): view-only password", conn->id,
			 conn->peer);
		conn->view_only = true;
		*result = SEC_OK;
	} else {
		*result = SEC_FAILED;
	}
	return VNCAUTH_CHALLENGE_LEN;
}

const struct sec_ops sec_vncauth_ops = {
	.offered = vncauth_offered,
	.start = vncauth_start,
	.on_read = vncauth_on_read,
	.free_state = free,
};
