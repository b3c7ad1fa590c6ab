/* SPDX-License-Identifier: MIT */
/*
 * The program's check of a user name and password (the Plain VeNCrypt
 * types, RSA-AES subtype 1): the name must be in --users (when given),
 * and PAM's service --pam-service must authenticate the pair and allow
 * the account. Users listed in
 * --view-only-users get in as viewers only. The password goes to PAM
 * through the conversation function and nowhere else.
 */
#include "config.h"

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pam.h"

struct conv_data {
	const char *user, *password;
};

static int conversation(int n, const struct pam_message **msg,
			struct pam_response **resp, void *arg)
{
	struct conv_data *cd = arg;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *answer = NULL;

		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			answer = cd->password;
		else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			answer = cd->user;
		if (answer && !(r[i].resp = strdup(answer))) {
			for (int k = 0; k < i; k++)
				free(r[k].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* Whether @user is one of the comma-separated @list. */
static bool in_list(const char *list, const char *user)
{
	size_t n = strlen(user);

	while (list && *list) {
		size_t k = strcspn(list, ",");

		if (k == n && !strncmp(list, user, n))
			return true;
		list += k;
		if (*list == ',')
			list++;
	}
	return false;
}

bool pam_auth_check(void *arg, const char *user, const char *password,
		    bool *view_only)
{
	const struct pam_auth *pa = arg;
	struct conv_data cd = { user, password };
	struct pam_conv conv = { conversation, &cd };
	pam_handle_t *h = NULL;
	int r;

	if (!user[0] || (pa->users && !in_list(pa->users, user) &&
			 !in_list(pa->view_users, user)))
		return false;
	r = pam_start(pa->service, user, &conv, &h);
	if (r == PAM_SUCCESS)
		r = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
	if (r != PAM_SUCCESS && h)
		log_debug("PAM %s: %s", pa->service, pam_strerror(h, r));
	if (h)
		pam_end(h, r);
	*view_only = in_list(pa->view_users, user);
	return r == PAM_SUCCESS;
}
