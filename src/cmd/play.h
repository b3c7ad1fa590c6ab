/* SPDX-License-Identifier: MIT */
/* xrfb play and xrfb export: recordings served and turned into images. */
#ifndef XRFB_PLAY_H
#define XRFB_PLAY_H

/* `xrfb play ...` with @argv[0] = "play"; returns the exit status. */
int play_main(int argc, char **argv);
/* `xrfb export ...` with @argv[0] = "export"; returns the exit status. */
int export_main(int argc, char **argv);

#endif
