/* SPDX-License-Identifier: MIT */
/* Writing JSON text into a struct buf (the ready record, control replies
 * and events). */
#ifndef XRFB_JSON_H
#define XRFB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append @s as a JSON string (quoted and escaped; NULL gives null).
 * Bytes that are not valid UTF-8 become U+FFFD. */
void json_str(struct buf *b, const char *s);
/* Append "key": (with a comma before it unless it opens the object). */
void json_key(struct buf *b, const char *key);
/* Append text as it is (punctuation, numbers). */
void json_raw(struct buf *b, const char *text);
/* "key": value, for the common kinds. */
void json_kv_str(struct buf *b, const char *key, const char *value);
void json_kv_int(struct buf *b, const char *key, long long value);
void json_kv_bool(struct buf *b, const char *key, bool value);

#endif
