/* SPDX-License-Identifier: MIT */
/* User name and password checks with PAM, for the Plain VeNCrypt types
 * and the RSA-AES types. */
#ifndef XRFB_PAM_H
#define XRFB_PAM_H

#include <stdbool.h>

struct pam_auth {
	const char *service;	/* the PAM service (/etc/pam.d/NAME) */
	const char *users;	/* "a,b": only these may log in; NULL: any */
	const char *view_users;	/* "c,d": these may only watch */
};

/* An xrfb_plain_check_fn: @arg is a struct pam_auth, only read. Blocks
 * while PAM works (a module's failure delay included), on a thread of
 * the library's; each call has a PAM handle of its own. */
bool pam_auth_check(void *arg, const char *user, const char *password,
		    bool *view_only);

#endif
