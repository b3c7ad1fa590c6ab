/* SPDX-License-Identifier: MIT */
/* VNC Authentication (RFC 6143 §7.2.2) and the vncpasswd file format. */
#ifndef XRFB_SEC_VNCAUTH_H
#define XRFB_SEC_VNCAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec.h"

#define VNCAUTH_CHALLENGE_LEN 16

/* The security type: offered when the server has a password. */
extern const struct sec_ops sec_vncauth_ops;

/* Fill @challenge with fresh random bytes; -errno on failure. */
int vncauth_challenge(uint8_t challenge[VNCAUTH_CHALLENGE_LEN]);
/* The response a client holding @password sends for @challenge. */
void vncauth_response(const char *password,
		      const uint8_t challenge[VNCAUTH_CHALLENGE_LEN],
		      uint8_t response[VNCAUTH_CHALLENGE_LEN]);
/* Constant-time check of a client's response. */
bool vncauth_check(const char *password,
		   const uint8_t challenge[VNCAUTH_CHALLENGE_LEN],
		   const uint8_t response[VNCAUTH_CHALLENGE_LEN]);
/* Decode the 8 obfuscated bytes of a vncpasswd file (TigerVNC,
 * TightVNC, x11vnc -storepasswd) into a NUL-terminated password. */
void vncauth_unobfuscate(const uint8_t in[8], char out[9]);
/* Encode a password as a vncpasswd file's 8 bytes. */
void vncauth_obfuscate(const char *password, uint8_t out[8]);

#endif
