/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What control.c (socket, client) and control_request.c (one request)
 * share. Not an API: control.h is. */
#ifndef EDGEFW_CONTROL_INTERNAL_H
#define EDGEFW_CONTROL_INTERNAL_H

#include <stddef.h>

struct json_object;

/* Parses exactly one JSON value in buf[0..len), which buf[len] == '\0'
 * ends (trailing white space is fine, trailing garbage is not). On error
 * returns NULL and *why says what is wrong. */
struct json_object *efd_control_parse_json(const char *buf, size_t len,
					   const char **why);

#endif
