// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * classbench: ClassBench filter sets for edgefw's tests and benchmarks.
 *
 *   classbench convert FILE [--lines A-B[,C-D]...] [--pass-percent P] [--seed S]
 *                      [--skip-catch-all] [--default pass|drop] [--name-prefix X]
 *       the lines as an edgefw rules file on stdout (see tests/lib/classbench.h
 *       for the conversion), in the order the ranges give; what was skipped
 *       on stderr. A rule is named after its line, so the same line has the
 *       same name (and action) in every file made from FILE
 *   classbench generate SEEDFILE -n N [--seed S] [--stats]
 *       N rules shaped like SEEDFILE's, in ClassBench format on stdout; with
 *       --stats the shape of both on stderr
 *   classbench stats FILE [FILE2]
 *       the shape of one set, or of two side by side
 *   classbench flows FILE --range A-B[,C-D]... [--range ...]... [-n N] [--seed S]
 *                    [--distinct] [--skip-catch-all] [--late | --miss]
 *       N packets aimed inside random rules of the rulesets (each --range is
 *       one, as `convert --lines` would write it), one a line:
 *       "PROTO SRC DST SPORT DPORT WINNER..." with, for each ruleset, the
 *       name of the rule that wins or "-"; --distinct keeps only packets
 *       whose winners no earlier one has; --late only packets aimed at the
 *       second half of the first ruleset's first range that this half wins;
 *       --miss random TCP and UDP packets that no ruleset matches
 *
 * Line numbers count the file's rule lines from 1. Exit 0, 1 on bad
 * arguments or input, 2 on other errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classbench.h"
#include "xorshift.h"

#define MAX_RANGES 4

static void usage(void)
{
	fprintf(stderr,
		"usage: classbench convert FILE [--lines A-B[,C-D]...] [--pass-percent P] [--seed S]\n"
		"                          [--skip-catch-all] [--default pass|drop] [--name-prefix X]\n"
		"       classbench generate SEEDFILE -n N [--seed S] [--stats]\n"
		"       classbench stats FILE [FILE2]\n"
		"       classbench flows FILE --range A-B[,C-D]... [--range ...]... [-n N] [--seed S] [--distinct]\n"
		"                        [--skip-catch-all] [--late | --miss]\n");
	exit(1);
}

static unsigned long num(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || *s == '-' || v > max) {
		fprintf(stderr, "classbench: bad %s '%s' (0..%lu)\n", what, s, max);
		exit(1);
	}
	return v;
}

#define MAX_PARTS 4

struct range {
	size_t from, to; /* 0-based, to exclusive */
};

/* Rules from ranges of the file, in this order. */
struct ruleset {
	struct range part[MAX_PARTS];
	size_t n;
};

static struct range parse_range(const char *s, size_t len, size_t n)
{
	unsigned long a, b;
	char buf[64], extra;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	if (sscanf(buf, "%lu-%lu%c", &a, &b, &extra) != 2 || !a || a > b) {
		fprintf(stderr, "classbench: bad line range '%s' (A-B, from 1)\n", buf);
		exit(1);
	}
	if (a > n) {
		fprintf(stderr, "classbench: line range '%s' starts past the %zu lines\n", buf, n);
		exit(1);
	}
	return (struct range){ a - 1, b < n ? b : n };
}

static struct ruleset parse_ruleset(const char *s, size_t n)
{
	struct ruleset rs = { .n = 0 };

	for (;;) {
		size_t len = strcspn(s, ",");

		if (rs.n == MAX_PARTS) {
			fprintf(stderr, "classbench: at most %d ranges in one list\n", MAX_PARTS);
			exit(1);
		}
		rs.part[rs.n++] = parse_range(s, len, n);
		if (!s[len])
			return rs;
		s += len + 1;
	}
}

static long match_ruleset(const struct cb_set *set, const struct ruleset *rs,
			  const struct cb_yaml_opts *o, const struct cb_packet *p)
{
	for (size_t k = 0; k < rs->n; k++) {
		long w = cb_match(set, rs->part[k].from, rs->part[k].to, o, p);

		if (w >= 0)
			return w;
	}
	return -1;
}

static void load(const char *path, struct cb_set *set)
{
	char err[512];
	int ret = cb_load(path, set, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "classbench: %s\n", err);
		exit(ret == -EINVAL ? 1 : 2);
	}
}

/* The lines [r.from, r.to) as a set of their own (a view, not a copy). */
static struct cb_set view(const struct cb_set *s, struct range r)
{
	return (struct cb_set){ .v = s->v + r.from, .n = r.to - r.from, .cap = 0 };
}

static int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = { { "lines", required_argument, NULL, 'l' },
					      { "pass-percent", required_argument, NULL, 'p' },
					      { "seed", required_argument, NULL, 's' },
					      { "skip-catch-all", no_argument, NULL, 'c' },
					      { "default", required_argument, NULL, 'd' },
					      { "name-prefix", required_argument, NULL, 'x' },
					      { 0 } };
	const char *lines = NULL;
	struct cb_yaml_opts o;
	struct cb_yaml_stats st = { 0 };
	struct cb_set set, part;
	struct ruleset rs;
	size_t n_lines = 0;
	int c;

	cb_yaml_opts_init(&o);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			lines = optarg;
		else if (c == 'p')
			o.pass_percent = (unsigned)num(optarg, "--pass-percent", 100);
		else if (c == 's')
			o.seed = num(optarg, "--seed", ~0ul);
		else if (c == 'c')
			o.skip_catch_all = true;
		else if (c == 'd' && (!strcmp(optarg, "pass") || !strcmp(optarg, "drop")))
			o.default_action = optarg;
		else if (c == 'x')
			o.name_prefix = optarg;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	load(argv[optind], &set);
	rs = lines ? parse_ruleset(lines, set.n)
		   : (struct ruleset){ .part = { { 0, set.n } }, .n = 1 };
	for (size_t k = 0; k < rs.n; k++)
		n_lines += rs.part[k].to - rs.part[k].from;
	cb_write_yaml_head(stdout, n_lines, &o);
	for (size_t k = 0; k < rs.n; k++) {
		part = view(&set, rs.part[k]);
		o.first_line = (unsigned)rs.part[k].from + 1;
		cb_write_yaml_rules(stdout, &part, &o, &st);
	}
	if (cb_write_yaml_end(stdout, &st) || fflush(stdout)) {
		fprintf(stderr, "classbench: writing the rules failed\n");
		return 2;
	}
	fprintf(stderr,
		"classbench: %s: %zu lines, %zu rules written, %zu skipped (ports on a protocol without ports)%s",
		argv[optind], n_lines, st.rules, st.portless, o.skip_catch_all ? "" : "\n");
	if (o.skip_catch_all)
		fprintf(stderr, ", %zu left out (match everything)\n", st.catch_all);
	cb_set_free(&set);
	return 0;
}

static int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = { { "seed", required_argument, NULL, 's' },
					      { "stats", no_argument, NULL, 'S' },
					      { 0 } };
	unsigned long n = 0, seed = 1;
	bool stats = false;
	struct cb_set in, out;
	int c, ret;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'n')
			n = num(optarg, "-n", 1ul << 22);
		else if (c == 's')
			seed = num(optarg, "--seed", ~0ul);
		else if (c == 'S')
			stats = true;
		else
			usage();
	}
	if (optind != argc - 1 || !n)
		usage();
	load(argv[optind], &in);
	ret = cb_generate(&in, n, seed, &out);
	if (ret) {
		fprintf(stderr, "classbench: cannot generate %lu rules from %s: %s\n", n,
			argv[optind],
			ret == -ENOSPC ? "the seed has too few distinct shapes" : strerror(-ret));
		return ret == -ENOSPC ? 1 : 2;
	}
	for (size_t i = 0; i < out.n; i++)
		cb_write_line(stdout, &out.v[i]);
	if (fflush(stdout)) {
		fprintf(stderr, "classbench: writing the rules failed\n");
		return 2;
	}
	if (stats)
		cb_print_stats(stderr, "seed", &in, "generated", &out);
	cb_set_free(&in);
	cb_set_free(&out);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct cb_set a, b;

	if (argc < 2 || argc > 3)
		usage();
	load(argv[1], &a);
	if (argc == 3)
		load(argv[2], &b);
	cb_print_stats(stdout, "first", &a, "second", argc == 3 ? &b : NULL);
	cb_set_free(&a);
	if (argc == 3)
		cb_set_free(&b);
	return 0;
}

static void print_addr(uint32_t a)
{
	printf("%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Whether any winner of this flow is already some earlier flow's. */
static bool seen_before(const long *win, size_t n_ranges, char *taken, size_t n)
{
	for (size_t k = 0; k < n_ranges; k++)
		if (taken[win[k] < 0 ? n : (size_t)win[k]])
			return true;
	return false;
}

static void take(const long *win, size_t n_ranges, char *taken, size_t n)
{
	for (size_t k = 0; k < n_ranges; k++)
		taken[win[k] < 0 ? n : (size_t)win[k]] = 1;
}

enum pick {
	PICK_ANY,
	PICK_LATE,
	PICK_MISS
};

/* A packet of the kind asked for; false when this try missed it. */
static bool pick(const struct cb_set *set, const struct ruleset *rg, size_t n_rg,
		 const struct cb_yaml_opts *o, enum pick kind, uint64_t *rnd, struct cb_packet *p,
		 long *win)
{
	const struct ruleset *rs = &rg[kind == PICK_ANY ? xorshift_below(rnd, n_rg) : 0];
	const struct range *r = &rs->part[kind == PICK_ANY ? xorshift_below(rnd, rs->n) : 0];
	size_t half = r->from + (r->to - r->from) / 2, i;

	if (kind == PICK_MISS) {
		uint64_t x = xorshift_next(rnd);

		*p = (struct cb_packet){ .src = (uint32_t)x, .dst = (uint32_t)(x >> 32) };
		x = xorshift_next(rnd);
		p->sport = (uint16_t)x;
		p->dport = (uint16_t)(x >> 16);
		p->proto = x >> 63 ? 6 : 17;
	} else {
		i = kind == PICK_LATE ? half + xorshift_below(rnd, r->to - half)
				      : r->from + xorshift_below(rnd, r->to - r->from);
		if (!cb_rule_kept(set, i, o))
			return false;
		cb_aim(&set->v[i], rnd, p);
	}
	for (size_t k = 0; k < n_rg; k++) {
		win[k] = match_ruleset(set, &rg[k], o, p);
		if (kind == PICK_MISS && win[k] >= 0)
			return false;
	}
	return kind != PICK_LATE || win[0] >= (long)half;
}

static int flows(const struct cb_set *set, const struct ruleset *rg, size_t n_rg,
		 unsigned long count, uint64_t seed, bool distinct, bool skip_catch_all,
		 enum pick kind)
{
	char *taken = calloc(set->n + 1, 1);
	uint64_t rnd = xorshift_seed(seed);
	struct cb_yaml_opts o;
	unsigned long made = 0, tries = 0;

	cb_yaml_opts_init(&o);
	o.skip_catch_all = skip_catch_all;
	if (!taken)
		return 2;
	while (made < count && tries++ < 1000 * count) {
		long win[MAX_RANGES];
		struct cb_packet p;

		if (!pick(set, rg, n_rg, &o, kind, &rnd, &p, win))
			continue;
		if (distinct && seen_before(win, n_rg, taken, set->n))
			continue;
		take(win, n_rg, taken, set->n);
		printf("%u ", p.proto);
		print_addr(p.src);
		putchar(' ');
		print_addr(p.dst);
		printf(" %u %u", p.sport, p.dport);
		for (size_t k = 0; k < n_rg; k++)
			if (win[k] < 0)
				printf(" -");
			else
				printf(" %s%ld", o.name_prefix, win[k] + 1);
		putchar('\n');
		made++;
	}
	free(taken);
	if (made < count)
		fprintf(stderr, "classbench: found %lu of %lu flows\n", made, count);
	return fflush(stdout) ? 2 : 0;
}

static int cmd_flows(int argc, char **argv)
{
	static const struct option opts[] = { { "range", required_argument, NULL, 'r' },
					      { "seed", required_argument, NULL, 's' },
					      { "distinct", no_argument, NULL, 'd' },
					      { "skip-catch-all", no_argument, NULL, 'c' },
					      { "late", no_argument, NULL, 'L' },
					      { "miss", no_argument, NULL, 'M' },
					      { 0 } };
	enum pick kind = PICK_ANY;
	bool skip_catch_all = false;
	const char *ranges[MAX_RANGES];
	struct ruleset rg[MAX_RANGES];
	size_t n_rg = 0;
	unsigned long n = 16, seed = 1;
	bool distinct = false;
	struct cb_set set;
	int c, ret;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'r' && n_rg < MAX_RANGES)
			ranges[n_rg++] = optarg;
		else if (c == 'n')
			n = num(optarg, "-n", 1ul << 20);
		else if (c == 's')
			seed = num(optarg, "--seed", ~0ul);
		else if (c == 'd')
			distinct = true;
		else if (c == 'c')
			skip_catch_all = true;
		else if (c == 'L' && kind == PICK_ANY)
			kind = PICK_LATE;
		else if (c == 'M' && kind == PICK_ANY)
			kind = PICK_MISS;
		else
			usage();
	}
	if (optind != argc - 1 || !n_rg)
		usage();
	load(argv[optind], &set);
	for (size_t k = 0; k < n_rg; k++)
		rg[k] = parse_ruleset(ranges[k], set.n);
	ret = flows(&set, rg, n_rg, n, seed, distinct, skip_catch_all, kind);
	cb_set_free(&set);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "convert"))
		return cmd_convert(argc - 1, argv + 1);
	if (!strcmp(argv[1], "generate"))
		return cmd_generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "flows"))
		return cmd_flows(argc - 1, argv + 1);
	usage();
	return 1;
}
