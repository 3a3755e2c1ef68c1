// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libcurl through dlopen (curl_dl.h says why). */
#include "curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct ef_curl_api api;
static const struct ef_curl_api *loaded;
static char load_err[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* The symbol behind each member of the api. */
#define CURL_SYM(member, name)                             \
	{                                                  \
		offsetof(struct ef_curl_api, member), name \
	}
static const struct {
	size_t off;
	const char *name;
} curl_syms[] = {
	CURL_SYM(easy_init, "curl_easy_init"),
	CURL_SYM(easy_cleanup, "curl_easy_cleanup"),
	CURL_SYM(easy_reset, "curl_easy_reset"),
	CURL_SYM(easy_setopt, "curl_easy_setopt"),
	CURL_SYM(easy_perform, "curl_easy_perform"),
	CURL_SYM(easy_getinfo, "curl_easy_getinfo"),
	CURL_SYM(easy_strerror, "curl_easy_strerror"),
	CURL_SYM(slist_append, "curl_slist_append"),
	CURL_SYM(slist_free_all, "curl_slist_free_all"),
};

static void load(void)
{
	CURLcode (*global_init)(long flags);
	void *lib = dlopen(EF_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(load_err, sizeof(load_err), "cannot load %s (install libcurl4): %s",
			 EF_CURL_SONAME, dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(curl_syms) / sizeof(curl_syms[0]); i++) {
		void *fn = dlsym(lib, curl_syms[i].name);

		if (!fn) {
			snprintf(load_err, sizeof(load_err),
				 "%s has no %s: install libcurl4 7.85 or later", EF_CURL_SONAME,
				 curl_syms[i].name);
			goto fail;
		}
		*(void **)((char *)&api + curl_syms[i].off) = fn;
	}
	*(void **)&global_init = dlsym(lib, "curl_global_init");
	if (!global_init || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(load_err, sizeof(load_err), "%s: curl_global_init failed", EF_CURL_SONAME);
		goto fail;
	}
	loaded = &api;
	return;
fail:
	dlclose(lib);
}

const struct ef_curl_api *ef_curl_api(char *err, size_t len)
{
	pthread_once(&load_once, load);
	if (!loaded && err && len)
		snprintf(err, len, "%s", load_err);
	return loaded;
}
