/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libcurl, loaded when the fleet layer first needs it (`edgefw publish`,
 * `edgefw fleet status`, edgefwd with a fleet source), not linked: linked,
 * its thirty-odd libraries (TLS, Kerberos, LDAP, SSH, ...) were loaded,
 * relocated and initialised at the start of every edgefw command, which
 * was most of the start-up of a `set add` from fail2ban. The package
 * still depends on libcurl4.
 */
#ifndef EDGEFW_CURL_DL_H
#define EDGEFW_CURL_DL_H

#include <curl/curl.h>
#include <stddef.h>

/* The functions the fleet layer calls, resolved once. */
struct ef_curl_api {
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	void (*easy_reset)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The library's soname: the one libcurl4 (OpenSSL) installs. */
#define EF_CURL_SONAME "libcurl.so.4"

/* libcurl's functions, loaded and globally initialised on the first call
 * (thread-safe); NULL when it cannot be, with the reason in err, e.g.
 * "cannot load libcurl.so.4 (install libcurl4): libcurl.so.4: cannot open
 * shared object file: No such file or directory". The library stays
 * loaded until the process exits. */
const struct ef_curl_api *ef_curl_api(char *err, size_t len);

#endif
