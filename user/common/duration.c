// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "duration.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	{ "ms", 1000000ull },          { "s", 1000000000ull },         { "m", 60ull * 1000000000 },
	{ "h", 3600ull * 1000000000 }, { "d", 86400ull * 1000000000 },
};

int ef_parse_duration(const char *s, uint64_t *ns)
{
	uint64_t n = 0, mult = 1000000000ull;
	size_t i = 0;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (s[i]) {
		size_t u;

		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (!strcmp(s + i, units[u].suffix))
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		mult = units[u].ns;
	}
	if (n > EF_DURATION_MAX_NS / mult)
		return -ERANGE;
	*ns = n * mult;
	return 0;
}

void ef_format_duration(uint64_t ns, char *buf, size_t len)
{
	for (size_t u = sizeof(units) / sizeof(units[0]); u-- > 0;) {
		if (ns && ns % units[u].ns == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[u].ns),
				 units[u].suffix);
			return;
		}
	}
	if (!ns)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

void ef_iso_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}
