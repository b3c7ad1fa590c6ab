/* SPDX-License-Identifier: MIT */
/* xrfb ctl: the client of the control socket. */
#ifndef XRFB_CTL_H
#define XRFB_CTL_H

/* `xrfb ctl ...` with @argv[0] = "ctl"; returns the exit status. */
int ctl_main(int argc, char **argv);

#endif
