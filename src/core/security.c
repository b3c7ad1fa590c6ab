/* SPDX-License-Identifier: MIT */
/*
 * Which security types a server offers, and the TLS and account settings
 * behind them. The configured list (TigerVNC's order of preference)
 * becomes two lists, as TigerVNC makes them: the types offered after
 * ProtocolVersion, VeNCrypt first if any subtype is on, then None and
 * VncAuth as plain types for viewers without VeNCrypt; and VeNCrypt's own
 * subtype list, which carries None and VncAuth too (rfbproto.rst,
 * "VeNCrypt": any plain type may be listed there).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "rfb-proto.h"
#include "sec-vencrypt.h"
#include "server-state.h"
#if HAVE_GNUTLS
#include "tls.h"
#endif

uint32_t xrfb_security_type(const char *name)
{
	return sec_type_from_name(name);
}

const char *xrfb_security_name(uint32_t type)
{
	return sec_type_name(type);
}

bool xrfb_security_encrypts(uint32_t type)
{
	return sec_is_tls(type) || type == RFB_SEC_RA2 ||
	       type == RFB_SEC_RA2_256;
}

/* RSA-AES types are top-level types only, never VeNCrypt subtypes. */
static bool is_ra2(uint32_t type)
{
	return type == RFB_SEC_RA2 || type == RFB_SEC_RA2NE ||
	       type == RFB_SEC_RA2_256 || type == RFB_SEC_RA2NE_256;
}

void security_update(struct xrfb_server *s)
{
	/* The default: with a password, RSA-AES first when there is a key
	 * for it, VNC authentication last; else None. */
	static const uint32_t def_ra2[] = { RFB_SEC_RA2_256, RFB_SEC_RA2,
					    RFB_SEC_RA2NE_256, RFB_SEC_RA2NE,
					    RFB_SEC_VNC_AUTH };
	const uint32_t *types = s->sec_types;
	uint32_t def = s->password ? RFB_SEC_VNC_AUTH : RFB_SEC_NONE;
	unsigned n = s->n_sec_types;
	bool venc = false;

	if (!n && s->password && s->ra2_key) {
		types = def_ra2;
		n = sizeof(def_ra2) / sizeof(def_ra2[0]);
	} else if (!n) {
		types = &def;
		n = 1;
	}
	s->n_sec_top = s->n_sec_sub = 0;
	for (unsigned i = 0; i < n; i++)
		if (types[i] >= RFB_VENCRYPT_PLAIN)
			venc = true;
	for (unsigned i = 0; i < n; i++) {
		/* VeNCrypt first, after only the RSA-AES types that lead
		 * the list (they encrypt too, and need no TLS). */
		if (venc && !is_ra2(types[i]) && !s->n_sec_sub)
			s->sec_top[s->n_sec_top++] = RFB_SEC_VENCRYPT;
		if (types[i] < RFB_VENCRYPT_PLAIN)
			s->sec_top[s->n_sec_top++] = (uint8_t)types[i];
		if (venc && !is_ra2(types[i]))
			s->sec_sub[s->n_sec_sub++] = types[i];
	}
}

void security_fini(struct xrfb_server *s)
{
	account_fini(s);
#if HAVE_GNUTLS
	tls_ctx_free(s->tls);
	s->tls = NULL;
#endif
	free(s->password_view);
}

#if HAVE_GNUTLS
static int need_tls(struct xrfb_server *s)
{
	if (!s->tls)
		s->tls = tls_ctx_new();
	return s->tls ? 0 : -ENOMEM;
}
#endif

int xrfb_server_set_security(struct xrfb_server *s, const uint32_t *types,
			     unsigned n)
{
	if (n > SEC_MAX_TYPES - 1)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (!sec_type_name(types[i]))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (types[j] == types[i])
				return -EINVAL;
		if (sec_is_tls(types[i])) {
#if HAVE_GNUTLS
			int r = need_tls(s);

			if (r < 0)
				return r;
#else
			return -ENOTSUP;
#endif
		}
	}
	memcpy(s->sec_types, types, n * sizeof(*types));
	s->n_sec_types = n;
	security_update(s);
	return 0;
}

void xrfb_server_set_auth_ban(struct xrfb_server *s, unsigned ms)
{
	s->throttle.base_ms = ms ? ms : THROTTLE_BASE_MS;
}

void xrfb_server_set_handshake_timeout(struct xrfb_server *s, unsigned ms)
{
	s->handshake_timeout_ms = ms;
}

void xrfb_server_set_plain_check(struct xrfb_server *s,
				 xrfb_plain_check_fn fn, void *arg)
{
	s->plain_check = fn;
	s->plain_check_arg = arg;
}

int xrfb_server_set_view_password(struct xrfb_server *s,
				  const char *password)
{
	char *p = NULL;

	if (password && !(p = strdup(password)))
		return -ENOMEM;
	free(s->password_view);
	s->password_view = p;
	return 0;
}

int xrfb_server_set_tls_priority(struct xrfb_server *s, const char *priority)
{
#if HAVE_GNUTLS
	int r = need_tls(s);

	return r < 0 ? r : tls_ctx_set_priority(s->tls, priority);
#else
	(void)s;
	(void)priority;
	return -ENOTSUP;
#endif
}

int xrfb_server_set_tls_cert(struct xrfb_server *s, const char *cert,
			     const char *key, char *fingerprint, size_t len)
{
#if HAVE_GNUTLS
	char fpr[TLS_FINGERPRINT_LEN];
	int r = need_tls(s);

	if (r < 0)
		return r;
	r = tls_ctx_set_cert(s->tls, cert, key, fpr);
	if (r == 0 && fingerprint && len)
		snprintf(fingerprint, len, "%s", fpr);
	return r;
#else
	(void)s;
	(void)cert;
	(void)key;
	(void)fingerprint;
	(void)len;
	return -ENOTSUP;
#endif
}

int xrfb_tls_make_cert(const char *cert, const char *key)
{
#if HAVE_GNUTLS
	return tls_cert_make(cert, key);
#else
	(void)cert;
	(void)key;
	return -ENOTSUP;
#endif
}
