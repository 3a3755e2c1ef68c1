// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Explanations (ef_explain) and the `edgefw explain` command: its options,
 * its text and JSON output, its exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "explain.h"
#include "ruletest.h"

static const char rules_yaml[] = "version: 1\n"
				 "defaults: {xdp: drop, tc-egress: pass, fragments: rules}\n"
				 "sets:\n"
				 "  lan: {addresses: [10.0.0.0/8, 'fd00::/8']}\n"
				 "  web: {ports: [80, 443, 8000-8100]}\n"
				 "rules:\n"
				 "  - name: block\n"
				 "    src: [192.0.2.0/24, 198.51.100.0/24]\n"
				 "    action: drop\n"
				 "  - name: web\n"
				 "    src: {not: $lan}\n"
				 "    proto: tcp\n"
				 "    dport: $web\n"
				 "    tcp-flags: [syn, '!ack']\n"
				 "    action: pass\n"
				 "    log: true\n"
				 "  - name: ping\n"
				 "    interfaces: 'eth*'\n"
				 "    proto: icmp\n"
				 "    icmp-type: echo-request\n"
				 "    vlan: 7\n"
				 "    action: redirect\n"
				 "    to: scrub0\n"
				 "  - name: lan\n"
				 "    src: $lan\n"
				 "    hooks: xdp\n"
				 "    fragment: no\n"
				 "    action: pass\n";

static char dir[64], rules_file[96];

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/efw-explain.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(rules_file, sizeof(rules_file), "%s/rules.yaml", dir);
	f = fopen(rules_file, "w");
	if (!f)
		return -1;
	fputs(rules_yaml, f);
	return fclose(f);
}

static int teardown(void **state)
{
	(void)state;
	unlink(rules_file);
	return rmdir(dir);
}

static struct ef_packet pkt(const char *src, const char *dst, uint8_t proto)
{
	struct ef_packet p = { .l4proto = proto, .vlan = EF_VLAN_UNTAGGED };
	struct ef_prefix a, b;
	char err[128];

	assert_int_equal(ef_prefix_parse(src, &a, NULL, err, sizeof(err)), 0);
	assert_int_equal(ef_prefix_parse(dst, &b, NULL, err, sizeof(err)), 0);
	p.family = a.family;
	memcpy(p.saddr, a.addr, 16);
	memcpy(p.daddr, b.addr, 16);
	p.has_ports = proto == 6 || proto == 17;
	p.has_icmp = proto == 1 || proto == 58;
	p.has_tcp_flags = proto == 6;
	return p;
}

static const struct ef_explain_line *field_line(const struct ef_explanation *e,
						enum ef_rule_field f)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].field == f)
			return &e->fields[i];
	fail_msg("no line for field %s", ef_rule_field_name(f));
	return NULL;
}

static void test_explain_rule(void **state)
{
	struct ef_packet p = pkt("203.0.113.9", "10.9.9.9", 6);
	struct ef_explanation e;
	struct parsed rs;

	(void)state;
	parse(&rs, rules_yaml);
	assert_int_equal(rs.ret, 0);
	p.dport = 8080;
	p.tcp_flags = 0x02;
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.by, EF_EXPLAIN_RULE);
	assert_int_equal(e.rule, 1);
	assert_int_equal(e.action, EDGEFW_ACT_PASS);
	assert_int_equal(e.n_fields, 4);
	assert_string_equal(field_line(&e, EF_RF_SRC)->text,
			    "203.0.113.9 is in none of [$lan] (not)");
	assert_string_equal(field_line(&e, EF_RF_PROTO)->text, "tcp is in [tcp]");
	assert_string_equal(field_line(&e, EF_RF_DPORT)->text,
			    "8000-8100 (set $web) contains 8080");
	assert_string_equal(field_line(&e, EF_RF_TCP_FLAGS)->text, "flags syn satisfy syn,!ack");
	assert_true(field_line(&e, EF_RF_SRC)->matched);
	/* The rule before it, and why it did not match. */
	assert_int_equal(e.n_misses, 1);
	assert_int_equal(e.misses[0].rule, 0);
	assert_int_equal(e.misses[0].why.field, EF_RF_SRC);
	assert_false(e.misses[0].why.matched);
	assert_string_equal(e.misses[0].why.text,
			    "203.0.113.9 is not in [192.0.2.0/24, 198.51.100.0/24]");
	ef_explanation_free(&e);

	/* A failing flag check, a port outside the set, a negation that
	 * excludes. */
	p.tcp_flags = 0x12;
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.misses[1].why.field, EF_RF_TCP_FLAGS);
	assert_string_equal(e.misses[1].why.text, "flags syn,ack do not satisfy syn,!ack");
	ef_explanation_free(&e);
	p = pkt("10.1.2.3", "10.9.9.9", 6);
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.rule, 3);
	assert_string_equal(e.misses[1].why.text,
			    "10.0.0.0/8 (set $lan) contains 10.1.2.3, which 'not' excludes");
	assert_string_equal(field_line(&e, EF_RF_SRC)->text,
			    "10.0.0.0/8 (set $lan) contains 10.1.2.3");
	assert_string_equal(field_line(&e, EF_RF_HOOK)->text, "xdp is in [xdp]");
	assert_string_equal(field_line(&e, EF_RF_FRAG)->text,
			    "not a fragment matches 'fragment: no'");
	ef_explanation_free(&e);
	done(&rs);
}

static const char dyn_yaml[] =
	"version: 1\n"
	"sets:\n"
	"  ban: {dynamic: true, type: address}\n"
	"  ok: {dynamic: true, type: address}\n"
	"rules:\n"
	"  - {name: banned, src: $ban, action: drop}\n"
	"  - {name: within, proto: tcp, dport: 22, limit: {rate: 10/m, burst: 5, per: src}, action: pass}\n"
	"  - {name: excess, proto: tcp, dport: 22, action: drop}\n"
	"  - {name: not-ok, dst: {not: $ok}, action: drop}\n";

/* A stand-in for the instance: "ban" holds 198.51.100.7, "ok" is not in
 * the instance, the limit of "within" is spent. */
static int fake_member(void *arg, const char *set, uint8_t family, const uint8_t addr[16],
		       struct ef_dyn_answer *out)
{
	(void)arg;
	(void)family;
	if (strcmp(set, "ban"))
		return -ENOENT;
	out->holds = addr[0] == 198 && addr[3] == 7;
	snprintf(out->detail, sizeof(out->detail), "entry 198.51.100.7/32, no expiry");
	return 0;
}

static int fake_limit(void *arg, const struct ef_rule *r, const struct ef_packet *pkt,
		      struct ef_dyn_answer *out)
{
	(void)arg;
	(void)r;
	(void)pkt;
	out->holds = false;
	snprintf(out->detail, sizeof(out->detail), "its bucket holds 0%% of the burst");
	return 0;
}

/* Issue 16: dynamic conditions decide with what explain was told, read
 * live, or assumed, and each line says which. */
static void test_explain_dynamic(void **state)
{
	struct ef_packet p = pkt("198.51.100.7", "192.0.2.1", 6);
	const char *in[] = { "ban" }, *over[] = { "within" };
	struct ef_explain_dyn given = { .in_sets = in, .n_in = 1 };
	struct ef_explain_dyn live = { fake_member, fake_limit, NULL, NULL, 0, NULL, 0 };
	struct ef_explanation e;
	struct parsed rs;

	(void)state;
	parse(&rs, dyn_yaml);
	assert_int_equal(rs.ret, 0);
	p.dport = 22;
	p.tcp_flags = 0x02;
	/* Nothing said: sets empty, limits with room, and said so. */
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, NULL, &e), 0);
	assert_int_equal(e.rule, 1);
	assert_true(e.assumed);
	assert_int_equal(e.n_misses, 1);
	assert_int_equal(e.misses[0].why.field, EF_RF_SRC);
	assert_non_null(
		strstr(e.misses[0].why.text, "198.51.100.7 is not in dynamic set $ban (assumed: "));
	assert_non_null(strstr(field_line(&e, EF_RF_COUNT)->text,
			       "within the limit 10/m, burst 5 packets (assumed: "));
	ef_explanation_free(&e);
	/* ef_explain is the same. */
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.rule, 1);
	ef_explanation_free(&e);

	/* --in ban: the first rule drops it. */
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, &given, &e), 0);
	assert_int_equal(e.rule, 0);
	assert_false(e.assumed);
	assert_string_equal(field_line(&e, EF_RF_SRC)->text,
			    "198.51.100.7 is in dynamic set $ban (given: --in ban)");
	ef_explanation_free(&e);

	/* --over-limit within: the excess rule. */
	given = (struct ef_explain_dyn){ .over = over, .n_over = 1 };
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, &given, &e), 0);
	assert_int_equal(e.rule, 2);
	assert_int_equal(e.n_misses, 2);
	assert_int_equal(e.misses[1].why.field, EF_RF_COUNT);
	assert_string_equal(e.misses[1].why.text,
			    "over the limit 10/m, burst 5 packets (given: --over-limit within)");
	assert_string_equal(ef_explain_field_name(EF_RF_COUNT), "limit");
	ef_explanation_free(&e);

	/* Live: the instance's set holds the source. Another source: the
	 * live limit is spent, and "ok", which the instance lacks, is
	 * taken as empty, so {not: $ok} matches. */
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, &live, &e), 0);
	assert_int_equal(e.rule, 0);
	assert_string_equal(
		field_line(&e, EF_RF_SRC)->text,
		"198.51.100.7 is in dynamic set $ban (in force now: entry 198.51.100.7/32, no expiry)");
	ef_explanation_free(&e);
	p.saddr[3] = 8;
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, &live, &e), 0);
	assert_int_equal(e.rule, 2);
	assert_non_null(strstr(
		e.misses[1].why.text,
		"over the limit 10/m, burst 5 packets (in force now: its bucket holds 0% of the burst)"));
	assert_int_equal(e.n_conds, 2);
	ef_explanation_free(&e);
	p.dport = 80;
	assert_int_equal(ef_explain_dyn(&rs.rs, &p, &live, &e), 0);
	assert_int_equal(e.rule, 3);
	assert_true(e.assumed);
	assert_string_equal(
		field_line(&e, EF_RF_DST)->text,
		"192.0.2.1 is not in dynamic set $ok, as {not: ...} asks (assumed: the instance has no set 'ok' to read: taken as empty)");
	ef_explanation_free(&e);
	done(&rs);
}

static void test_explain_other_fields(void **state)
{
	struct ef_packet p = pkt("203.0.113.9", "10.9.9.9", 1);
	struct ef_explain_line l;
	struct parsed rs;
	const struct ef_rule *ping;

	(void)state;
	parse(&rs, rules_yaml);
	ping = &rs.rs.rules[2];
	p.icmp_type = 0;
	ef_explain_field(&rs.rs, ping, EF_RF_IFACE, &p, &l);
	assert_false(l.matched);
	assert_string_equal(l.text, "no interface given, and the rule applies only on [eth*]");
	p.ifname = "eth3";
	ef_explain_field(&rs.rs, ping, EF_RF_IFACE, &p, &l);
	assert_true(l.matched);
	assert_string_equal(l.text, "eth3 matches eth*");
	p.ifname = "wan0";
	ef_explain_field(&rs.rs, ping, EF_RF_IFACE, &p, &l);
	assert_string_equal(l.text, "wan0 matches none of [eth*]");
	ef_explain_field(&rs.rs, ping, EF_RF_ICMP_TYPE, &p, &l);
	assert_false(l.matched);
	assert_string_equal(l.text, "type 0 (echo-reply) is not 8 (echo-request)");
	ef_explain_field(&rs.rs, ping, EF_RF_VLAN, &p, &l);
	assert_string_equal(l.text, "untagged is not vlan 7");
	ef_explain_field(&rs.rs, ping, EF_RF_SRC, &p, &l);
	assert_true(l.matched);
	assert_string_equal(l.text, "any");
	ef_explain_field(&rs.rs, &rs.rs.rules[1], EF_RF_DPORT, &p, &l);
	assert_string_equal(l.text, "the packet has no ports (proto icmp)");
	p.frag = EDGEFW_FRAG_LATER;
	ef_explain_field(&rs.rs, ping, EF_RF_ICMP_TYPE, &p, &l);
	assert_string_equal(l.text, "the packet has no ICMP header (a non-first fragment)");
	p.hook = EDGEFW_HOOK_TC_EGRESS;
	ef_explain_field(&rs.rs, &rs.rs.rules[3], EF_RF_HOOK, &p, &l);
	assert_string_equal(l.text, "tc-egress is not in [xdp]");
	done(&rs);
}

static void test_explain_policies(void **state)
{
	struct ef_packet p = pkt("203.0.113.9", "198.51.100.1", 17);
	struct ef_explanation e;
	struct parsed rs;
	char text[512];

	(void)state;
	parse(&rs, rules_yaml);
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.by, EF_EXPLAIN_DEFAULT);
	assert_int_equal(e.action, EDGEFW_ACT_DROP);
	assert_int_equal(e.n_misses, 4);
	ef_explanation_free(&e);

	p = pkt("2001:db8::1", "2001:db8::2", 58);
	p.icmp_type = 135;
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.by, EF_EXPLAIN_NON_IP);
	assert_int_equal(e.action, EDGEFW_ACT_PASS);
	ef_explanation_free(&e);
	done(&rs);

	parse(&rs, "version: 1\ndefaults: {fragments: drop}\n");
	p.frag = EDGEFW_FRAG_LATER;
	assert_int_equal(ef_explain(&rs.rs, &p, &e), 0);
	assert_int_equal(e.by, EF_EXPLAIN_FRAG_POLICY);
	assert_int_equal(e.action, EDGEFW_ACT_DROP);
	ef_explanation_free(&e);
	done(&rs);

	p = pkt("10.0.0.1", "10.0.0.2", 6);
	p.sport = 1;
	p.dport = 2;
	p.tcp_flags = 0x11;
	p.vlan = 9;
	p.ifname = "eth0";
	ef_packet_format(&p, text, sizeof(text));
	assert_string_equal(
		text,
		"10.0.0.1 -> 10.0.0.2, proto tcp, sport 1, dport 2, tcp-flags fin,ack, hook xdp, interface eth0, vlan 9, not a fragment");
}

/* Runs `edgefw explain ARGS...`, its stdout into out. Returns the exit
 * code. */
static int run(char *out, size_t len, const char *const *args)
{
	char *argv[32];
	char path[] = "/tmp/efw-explain-out.XXXXXX";
	struct ef_cli cli = { .instance = "t" };
	int argc = 0, fd, saved, rc;
	ssize_t n;

	argv[argc++] = (char *)"explain";
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	argv[argc] = NULL;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	rc = ef_cmd_explain.run(&cli, argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void test_cli_text(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run(out, sizeof(out),
			     (const char *const[]){ rules_file, "--src", "203.0.113.9", "--dst",
						    "10.9.9.9", "--proto", "tcp", "--dport", "443",
						    "--tcp-flags", "syn", "--verbose", NULL }),
			 EF_EXIT_OK);
	assert_non_null(strstr(
		out,
		"packet: 203.0.113.9 -> 10.9.9.9, proto tcp, sport 0, dport 443, tcp-flags syn, hook xdp, untagged, not a fragment\n"));
	assert_non_null(strstr(out, "note: --sport not given: using 0\n"));
	assert_non_null(strstr(out, "rules tried first:\n  rule 'block' ("));
	assert_non_null(strstr(
		out,
		"rules.yaml:7:5): src: 203.0.113.9 is not in [192.0.2.0/24, 198.51.100.0/24]\n"));
	assert_non_null(strstr(out, "verdict: pass, by rule 'web' ("));
	assert_non_null(strstr(out, "rules.yaml:10:5), logged\n"));
	assert_non_null(strstr(out, "  dport      443 (set $web) contains 443\n"));

	assert_int_equal(
		run(out, sizeof(out),
		    (const char *const[]){ rules_file, "--src", "203.0.113.9", "--dst", "10.9.9.9",
					   "--proto", "icmp", "--icmp-type", "echo-request",
					   "--vlan", "7", "--iface", "eth1", NULL }),
		EF_EXIT_OK);
	assert_null(strstr(out, "rules tried first"));
	assert_non_null(strstr(out, "verdict: redirect to scrub0, by rule 'ping'"));
	assert_non_null(strstr(out, "  interfaces eth1 matches eth*\n"));

	assert_int_equal(
		run(out, sizeof(out),
		    (const char *const[]){ rules_file, "--src", "203.0.113.9", "--dst", "10.9.9.9",
					   "--proto", "udp", "--hook", "tc-egress", NULL }),
		EF_EXIT_OK);
	assert_non_null(strstr(out, "verdict: pass, by defaults.tc-egress: no rule matches\n"));
	assert_int_equal(
		run(out, sizeof(out),
		    (const char *const[]){ rules_file, "--src", "fd00::1", "--dst", "fd00::2",
					   "--proto", "udp", "--fragment", "later", NULL }),
		EF_EXIT_OK);
	assert_non_null(strstr(
		out,
		"packet: fd00::1 -> fd00::2, proto udp, hook xdp, untagged, a non-first fragment\n"));
	assert_non_null(strstr(out, "verdict: drop, by defaults.xdp"));
}

static void test_cli_json(void **state)
{
	char out[8192];
	json_object *root, *dec, *v, *fields, *tried;

	(void)state;
	assert_int_equal(
		run(out, sizeof(out),
		    (const char *const[]){ rules_file, "--src", "10.1.1.1", "--dst", "10.9.9.9",
					   "--proto", "17", "--json", "-v", NULL }),
		EF_EXIT_OK);
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "decision", &dec));
	assert_true(json_object_object_get_ex(dec, "rule", &v));
	assert_string_equal(json_object_get_string(v), "lan");
	assert_true(json_object_object_get_ex(dec, "by", &v));
	assert_string_equal(json_object_get_string(v), "rule");
	assert_true(json_object_object_get_ex(dec, "action", &v));
	assert_string_equal(json_object_get_string(v), "pass");
	assert_true(json_object_object_get_ex(dec, "line", &v));
	assert_int_equal(json_object_get_int(v), 24);
	assert_true(json_object_object_get_ex(root, "fields", &fields));
	assert_int_equal(json_object_array_length(fields), 3);
	v = json_object_array_get_idx(fields, 1);
	assert_true(json_object_object_get_ex(v, "field", &v));
	assert_string_equal(json_object_get_string(v), "src");
	assert_true(json_object_object_get_ex(root, "tried", &tried));
	assert_int_equal(json_object_array_length(tried), 3);
	v = json_object_array_get_idx(tried, 2);
	assert_true(json_object_object_get_ex(v, "why", &v));
	assert_string_equal(json_object_get_string(v),
			    "no interface given, and the rule applies only on [eth*]");
	json_object_put(root);
}

static void test_cli_errors(void **state)
{
	const char *const *const bad[] = {
		(const char *const[]){ "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto", "tcp",
				       NULL },
		(const char *const[]){ "RULES", "--dst", "10.0.0.2", "--proto", "tcp", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.0/8", "--dst", "10.0.0.2",
				       "--proto", "tcp", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "fd00::1", "--proto",
				       "tcp", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tpc", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "icmp", "--dport", "1", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--dport", "65536", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "udp", "--tcp-flags", "syn", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--tcp-flags", "sin", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "icmp", "--icmp-type", "pong", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--vlan", "4096", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--fragment", "maybe", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--hook", "tc", NULL },
		(const char *const[]){ "RULES", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--proto",
				       "tcp", "--iface", "abcdefghijklmnop", NULL },
		(const char *const[]){ "/nonexistent/r.yaml", "--src", "10.0.0.1", "--dst",
				       "10.0.0.2", "--proto", "tcp", NULL },
	};
	char out[1024];

	(void)state;
	for (size_t i = 0; i < N_CASES(bad); i++) {
		const char *args[20];
		size_t n = 0;

		for (; bad[i][n]; n++)
			args[n] = strcmp(bad[i][n], "RULES") ? bad[i][n] : rules_file;
		args[n] = NULL;
		if (run(out, sizeof(out), args) != EF_EXIT_INPUT)
			fail_msg("case %zu was not refused", i);
		assert_string_equal(out, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain_rule),
		cmocka_unit_test(test_explain_dynamic),
		cmocka_unit_test(test_explain_other_fields),
		cmocka_unit_test(test_explain_policies),
		cmocka_unit_test(test_cli_text),
		cmocka_unit_test(test_cli_json),
		cmocka_unit_test(test_cli_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
