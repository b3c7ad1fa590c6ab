#!/bin/bash
# The layers stay apart (see the comment at the top of Makefile.am): no X11
# header and no X11-side header in the core, only the allowed core headers
# in the X11 source and the program, and no include cycle between modules.
T_LIBRARY_ONLY=1
. "$(dirname "$0")/../lib.sh"

t_require python3
python3 "$XRFB_TOP_SRCDIR/scripts/check-layers.py" "$XRFB_TOP_SRCDIR" ||
	t_fail "the layering is broken (see above)"
t_pass
