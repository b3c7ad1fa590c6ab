/* SPDX-License-Identifier: MIT */
/* The server object behind the public API; its state is server-state.h. */
#ifndef XRFB_SERVER_H
#define XRFB_SERVER_H

#include "server-state.h"

#endif
