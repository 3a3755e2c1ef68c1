// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ClassBench lines: reading, writing, as edgefw rules, and their matcher.
 * See classbench.h for the conversion's rules. */
#include "classbench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xorshift.h"

static uint32_t prefix_mask(unsigned len)
{
	return len ? ~0u << (32 - len) : 0;
}

static int parse_prefix(const unsigned q[4], unsigned len, uint32_t *addr, uint8_t *out_len)
{
	for (int i = 0; i < 4; i++)
		if (q[i] > 255)
			return -1;
	if (len > 32)
		return -1;
	/* ClassBench prefixes are masks: host bits mean nothing. */
	*addr = (q[0] << 24 | q[1] << 16 | q[2] << 8 | q[3]) & prefix_mask(len);
	*out_len = (uint8_t)len;
	return 0;
}

int cb_parse_line(const char *line, struct cb_rule *r, char *err, size_t errlen)
{
	unsigned s[4], d[4], sl, dl, spl, sph, dpl, dph, pr, pm, fl, fm;
	int end = -1;

	memset(r, 0, sizeof(*r));
	if (*line == '@')
		line++;
	if (sscanf(line, "%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x %x/%x %n", &s[0],
		   &s[1], &s[2], &s[3], &sl, &d[0], &d[1], &d[2], &d[3], &dl, &spl, &sph, &dpl,
		   &dph, &pr, &pm, &fl, &fm, &end) != 18 ||
	    end < 0 || line[end]) {
		snprintf(
			err, errlen,
			"not a ClassBench line (@SRC/LEN DST/LEN LO : HI LO : HI PROTO/MASK FLAGS/MASK)");
		return -EINVAL;
	}
	if (parse_prefix(s, sl, &r->src, &r->src_len) ||
	    parse_prefix(d, dl, &r->dst, &r->dst_len)) {
		snprintf(err, errlen, "bad address prefix");
		return -EINVAL;
	}
	if (spl > sph || sph > 65535 || dpl > dph || dph > 65535) {
		snprintf(err, errlen, "bad port range %u : %u or %u : %u", spl, sph, dpl, dph);
		return -EINVAL;
	}
	if (pr > 255 || (pm != 0 && pm != 0xff) || (pm == 0 && pr != 0)) {
		snprintf(err, errlen, "protocol %#x/%#x is neither 0x00/0x00 nor an exact number",
			 pr, pm);
		return -EINVAL;
	}
	r->sport_lo = (uint16_t)spl;
	r->sport_hi = (uint16_t)sph;
	r->dport_lo = (uint16_t)dpl;
	r->dport_hi = (uint16_t)dph;
	r->proto = (uint8_t)pr;
	r->proto_mask = (uint8_t)pm;
	r->flags = (uint16_t)fl;
	r->flags_mask = (uint16_t)fm;
	return 0;
}

int cb_set_add(struct cb_set *set, const struct cb_rule *r)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		struct cb_rule *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = *r;
	return 0;
}

void cb_set_free(struct cb_set *set)
{
	free(set->v);
	memset(set, 0, sizeof(*set));
}

int cb_load(const char *path, struct cb_set *set, char *err, size_t errlen)
{
	char line[512], why[160];
	unsigned lineno = 0;
	struct cb_rule r;
	int ret = 0;
	FILE *f;

	memset(set, 0, sizeof(*set));
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[strspn(line, " \t")])
			continue;
		ret = cb_parse_line(line, &r, why, sizeof(why));
		if (ret)
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
		else if ((ret = cb_set_add(set, &r)))
			snprintf(err, errlen, "%s: out of memory", path);
	}
	fclose(f);
	if (ret)
		cb_set_free(set);
	return ret;
}

static void write_prefix(FILE *out, uint32_t a, unsigned len)
{
	fprintf(out, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, len);
}

void cb_write_line(FILE *out, const struct cb_rule *r)
{
	fputc('@', out);
	write_prefix(out, r->src, r->src_len);
	fputc('\t', out);
	write_prefix(out, r->dst, r->dst_len);
	fprintf(out, "\t%u : %u\t%u : %u\t0x%02X/0x%02X\t0x%04X/0x%04X\n", r->sport_lo, r->sport_hi,
		r->dport_lo, r->dport_hi, r->proto, r->proto_mask, r->flags, r->flags_mask);
}

static bool port_any(uint16_t lo, uint16_t hi)
{
	return lo == 0 && hi == 65535;
}

bool cb_has_ports(const struct cb_rule *r)
{
	return !port_any(r->sport_lo, r->sport_hi) || !port_any(r->dport_lo, r->dport_hi);
}

bool cb_proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

bool cb_is_catch_all(const struct cb_rule *r)
{
	return !r->src_len && !r->dst_len && !r->proto_mask && !cb_has_ports(r);
}

bool cb_expressible(const struct cb_rule *r)
{
	return !cb_has_ports(r) || !r->proto_mask || cb_proto_has_ports(r->proto);
}

void cb_yaml_opts_init(struct cb_yaml_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name_prefix = "cb";
	o->first_line = 1;
	o->default_action = "pass";
}

bool cb_rule_kept(const struct cb_set *set, size_t i, const struct cb_yaml_opts *o)
{
	const struct cb_rule *r = &set->v[i];

	return cb_expressible(r) && !(o->skip_catch_all && cb_is_catch_all(r));
}

/* splitmix64: one well-mixed value per (seed, line), so a rule's action
 * does not depend on which other lines are converted with it. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool cb_rule_passes(const struct cb_set *set, size_t i, const struct cb_yaml_opts *o)
{
	(void)set;
	return mix(o->seed ^ mix(o->first_line + i)) % 100 < o->pass_percent;
}

static void write_ports(FILE *out, const char *key, uint16_t lo, uint16_t hi)
{
	if (port_any(lo, hi))
		return;
	if (lo == hi)
		fprintf(out, ", %s: %u", key, lo);
	else
		fprintf(out, ", %s: %u-%u", key, lo, hi);
}

static void write_rule(FILE *out, const struct cb_rule *r, const char *name, unsigned line,
		       bool pass)
{
	fprintf(out, "  - {name: %s%u", name, line);
	if (r->src_len) {
		fputs(", src: ", out);
		write_prefix(out, r->src, r->src_len);
	}
	if (r->dst_len) {
		fputs(", dst: ", out);
		write_prefix(out, r->dst, r->dst_len);
	}
	if (r->proto_mask && cb_proto_has_ports(r->proto))
		fprintf(out, ", proto: %s",
			r->proto == 6    ? "tcp"
			: r->proto == 17 ? "udp"
					 : "sctp");
	else if (r->proto_mask)
		fprintf(out, ", proto: %u", r->proto);
	else if (cb_has_ports(r))
		fputs(", proto: [tcp, udp]", out);
	write_ports(out, "sport", r->sport_lo, r->sport_hi);
	write_ports(out, "dport", r->dport_lo, r->dport_hi);
	fprintf(out, ", action: %s}\n", pass ? "pass" : "drop");
}

void cb_write_yaml_head(FILE *out, size_t lines, const struct cb_yaml_opts *o)
{
	const char *def = o->default_action ? o->default_action : "pass";

	fprintf(out, "# %zu ClassBench lines as edgefw rules, first match wins\n", lines);
	fprintf(out, "version: 1\n");
	fprintf(out, "defaults: {xdp: %s, tc-ingress: %s, tc-egress: %s}\n", def, def, def);
	fprintf(out, "rules:\n");
}

void cb_write_yaml_rules(FILE *out, const struct cb_set *part, const struct cb_yaml_opts *o,
			 struct cb_yaml_stats *st)
{
	for (size_t i = 0; i < part->n; i++) {
		if (!cb_expressible(&part->v[i])) {
			st->portless++;
			continue;
		}
		if (o->skip_catch_all && cb_is_catch_all(&part->v[i])) {
			st->catch_all++;
			continue;
		}
		write_rule(out, &part->v[i], o->name_prefix, o->first_line + (unsigned)i,
			   cb_rule_passes(part, i, o));
		st->rules++;
	}
}

int cb_write_yaml_end(FILE *out, const struct cb_yaml_stats *st)
{
	if (!st->rules)
		fprintf(out, "  []\n");
	return ferror(out) ? -EIO : 0;
}

int cb_write_yaml(FILE *out, const struct cb_set *set, const struct cb_yaml_opts *o,
		  struct cb_yaml_stats *st)
{
	memset(st, 0, sizeof(*st));
	cb_write_yaml_head(out, set->n, o);
	cb_write_yaml_rules(out, set, o, st);
	return cb_write_yaml_end(out, st);
}

static bool in_prefix(uint32_t a, uint32_t p, unsigned len)
{
	return ((a ^ p) & prefix_mask(len)) == 0;
}

bool cb_rule_matches(const struct cb_rule *r, const struct cb_packet *p)
{
	bool ports = cb_has_ports(r);

	if (!in_prefix(p->src, r->src, r->src_len) || !in_prefix(p->dst, r->dst, r->dst_len))
		return false;
	if (r->proto_mask && p->proto != r->proto)
		return false;
	/* `proto: [tcp, udp]` where the line said any protocol with ports. */
	if (!r->proto_mask && ports && p->proto != 6 && p->proto != 17)
		return false;
	if (!ports)
		return true;
	return cb_proto_has_ports(p->proto) && p->sport >= r->sport_lo && p->sport <= r->sport_hi &&
	       p->dport >= r->dport_lo && p->dport <= r->dport_hi;
}

long cb_match(const struct cb_set *set, size_t from, size_t to, const struct cb_yaml_opts *o,
	      const struct cb_packet *p)
{
	for (size_t i = from; i < to && i < set->n; i++)
		if (cb_rule_kept(set, i, o) && cb_rule_matches(&set->v[i], p))
			return (long)i;
	return -1;
}

static uint32_t addr_in(uint32_t p, unsigned len, uint64_t *rnd)
{
	return p | ((uint32_t)xorshift_next(rnd) & ~prefix_mask(len));
}

static uint16_t port_in(uint16_t lo, uint16_t hi, uint64_t *rnd)
{
	return (uint16_t)(lo + xorshift_below(rnd, (uint64_t)hi - lo + 1));
}

void cb_aim(const struct cb_rule *r, uint64_t *rnd, struct cb_packet *p)
{
	static const uint8_t others[] = { 6, 17, 1, 47 };

	p->src = addr_in(r->src, r->src_len, rnd);
	p->dst = addr_in(r->dst, r->dst_len, rnd);
	if (r->proto_mask)
		p->proto = r->proto;
	else if (cb_has_ports(r))
		p->proto = xorshift_next(rnd) & 1 ? 6 : 17;
	else
		p->proto = others[xorshift_below(rnd, sizeof(others))];
	p->sport = port_in(r->sport_lo, r->sport_hi, rnd);
	p->dport = port_in(r->dport_lo, r->dport_hi, rnd);
}

/* Every shape the conversion distinguishes, and a catch-all last. */
const char *const cb_sample_lines[CB_SAMPLE_LINES] = {
	"@209.32.125.224/28\t223.78.253.88/29\t88 : 88\t80 : 80\t0x11/0xFF\t0x0000/0x0000",
	"@10.1.0.0/16\t10.2.3.4/32\t0 : 65535\t1024 : 65535\t0x06/0xFF\t0x1000/0x1000\t",
	"@10.1.2.0/24\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x01/0xFF\t0x0000/0x0000",
	"@0.0.0.0/0\t10.2.0.0/16\t0 : 65535\t53 : 53\t0x00/0x00\t0x0000/0x0000",
	"@10.1.2.3/32\t10.2.3.0/24\t0 : 1023\t0 : 65535\t0x00/0x00\t0x0000/0x0000",
	"@192.168.0.0/16\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x2f/0xFF\t0x0000/0x0000",
	"@0.0.0.0/0\t172.16.0.0/12\t0 : 65535\t5000 : 5010\t0x06/0xFF\t0x0000/0x0000",
	"@172.16.5.0/24\t172.16.0.0/12\t0 : 65535\t443 : 443\t0x06/0xFF\t0x0000/0x0000",
	"@10.9.8.7/32\t10.2.3.5/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000",
	"@128.0.0.0/1\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000",
	"@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000",
};

int cb_sample_set(struct cb_set *s)
{
	char err[160];
	struct cb_rule r;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < CB_SAMPLE_LINES && !ret; i++) {
		ret = cb_parse_line(cb_sample_lines[i], &r, err, sizeof(err));
		if (!ret)
			ret = cb_set_add(s, &r);
	}
	if (ret)
		cb_set_free(s);
	return ret;
}
