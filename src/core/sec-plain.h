/* SPDX-License-Identifier: MIT */
/* The Plain VeNCrypt subtype's credentials (rfbproto.rst, "Plain"). */
#ifndef XRFB_SEC_PLAIN_H
#define XRFB_SEC_PLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rfb-proto.h"

struct plain_creds {
	char user[RFB_PLAIN_MAX_FIELD + 1];
	char password[RFB_PLAIN_MAX_FIELD + 1];
};

/* Parse U32 user-length, U32 password-length, user, password: bytes
 * consumed (> 0), 0 for more, -EMSGSIZE if a field is longer than
 * RFB_PLAIN_MAX_FIELD, -EINVAL if one holds a NUL. */
ssize_t sec_plain_parse(const uint8_t *d, size_t len, struct plain_creds *out);
/* Wipe the password. */
void sec_plain_clear(struct plain_creds *pc);

#endif
