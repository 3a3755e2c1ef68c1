// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Captures with a verdict per frame: every frame of DIR/NAME.pcap runs
 * through the three hooks under DIR/rules.yaml and must get the verdict
 * DIR/NAME.expect gives it, counted where that file says. The captures and
 * their expectations are made by DIR/gen_pcaps.py (scapy). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp.h"
#include "fileio.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_GLOBAL_LEN 24
#define PCAP_RECORD_LEN 16

/* A frame, or the expectation for one. */
struct frame {
	const uint8_t *data;
	size_t len;
};

struct expectation {
	unsigned frame;
	enum dp_verdict verdict;
	char counted[80];
	char desc[160];
};

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v =
		(uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return swap ? __builtin_bswap32(v) : v;
}

/* Splits a classic pcap file (either byte order, Ethernet link type) into
 * frames pointing into buf. Returns the number of frames, or -1 with msg. */
static int pcap_frames(const uint8_t *buf, size_t len, struct frame *out, int max, char *msg,
		       size_t msg_len)
{
	size_t off = PCAP_GLOBAL_LEN;
	uint32_t magic;
	bool swap;
	int n = 0;

	if (len < PCAP_GLOBAL_LEN) {
		snprintf(msg, msg_len, "shorter than a pcap header");
		return -1;
	}
	magic = rd32(buf, false);
	swap = magic == __builtin_bswap32(PCAP_MAGIC) || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	if (!swap && magic != PCAP_MAGIC && magic != PCAP_MAGIC_NS) {
		snprintf(msg, msg_len, "not a pcap file (magic %08x; pcapng is not read)", magic);
		return -1;
	}
	if (rd32(buf + 20, swap) != PCAP_LINKTYPE_ETHERNET) {
		snprintf(msg, msg_len, "link type %u, not Ethernet", rd32(buf + 20, swap));
		return -1;
	}
	while (off < len) {
		uint32_t incl;

		if (len - off < PCAP_RECORD_LEN || n == max) {
			snprintf(msg, msg_len,
				 n == max ? "more than %d frames"
					  : "truncated record header after frame %d",
				 n == max ? max : n);
			return -1;
		}
		incl = rd32(buf + off + 8, swap);
		off += PCAP_RECORD_LEN;
		if (incl > len - off) {
			snprintf(msg, msg_len, "frame %d runs past the end of the file", n + 1);
			return -1;
		}
		out[n].data = buf + off;
		out[n].len = incl;
		n++;
		off += incl;
	}
	return n;
}

/* NAME.expect: "FRAME VERDICT COUNTED [# description]" per line, frames
 * numbered from 1; blank lines and lines starting with # are skipped. */
static int read_expect(const char *path, struct expectation *out, int max, char *msg,
		       size_t msg_len)
{
	FILE *f = fopen(path, "r");
	char line[512], verdict[16];
	int n = 0, lineno = 0;

	if (!f) {
		snprintf(msg, msg_len, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct expectation *e = &out[n];
		char *hash = strchr(line, '#');
		const char *d;

		lineno++;
		d = hash ? hash + 1 : "";
		while (*d == ' ')
			d++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (n == max || sscanf(line, "%u %15s %79s", &e->frame, verdict, e->counted) != 3 ||
		    dp_verdict_parse(verdict, &e->verdict) || e->frame != (unsigned)n + 1) {
			snprintf(msg, msg_len,
				 "%.400s:%d: want 'FRAME VERDICT COUNTED', frames in order from 1",
				 path, lineno);
			fclose(f);
			return -1;
		}
		snprintf(e->desc, sizeof(e->desc), "%.*s", (int)strcspn(d, "\r\n"), d);
		n++;
	}
	fclose(f);
	return n;
}

#define MAX_FRAMES 1024

static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ef_read_fd(fd, max, buf, len);
	close(fd);
	return ret;
}

static void run_capture(struct dp *dp, const char *dir, const char *name)
{
	static struct expectation exp[MAX_FRAMES];
	static struct frame fr[MAX_FRAMES];
	char path[512], msg[1024] = "";
	char *buf = NULL;
	size_t len = 0;
	int nf, ne;

	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	if (read_file(path, 1 << 24, &buf, &len)) {
		tap(false, "read %s", path);
		return;
	}
	nf = pcap_frames((const uint8_t *)buf, len, fr, MAX_FRAMES, msg, sizeof(msg));
	if (nf >= 0) {
		snprintf(path, sizeof(path), "%s/%s.expect", dir, name);
		ne = read_expect(path, exp, MAX_FRAMES, msg, sizeof(msg));
		if (ne >= 0 && ne != nf)
			snprintf(msg, sizeof(msg), "%s.pcap has %d frames, %s.expect %d", name, nf,
				 name, ne);
		if (ne != nf)
			nf = -1;
	}
	tap(nf > 0, "%s.pcap and %s.expect read (%d frames)%s%s", name, name, nf,
	    msg[0] ? ": " : "", msg);
	for (int i = 0; i < nf; i++) {
		char why[160];
		bool ok = dp_check_hooks(dp, fr[i].data, fr[i].len, exp[i].verdict, exp[i].counted,
					 why, sizeof(why));

		tap(ok, "%s.pcap frame %d (%s): %s on every hook, counted as %s", name, i + 1,
		    exp[i].desc, dp_verdict_name(exp[i].verdict), exp[i].counted);
		if (!ok)
			diag("%s", why);
	}
	free(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void dp_test_pcaps(struct dp *dp, const char *dir)
{
	char path[512], *yaml = NULL, *names[64];
	struct dirent *de;
	size_t len = 0;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/rules.yaml", dir);
	if (read_file(path, 1 << 20, &yaml, &len)) {
		tap(false, "read %s (run dptest from the repository's root, or --pcaps DIR)", path);
		return;
	}
	tap(dp_load_yaml(dp, yaml) == 0, "%s loads", path);
	free(yaml);
	d = opendir(dir);
	while (d && (de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);

		if (l > 5 && !strcmp(de->d_name + l - 5, ".pcap"))
			names[n++] = strndup(de->d_name, l - 5);
	}
	if (d)
		closedir(d);
	tap(n > 0, "captures found in %s (%d)", dir, n);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		if (names[i])
			run_capture(dp, dir, names[i]);
		free(names[i]);
	}
}
