/* SPDX-License-Identifier: MIT */
/*
 * Wire constants of the RFB protocol (RFC 6143 and the community spec,
 * rfbproto.rst). Every client message has a maximum length here: a message
 * longer than that closes its client.
 */
#ifndef XRFB_RFB_PROTO_H
#define XRFB_RFB_PROTO_H

#define RFB_VERSION_LEN 12

enum rfb_security {
	RFB_SEC_INVALID = 0,
	RFB_SEC_NONE = 1,
	RFB_SEC_VNC_AUTH = 2,
	RFB_SEC_RA2 = 5,
	RFB_SEC_RA2NE = 6,
	RFB_SEC_TIGHT = 16,
	RFB_SEC_VENCRYPT = 19,
	RFB_SEC_RA2_256 = 129,
	RFB_SEC_RA2NE_256 = 130,
};

/* VeNCrypt subtypes (rfbproto.rst, "VeNCrypt"); 1..255 are the plain
 * security types, allowed in the subtype list too. */
enum rfb_vencrypt {
	RFB_VENCRYPT_PLAIN = 256,
	RFB_VENCRYPT_TLS_NONE = 257,
	RFB_VENCRYPT_TLS_VNC = 258,
	RFB_VENCRYPT_TLS_PLAIN = 259,
	RFB_VENCRYPT_X509_NONE = 260,
	RFB_VENCRYPT_X509_VNC = 261,
	RFB_VENCRYPT_X509_PLAIN = 262,
};

/* Longest user name and password the Plain subtype accepts. */
#define RFB_PLAIN_MAX_FIELD 1024

enum rfb_security_result {
	RFB_SEC_RESULT_OK = 0,
	RFB_SEC_RESULT_FAILED = 1,
};

/* Client to server. */
enum rfb_client_msg {
	RFB_MSG_SET_PIXEL_FORMAT = 0,
	RFB_MSG_SET_ENCODINGS = 2,
	RFB_MSG_FB_UPDATE_REQUEST = 3,
	RFB_MSG_KEY_EVENT = 4,
	RFB_MSG_POINTER_EVENT = 5,
	RFB_MSG_CLIENT_CUT_TEXT = 6,
	RFB_MSG_ENABLE_CONTINUOUS_UPDATES = 150,
	RFB_MSG_CLIENT_FENCE = 248,
	RFB_MSG_XVP = 250,
	RFB_MSG_SET_DESKTOP_SIZE = 251,
	RFB_MSG_QEMU = 255,
};

/* Server to client. */
enum rfb_server_msg {
	RFB_MSG_FB_UPDATE = 0,
	RFB_MSG_SET_COLOUR_MAP_ENTRIES = 1,
	RFB_MSG_BELL = 2,
	RFB_MSG_SERVER_CUT_TEXT = 3,
	RFB_MSG_END_OF_CONTINUOUS_UPDATES = 150,
	RFB_MSG_SERVER_FENCE = 248,
};

enum rfb_encoding {
	RFB_ENC_RAW = 0,
	RFB_ENC_COPYRECT = 1,
	RFB_ENC_RRE = 2,
	RFB_ENC_CORRE = 4,
	RFB_ENC_HEXTILE = 5,
	RFB_ENC_ZLIB = 6,
	RFB_ENC_TIGHT = 7,
	RFB_ENC_ZLIBHEX = 8,
	RFB_ENC_TRLE = 15,
	RFB_ENC_ZRLE = 16,
	RFB_ENC_ZYWRLE = 17,
	RFB_ENC_H264 = 50,
	RFB_ENC_TIGHT_PNG = -260,

	RFB_ENC_QUALITY_0 = -32,	/* .. -23 = level 9 */
	RFB_ENC_QUALITY_9 = -23,
	RFB_ENC_DESKTOP_SIZE = -223,
	RFB_ENC_LAST_RECT = -224,
	RFB_ENC_POINTER_POS = -232,
	RFB_ENC_CURSOR = -239,
	RFB_ENC_XCURSOR = -240,
	RFB_ENC_COMPRESS_0 = -256,	/* .. -247 = level 9 */
	RFB_ENC_COMPRESS_9 = -247,
	RFB_ENC_QEMU_POINTER_MOTION = -257,
	RFB_ENC_QEMU_EXT_KEY = -258,
	RFB_ENC_QEMU_LED = -261,
	RFB_ENC_DESKTOP_NAME = -307,
	RFB_ENC_EXT_DESKTOP_SIZE = -308,
	RFB_ENC_XVP = -309,
	RFB_ENC_FENCE = -312,
	RFB_ENC_CONTINUOUS_UPDATES = -313,
	RFB_ENC_CURSOR_ALPHA = -314,
	RFB_ENC_EXT_MOUSE_BUTTONS = -316,
	RFB_ENC_TIGHT_NOZLIB = -317,
	RFB_ENC_FINE_QUALITY_0 = -512,	/* .. -412 = 100 */
	RFB_ENC_FINE_QUALITY_100 = -412,
	RFB_ENC_SUBSAMP_1X = -768,	/* .. -763 */
	RFB_ENC_SUBSAMP_16X = -763,
	RFB_ENC_EXT_CLIPBOARD = (int)0xC0A1E5CE,
};

enum rfb_subsampling {
	RFB_SUBSAMP_1X = 0,	/* 4:4:4 */
	RFB_SUBSAMP_4X = 1,	/* 4:2:0 */
	RFB_SUBSAMP_2X = 2,	/* 4:2:2 */
	RFB_SUBSAMP_GRAY = 3,
	RFB_SUBSAMP_8X = 4,
	RFB_SUBSAMP_16X = 5,
};

/* Fixed sizes and limits of client messages (type byte included). */
#define RFB_SET_PIXEL_FORMAT_LEN 20
#define RFB_SET_ENCODINGS_HDR_LEN 4
#define RFB_SET_ENCODINGS_MAX 1024	/* entries; real clients send < 64 */
#define RFB_FB_UPDATE_REQUEST_LEN 10
#define RFB_KEY_EVENT_LEN 8
#define RFB_POINTER_EVENT_LEN 6
#define RFB_CUT_TEXT_HDR_LEN 8
#define RFB_CUT_TEXT_MAX (10u << 20)	/* default --clipboard-max */
#define RFB_ENABLE_CU_LEN 10
#define RFB_FENCE_HDR_LEN 9
#define RFB_FENCE_PAYLOAD_MAX 64
#define RFB_SET_DESKTOP_SIZE_HDR_LEN 8
#define RFB_SCREEN_LEN 16
#define RFB_QEMU_KEY_EVENT_LEN 12

#define RFB_RECT_HDR_LEN 12
/* H.264 rectangles: U32 length, U32 flags, then the Annex B stream
 * (doc/protocol.md, "H.264"). */
#define RFB_H264_HDR_LEN 8
#define RFB_H264_RESET_CONTEXT 1u
#define RFB_H264_RESET_ALL_CONTEXTS 2u
#define RFB_FB_UPDATE_HDR_LEN 4

#endif
