#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gvnc-view: a bare viewer on gtk-vnc's own widget, for the integration
tests. gvncviewer, gtk-vnc's example viewer, always allows lossy (JPEG)
encodings and cannot choose one; this window holds nothing but the same
VncDisplay widget and can do both: by default it asks for no JPEG quality
(so Tight stays lossless), and --encodings replaces the list gtk-vnc sends
with the given encodings plus the pseudo-encodings that keep the picture
comparable (cursor shapes, so the cursor is not drawn into the pixels;
desktop size; last rect). Decoding and drawing are gtk-vnc's.

With --debug, gtk-vnc logs every rectangle it decodes ("FramebufferUpdate
type=N ...") on standard error.

usage: gvnc-view.py [--encodings "zrle copyrect"] [--lossy] [--debug]
                    HOST PORT
The exit status is 1 when the connection ends, 0 when the window is closed.
"""
import argparse
import sys

import gi

gi.require_version('Gtk', '3.0')
gi.require_version('GtkVnc', '2.0')
gi.require_version('GVnc', '1.0')
from gi.repository import GVnc, Gtk, GtkVnc  # noqa: E402

ENCODINGS = {'raw': 0, 'copyrect': 1, 'rre': 2, 'hextile': 5, 'zlib': 6,
             'tight': 7, 'zrle': 16}
# Cursor, XCursor, DesktopSize, ExtendedDesktopSize, LastRect, DesktopName
PSEUDO = [-239, -240, -223, -308, -224, -307]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--encodings', default='')
    ap.add_argument('--lossy', action='store_true')
    ap.add_argument('--debug', action='store_true')
    ap.add_argument('host')
    ap.add_argument('port')
    args = ap.parse_args()
    try:
        wanted = [ENCODINGS[e] for e in args.encodings.split()]
    except KeyError as e:
        ap.error(f'unknown encoding {e}')
    GVnc.util_set_debug(args.debug)

    status = {'code': 0}
    win = Gtk.Window(title='gvnc-view')
    win.set_decorated(False)
    win.move(0, 0)
    vnc = GtkVnc.Display()
    vnc.set_lossy_encoding(args.lossy)
    vnc.set_pointer_local(False)
    win.add(vnc)

    def initialized(display):
        conn = display.get_connection()
        if wanted:
            # gtk-vnc sent its own list and a full request before this
            # signal: replace the list and ask for everything again
            conn.set_encodings(wanted + PSEUDO)
            conn.framebuffer_update_request(False, 0, 0,
                                            display.get_width(),
                                            display.get_height())
        print(f'initialized {display.get_width()}x{display.get_height()}',
              flush=True)

    def disconnected(display):
        print('disconnected', flush=True)
        status['code'] = 1
        Gtk.main_quit()

    vnc.connect('vnc-initialized', initialized)
    vnc.connect('vnc-disconnected', disconnected)
    win.connect('destroy', lambda w: Gtk.main_quit())
    vnc.open_host(args.host, args.port)
    win.show_all()
    Gtk.main()
    return status['code']


if __name__ == '__main__':
    sys.exit(main())
