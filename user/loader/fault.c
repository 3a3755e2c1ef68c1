// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SITE_MAX 48

static struct {
	bool parsed; /* EDGEFW_FAULT read */
	bool armed;  /* a fault is still to fire */
	bool any;    /* count every site */
	char site[SITE_MAX];
	unsigned nth;      /* the call to fail, from 1 */
	unsigned seen;     /* calls at the site (or anywhere) so far */
	unsigned calls;    /* ef_fault() calls since arming */
	const char *fired; /* the site that failed */
} fault;

int ef_fault_rearm(void)
{
	const char *spec = getenv(EF_FAULT_ENV);
	const char *colon;
	size_t len;

	memset(&fault, 0, sizeof(fault));
	fault.parsed = true;
	if (!spec || !*spec)
		return 0;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	fault.nth = 1;
	if (colon) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || !n || n > 1000000) {
			ef_log_err(
				"%s=%s: the count after ':' must be a number from 1 (e.g. any:3); fault injection is off",
				EF_FAULT_ENV, spec);
			return -EINVAL;
		}
		fault.nth = (unsigned)n;
	}
	if (!len || len >= SITE_MAX) {
		ef_log_err("%s=%s: expected SITE[:N] or any:N; fault injection is off",
			   EF_FAULT_ENV, spec);
		return -EINVAL;
	}
	memcpy(fault.site, spec, len);
	fault.any = !strcmp(fault.site, "any");
	fault.armed = true;
	return 0;
}

int ef_fault(const char *site)
{
	if (!fault.parsed)
		ef_fault_rearm();
	if (!fault.armed)
		return 0;
	fault.calls++;
	if (!fault.any && strcmp(site, fault.site))
		return 0;
	if (++fault.seen != fault.nth)
		return 0;
	fault.armed = false;
	fault.fired = site;
	ef_log_warn("%s: injecting a failure at %s (call %u of the reload path)", EF_FAULT_ENV,
		    site, fault.calls);
	errno = ECANCELED;
	return -ECANCELED;
}

unsigned ef_fault_calls(void)
{
	return fault.seen;
}

const char *ef_fault_fired(void)
{
	return fault.fired;
}
