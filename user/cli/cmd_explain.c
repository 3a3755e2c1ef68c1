// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * edgefw explain FILE --src A --dst A --proto P [...]: which rule a packet
 * would hit, and why, by the reference matcher. No root, no BPF.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonout.h"
#include "explain.h"
#include "explain_live.h"
#include "log.h"
#include "rules_names.h"
#include "strutil.h"

#define MAX_NOTES 4

#define MAX_DYN_OPTS EDGEFW_MAX_DYNSETS

struct explain_opts {
	const char *src, *dst, *proto, *sport, *dport, *icmp_type, *icmp_code;
	const char *flags, *vlan, *frag, *hook, *iface, *state;
	bool json, verbose, live;
	/* Dynamic state as given (issue 16). */
	const char *in_sets[MAX_DYN_OPTS], *over[MAX_DYN_OPTS];
	size_t n_in, n_over;
};

struct query {
	struct ef_packet pkt;
	bool state_given;
	const char *notes[MAX_NOTES];
	size_t n_notes;
};

static bool parse_num(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static int parse_addr(const char *opt, const char *s, uint8_t *family, uint8_t addr[16])
{
	char err[128];
	struct ef_prefix pf;

	if (strchr(s, '/')) {
		ef_log_err("%s %s: give one address, not a prefix", opt, s);
		return -EINVAL;
	}
	if (ef_prefix_parse(s, &pf, NULL, err, sizeof(err))) {
		ef_log_err("%s %s: %s", opt, s, err);
		return -EINVAL;
	}
	*family = pf.family;
	memcpy(addr, pf.addr, 16);
	return 0;
}

static int parse_proto(const char *s, uint8_t *out)
{
	int num = ef_name_lookup(ef_proto_names, s);
	unsigned v;

	if (num < 0 && parse_num(s, 255, &v))
		num = (int)v;
	if (num < 0) {
		ef_log_err("--proto %s: not a protocol name or a number from 0 to 255", s);
		return -EINVAL;
	}
	*out = (uint8_t)num;
	return 0;
}

static int parse_flags(const char *s, uint8_t *out)
{
	char buf[128], *save = NULL, *tok;

	*out = 0;
	if (!strcmp(s, "none"))
		return 0;
	if (ef_strlcpy(buf, s, sizeof(buf))) {
		ef_log_err("--tcp-flags: too long");
		return -EINVAL;
	}
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int bit = ef_name_lookup(ef_tcp_flag_names, tok);

		if (bit < 0) {
			ef_log_err(
				"--tcp-flags: '%s' is not a TCP flag (fin, syn, rst, psh, ack, urg, ece, cwr, or none)",
				tok);
			return -EINVAL;
		}
		*out |= (uint8_t)bit;
	}
	return 0;
}

static int parse_icmp(const struct explain_opts *o, struct ef_packet *pkt)
{
	const struct ef_name_num *t = ef_icmp_type_names(pkt->l4proto);
	unsigned v;
	int n;

	if (o->icmp_type) {
		n = ef_name_lookup(t, o->icmp_type);
		if (n < 0 && parse_num(o->icmp_type, 255, &v))
			n = (int)v;
		if (n < 0) {
			ef_log_err("--icmp-type %s: not a number from 0 to 255 or an %s type name",
				   o->icmp_type, pkt->l4proto == EF_PROTO_ICMP ? "ICMP" : "ICMPv6");
			return -EINVAL;
		}
		pkt->icmp_type = (uint8_t)n;
	}
	if (o->icmp_code) {
		n = ef_icmp_code_lookup(pkt->l4proto, pkt->icmp_type, o->icmp_code);
		if (n < 0 && parse_num(o->icmp_code, 255, &v))
			n = (int)v;
		if (n < 0) {
			ef_log_err(
				"--icmp-code %s: not a number from 0 to 255 or a code name of type %u",
				o->icmp_code, pkt->icmp_type);
			return -EINVAL;
		}
		pkt->icmp_code = (uint8_t)n;
	}
	return 0;
}

static int parse_word_opt(const char *opt, const char *s, const char *const *words, int count)
{
	char list[128] = "";
	size_t used = 0;

	for (int i = 0; i < count; i++)
		if (!strcmp(s, words[i]))
			return i;
	for (int i = 0; i < count && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 words[i]);
	ef_log_err("%s %s: not one of %s", opt, s, list);
	return -1;
}

/* Options that only make sense for some protocols. */
static int check_l4_opts(const struct explain_opts *o, const struct ef_packet *pkt)
{
	uint8_t pr = pkt->l4proto;
	bool ports = pr == EF_PROTO_TCP || pr == EF_PROTO_UDP || pr == EF_PROTO_SCTP;
	bool icmp = pr == EF_PROTO_ICMP || pr == EF_PROTO_ICMPV6;

	if ((o->sport || o->dport) && !ports) {
		ef_log_err("--sport and --dport need --proto tcp, udp or sctp");
		return -EINVAL;
	}
	if ((o->icmp_type || o->icmp_code) && !icmp) {
		ef_log_err("--icmp-type and --icmp-code need --proto icmp or icmpv6");
		return -EINVAL;
	}
	if (o->flags && pr != EF_PROTO_TCP) {
		ef_log_err("--tcp-flags needs --proto tcp");
		return -EINVAL;
	}
	return 0;
}

static void note(struct query *q, const char *text)
{
	if (q->n_notes < MAX_NOTES)
		q->notes[q->n_notes++] = text;
}

/* The L4 header a packet of this protocol carries, unless it is a
 * non-first fragment; values not given are 0 and said so. */
static void fill_l4(const struct explain_opts *o, struct query *q)
{
	struct ef_packet *pkt = &q->pkt;
	uint8_t pr = pkt->l4proto;

	if (pkt->frag == EDGEFW_FRAG_LATER)
		return;
	pkt->has_ports = pr == EF_PROTO_TCP || pr == EF_PROTO_UDP || pr == EF_PROTO_SCTP;
	pkt->has_icmp = pr == EF_PROTO_ICMP || pr == EF_PROTO_ICMPV6;
	pkt->has_tcp_flags = pr == EF_PROTO_TCP;
	if (pkt->has_ports && !o->sport)
		note(q, "--sport not given: using 0");
	if (pkt->has_ports && !o->dport)
		note(q, "--dport not given: using 0");
	if (pkt->has_icmp && !o->icmp_type)
		note(q, "--icmp-type not given: using 0");
	if (pkt->has_tcp_flags && !o->flags)
		note(q, "--tcp-flags not given: no flags set");
}

static int build_query(const struct explain_opts *o, struct query *q)
{
	static const char *const frags[] = { "no", "first", "later" };
	struct ef_packet *pkt = &q->pkt;
	uint8_t fam2;
	unsigned v;
	int w;

	memset(q, 0, sizeof(*q));
	pkt->vlan = EF_VLAN_UNTAGGED;
	pkt->hook = EDGEFW_HOOK_XDP;
	pkt->ifname = o->iface;
	if (parse_addr("--src", o->src, &pkt->family, pkt->saddr) ||
	    parse_addr("--dst", o->dst, &fam2, pkt->daddr) || parse_proto(o->proto, &pkt->l4proto))
		return -EINVAL;
	if (fam2 != pkt->family) {
		ef_log_err("--src and --dst must be of the same family");
		return -EINVAL;
	}
	if (check_l4_opts(o, pkt))
		return -EINVAL;
	if (o->sport && !parse_num(o->sport, 65535, &v)) {
		ef_log_err("--sport %s: not a port from 0 to 65535", o->sport);
		return -EINVAL;
	}
	pkt->sport = o->sport ? (uint16_t)v : 0;
	if (o->dport && !parse_num(o->dport, 65535, &v)) {
		ef_log_err("--dport %s: not a port from 0 to 65535", o->dport);
		return -EINVAL;
	}
	pkt->dport = o->dport ? (uint16_t)v : 0;
	if (parse_icmp(o, pkt) || (o->flags && parse_flags(o->flags, &pkt->tcp_flags)))
		return -EINVAL;
	if (o->vlan && strcmp(o->vlan, "none")) {
		if (!parse_num(o->vlan, 4095, &v)) {
			ef_log_err("--vlan %s: not an id from 0 to 4095 or 'none'", o->vlan);
			return -EINVAL;
		}
		pkt->vlan = (int32_t)v;
	}
	if (o->frag) {
		w = parse_word_opt("--fragment", o->frag, frags, 3);
		if (w < 0)
			return -EINVAL;
		pkt->frag = (uint8_t)w;
	}
	if (o->hook) {
		w = parse_word_opt("--hook", o->hook,
				   (const char *const[]){ "xdp", "tc-ingress", "tc-egress" },
				   EDGEFW_HOOK_COUNT);
		if (w < 0)
			return -EINVAL;
		pkt->hook = (uint32_t)w;
	}
	if (o->iface && (!*o->iface || strlen(o->iface) >= EF_IFNAME_MAX)) {
		ef_log_err("--iface %s: not an interface name (1-%d characters)", o->iface,
			   EF_IFNAME_MAX - 1);
		return -EINVAL;
	}
	fill_l4(o, q);
	/* What the tracker gives a packet of no flow, unless told. */
	pkt->ct_state = ef_ct_untracked_state(pkt);
	if (o->state) {
		w = parse_word_opt(
			"--state", o->state,
			(const char *const[]){ "new", "established", "related", "invalid" },
			EDGEFW_CT_STATES);
		if (w < 0)
			return -EINVAL;
		pkt->ct_state = (uint8_t)w;
		q->state_given = true;
	}
	return 0;
}

/* The state is part of the packet when the ruleset reads it or it was
 * given. */
static void packet_text(const struct ef_ruleset *rs, const struct query *q, bool state, char *buf,
			size_t len)
{
	size_t used;

	ef_packet_format(&q->pkt, buf, len);
	used = strlen(buf);
	if ((state || ef_ruleset_ct_mode(rs)) && used < len)
		snprintf(buf + used, len - used, ", state %s", ef_ct_state_name(q->pkt.ct_state));
}

static const char *by_text(enum ef_explain_by by)
{
	switch (by) {
	case EF_EXPLAIN_RULE:
		return "rule";
	case EF_EXPLAIN_DEFAULT:
		return "default";
	case EF_EXPLAIN_FRAG_POLICY:
		return "fragments";
	default:
		return "non-ip";
	}
}

static void print_text(const struct ef_ruleset *rs, const struct query *q,
		       const struct ef_explanation *e, bool verbose)
{
	char pkt[512];

	packet_text(rs, q, q->state_given, pkt, sizeof(pkt));
	printf("packet: %s\n", pkt);
	for (size_t i = 0; i < q->n_notes; i++)
		printf("note: %s\n", q->notes[i]);
	if (verbose && e->n_misses) {
		printf("rules tried first:\n");
		for (size_t i = 0; i < e->n_misses; i++) {
			const struct ef_rule *r = &rs->rules[e->misses[i].rule];

			printf("  rule '%s' (%s:%u:%u): %s: %s\n", r->name, rs->path, r->line,
			       r->col, ef_explain_field_name(e->misses[i].why.field),
			       e->misses[i].why.text);
		}
	}
	printf("verdict: %s", ef_action_name(e->action));
	if (e->by == EF_EXPLAIN_RULE) {
		const struct ef_rule *r = &rs->rules[e->rule];

		if (r->action == EDGEFW_ACT_REDIRECT)
			printf(" to %s", r->redirect_ifname);
		printf(", by rule '%s' (%s:%u:%u)%s\n", r->name, rs->path, r->line, r->col,
		       r->log ? ", logged" : "");
		if (!e->n_fields)
			printf("  (no conditions: the rule matches every packet)\n");
		for (size_t i = 0; i < e->n_fields; i++)
			printf("  %-10s %s\n", ef_explain_field_name(e->fields[i].field),
			       e->fields[i].text);
	} else if (e->by == EF_EXPLAIN_DEFAULT) {
		printf(", by defaults.%s: no rule matches\n", ef_hook_name(q->pkt.hook));
	} else if (e->by == EF_EXPLAIN_FRAG_POLICY) {
		printf(", by defaults.fragments: non-first fragments never reach the rules\n");
	} else {
		printf(", by defaults.non-ip: IPv6 neighbour discovery is decided before the rules\n");
	}
	if (e->assumed)
		printf("note: dynamic state assumed where a line says so: --in SET, --over-limit RULE or --live give it\n");
}

static json_object *line_json(const char *key, const char *val, const struct ef_explain_line *l)
{
	json_object *o = json_object_new_object();

	if (key)
		json_object_object_add(o, key, json_object_new_string(val));
	json_object_object_add(o, "field", json_object_new_string(ef_explain_field_name(l->field)));
	json_object_object_add(o, "matched", json_object_new_boolean(l->matched));
	json_object_object_add(o, "why", json_object_new_string(l->text));
	return o;
}

static void print_json(const struct ef_ruleset *rs, const struct query *q,
		       const struct ef_explanation *e, bool verbose)
{
	json_object *root = json_object_new_object();
	json_object *dec = json_object_new_object();
	json_object *fields = json_object_new_array();
	json_object *notes = json_object_new_array();
	char pkt[512];

	packet_text(rs, q, q->state_given, pkt, sizeof(pkt));
	json_object_object_add(root, "packet", json_object_new_string(pkt));
	json_object_object_add(dec, "action", json_object_new_string(ef_action_name(e->action)));
	json_object_object_add(dec, "by", json_object_new_string(by_text(e->by)));
	if (e->by == EF_EXPLAIN_RULE) {
		const struct ef_rule *r = &rs->rules[e->rule];

		json_object_object_add(dec, "rule", json_object_new_string(r->name));
		json_object_object_add(dec, "index", json_object_new_int(e->rule));
		json_object_object_add(dec, "line", json_object_new_int((int)r->line));
		json_object_object_add(dec, "col", json_object_new_int((int)r->col));
		json_object_object_add(dec, "log", json_object_new_boolean(r->log));
		if (r->action == EDGEFW_ACT_REDIRECT)
			json_object_object_add(dec, "to",
					       json_object_new_string(r->redirect_ifname));
	}
	json_object_object_add(root, "decision", dec);
	for (size_t i = 0; i < e->n_fields; i++)
		json_object_array_add(fields, line_json(NULL, NULL, &e->fields[i]));
	json_object_object_add(root, "fields", fields);
	if (verbose) {
		json_object *tried = json_object_new_array();

		for (size_t i = 0; i < e->n_misses; i++)
			json_object_array_add(tried,
					      line_json("rule", rs->rules[e->misses[i].rule].name,
							&e->misses[i].why));
		json_object_object_add(root, "tried", tried);
	}
	json_object_object_add(root, "dynamic", ef_explain_dyn_json(rs, e));
	for (size_t i = 0; i < q->n_notes; i++)
		json_object_array_add(notes, json_object_new_string(q->notes[i]));
	json_object_object_add(root, "notes", notes);
	ef_json_envelope(root, "explain");
	ef_json_print(root, true);
	json_object_put(root);
}

static int parse_opts(int argc, char **argv, struct explain_opts *o)
{
	enum {
		O_SRC = 256,
		O_DST,
		O_PROTO,
		O_SPORT,
		O_DPORT,
		O_TYPE,
		O_CODE,
		O_FLAGS,
		O_VLAN,
		O_FRAG,
		O_HOOK,
		O_IFACE,
		O_STATE,
		O_JSON,
		O_IN,
		O_OVER,
		O_LIVE
	};
	static const struct option opts[] = {
		{ "src", required_argument, NULL, O_SRC },
		{ "dst", required_argument, NULL, O_DST },
		{ "proto", required_argument, NULL, O_PROTO },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "icmp-type", required_argument, NULL, O_TYPE },
		{ "icmp-code", required_argument, NULL, O_CODE },
		{ "tcp-flags", required_argument, NULL, O_FLAGS },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "fragment", required_argument, NULL, O_FRAG },
		{ "hook", required_argument, NULL, O_HOOK },
		{ "iface", required_argument, NULL, O_IFACE },
		{ "state", required_argument, NULL, O_STATE },
		{ "json", no_argument, NULL, O_JSON },
		{ "in", required_argument, NULL, O_IN },
		{ "over-limit", required_argument, NULL, O_OVER },
		{ "live", no_argument, NULL, O_LIVE },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char **slot[] = {
		[O_SRC - O_SRC] = &o->src,        [O_DST - O_SRC] = &o->dst,
		[O_PROTO - O_SRC] = &o->proto,    [O_SPORT - O_SRC] = &o->sport,
		[O_DPORT - O_SRC] = &o->dport,    [O_TYPE - O_SRC] = &o->icmp_type,
		[O_CODE - O_SRC] = &o->icmp_code, [O_FLAGS - O_SRC] = &o->flags,
		[O_VLAN - O_SRC] = &o->vlan,      [O_FRAG - O_SRC] = &o->frag,
		[O_HOOK - O_SRC] = &o->hook,      [O_IFACE - O_SRC] = &o->iface,
		[O_STATE - O_SRC] = &o->state,
	};
	int opt;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if (opt == 'v')
			o->verbose = true;
		else if (opt == O_JSON)
			o->json = true;
		else if (opt == O_LIVE)
			o->live = true;
		else if (opt == O_IN && o->n_in < MAX_DYN_OPTS)
			o->in_sets[o->n_in++] = optarg;
		else if (opt == O_OVER && o->n_over < MAX_DYN_OPTS)
			o->over[o->n_over++] = optarg;
		else if (opt >= O_SRC && opt < O_JSON)
			*slot[opt - O_SRC] = optarg;
		else
			return -EINVAL;
	}
	if (optind != argc - 1 || !o->src || !o->dst || !o->proto)
		return -EINVAL;
	return 0;
}

static int run_explain(const struct ef_cli *cli, int argc, char **argv)
{
	struct explain_opts o;
	struct ef_explanation e;
	struct ef_explain_dyn dyn = { 0 };
	struct ef_instance inst;
	struct ef_ruleset rs;
	struct query q;
	int ret;

	if (parse_opts(argc, argv, &o))
		return ef_cli_usage(&ef_cmd_explain);
	if (build_query(&o, &q))
		return EF_EXIT_INPUT;
	if (ef_cli_load_rules(argv[optind], &rs))
		return EF_EXIT_INPUT;
	if (ef_explain_check_names(&rs, o.in_sets, o.n_in, o.over, o.n_over)) {
		ef_ruleset_free(&rs);
		return EF_EXIT_INPUT;
	}
	dyn = (struct ef_explain_dyn){
		.in_sets = o.in_sets, .n_in = o.n_in, .over = o.over, .n_over = o.n_over
	};
	if (o.live && ef_explain_live_open(cli->instance, &inst, &dyn)) {
		ef_ruleset_free(&rs);
		return EF_EXIT_SYSTEM;
	}
	ret = ef_explain_dyn(&rs, &q.pkt, &dyn, &e);
	if (o.live)
		ef_instance_close(&inst);
	if (!ret) {
		if (o.json)
			print_json(&rs, &q, &e, o.verbose);
		else
			print_text(&rs, &q, &e, o.verbose);
	} else {
		ef_log_err("out of memory explaining the packet");
	}
	ef_explanation_free(&e);
	ef_ruleset_free(&rs);
	return ret ? EF_EXIT_SYSTEM : EF_EXIT_OK;
}

const struct ef_command ef_cmd_explain = {
	.name = "explain",
	.usage = "FILE --src ADDR --dst ADDR --proto P [OPTIONS]",
	.summary = "show which rule a packet would hit, and why",
	.help = "  --src ADDR, --dst ADDR  the packet's addresses (same family)\n"
		"  --proto P               tcp, udp, sctp, icmp, icmpv6, ... or 0-255\n"
		"  --sport N, --dport N    ports (tcp, udp, sctp); 0 when not given\n"
		"  --icmp-type T           number or name (echo-request, ...); 0 when not given\n"
		"  --icmp-code C           number or name; 0 when not given\n"
		"  --tcp-flags LIST        set flags, e.g. syn,ack or none\n"
		"  --vlan N|none           innermost VLAN id; none (the default): untagged\n"
		"  --fragment no|first|later  fragment state; default no\n"
		"  --state S               connection state: new, established, related,\n"
		"                          invalid; default: what a packet of no tracked\n"
		"                          flow gets (new, or invalid for a TCP segment\n"
		"                          without a lone SYN, an echo reply, an ICMP error)\n"
		"  --hook H                xdp (default), tc-ingress or tc-egress\n"
		"  --iface IF              the interface; without it, rules with\n"
		"                          'interfaces' do not match\n"
		"  --in SET                the dynamic set SET holds the packet's addresses\n"
		"                          (repeatable); otherwise dynamic sets are empty\n"
		"  --over-limit RULE       RULE's limit has no room (repeatable); otherwise\n"
		"                          limits have room\n"
		"  --live                  read sets and limits from the instance in force\n"
		"                          (-i NAME; root) where --in/--over-limit say nothing\n"
		"  --verbose, -v           also show why each earlier rule did not match\n"
		"  --json                  print one JSON object\n",
	.run = run_explain,
};
