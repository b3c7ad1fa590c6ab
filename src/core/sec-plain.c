/* SPDX-License-Identifier: MIT */
/*
 * The Plain VeNCrypt subtype's message: a user name and a password, each
 * length-prefixed. Only parsing lives here; the check is the embedder's
 * (PAM in the program). Lengths are checked before anything is waited
 * for, so a client cannot make us buffer more than the two limits.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "sec-plain.h"

ssize_t sec_plain_parse(const uint8_t *d, size_t len, struct plain_creds *out)
{
	uint32_t ulen, plen;

	if (len < 8)
		return 0;
	ulen = get_u32(d);
	plen = get_u32(d + 4);
	if (ulen > RFB_PLAIN_MAX_FIELD || plen > RFB_PLAIN_MAX_FIELD)
		return -EMSGSIZE;
	if (len < 8 + (size_t)ulen + plen)
		return 0;
	if (memchr(d + 8, 0, ulen) || memchr(d + 8 + ulen, 0, plen))
		return -EINVAL;
	memcpy(out->user, d + 8, ulen);
	out->user[ulen] = '\0';
	memcpy(out->password, d + 8 + ulen, plen);
	out->password[plen] = '\0';
	return (ssize_t)(8 + ulen + plen);
}

void sec_plain_clear(struct plain_creds *pc)
{
	explicit_bzero(pc->password, sizeof(pc->password));
}
