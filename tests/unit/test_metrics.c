// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pure parts of edgefwd's metrics and drop log: listen addresses, label
 * escaping, the exposition of a daemon whose instance is missing, and the
 * JSON line of a drop log event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "droplog.h"
#include "droplog_dyn.h"
#include "edgefw.h"
#include "listen.h"
#include "metrics.h"
#include "daemon.h"
#include "version.h"

static void listen_ok(const char *s, int family, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(ef_parse_listen(s, &ss, &len), 0);
	assert_int_equal(ss.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		assert_int_equal(len, sizeof(*a));
		assert_non_null(inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf)));
		assert_int_equal(ntohs(a->sin_port), port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		assert_int_equal(len, sizeof(*a));
		assert_non_null(inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf)));
		assert_int_equal(ntohs(a->sin6_port), port);
	}
	assert_string_equal(buf, addr);
}

static void listen_bad(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;

	assert_int_equal(ef_parse_listen(s, &ss, &len), -EINVAL);
}

static void test_parse_listen(void **state)
{
	(void)state;
	listen_ok("127.0.0.1:9469", AF_INET, "127.0.0.1", 9469);
	listen_ok("0.0.0.0:1", AF_INET, "0.0.0.0", 1);
	listen_ok("192.0.2.10:65535", AF_INET, "192.0.2.10", 65535);
	listen_ok("[::1]:9469", AF_INET6, "::1", 9469);
	listen_ok("[::]:80", AF_INET6, "::", 80);
	listen_ok("[2001:DB8::5]:8080", AF_INET6, "2001:db8::5", 8080);

	listen_bad("");
	listen_bad("off");
	listen_bad("127.0.0.1");
	listen_bad("127.0.0.1:");
	listen_bad(":9469");
	listen_bad("127.0.0.1:0");
	listen_bad("127.0.0.1:65536");
	listen_bad("127.0.0.1:123456");
	listen_bad("127.0.0.1:94a9");
	listen_bad("127.0.0.1:-1");
	listen_bad("127.0.0.1: 80");
	listen_bad("localhost:9469");
	listen_bad("127.0.0.256:80");
	listen_bad("::1:9469");
	listen_bad("[::1]");
	listen_bad("[::1]:");
	listen_bad("[::1]9469");
	listen_bad("[]:80");
	listen_bad("[127.0.0.1]:80");
	listen_bad("[::1:80");
	listen_bad("[fe80::1%eth0]:80");
}

/* Returns what f wrote; free() it. */
static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	efd_metrics_write_label(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_label_escape(void **state)
{
	char *s;

	(void)state;
	s = escaped("plain-name_1");
	assert_string_equal(s, "plain-name_1");
	free(s);
	s = escaped("a\\b\"c\nd");
	assert_string_equal(s, "a\\\\b\\\"c\\nd");
	free(s);
	s = escaped("\\\\\"\n\n");
	assert_string_equal(s, "\\\\\\\\\\\"\\n\\n");
	free(s);
	s = escaped("");
	assert_string_equal(s, "");
	free(s);
	/* UTF-8 and tabs pass unchanged: the format escapes only three. */
	s = escaped("r\xc3\xa9gle\t1");
	assert_string_equal(s, "r\xc3\xa9gle\t1");
	free(s);
}

/* A daemon whose instance does not exist: its own metrics, instance_up 0,
 * every family announced, labels escaped. */
static void test_render_no_instance(void **state)
{
	static const char *const families[] = {
		"edgefw_rule_packets_total",
		"edgefw_rule_bytes_total",
		"edgefw_default_packets_total",
		"edgefw_default_bytes_total",
		"edgefw_reason_packets_total",
		"edgefw_reason_bytes_total",
		"edgefw_interface_packets_total",
		"edgefw_interface_bytes_total",
		"edgefw_interface_attached",
		"edgefw_ruleset_version",
		"edgefw_ruleset_rules",
		"edgefw_ruleset_info",
		"edgefw_ruleset_loaded_timestamp_seconds",
		"edgefw_reloads_total",
		"edgefw_last_reload_timestamp_seconds",
		"edgefw_last_reload_success",
		"edgefw_drop_log_lines_total",
		"edgefw_drop_log_suppressed_total",
		"edgefw_daemon_start_timestamp_seconds",
		"edgefw_instance_up",
	};
	struct efd_target targets[2] = {
		{ .ifname = "eth0",
		  .ifindex = 2,
		  .hook = EDGEFW_HOOK_XDP,
		  .attached = true,
		  .xdp_mode = "native" },
		{ .ifname = "eth1", .ifindex = 3, .hook = EDGEFW_HOOK_TC_EGRESS },
	};
	char path[] = "/etc/edge\"fw\\conf\n.yaml";
	struct efd d;
	char *buf = NULL, line[256];
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.config_path = path;
	snprintf(d.instance, sizeof(d.instance), "unit-test-no-such-instance");
	d.targets = targets;
	d.n_targets = 2;
	d.version = 7;
	d.rs.hash = 0xabcdef0123456789ull;
	d.reloads.ok = 3;
	d.reloads.failed = 2;
	d.reloads.last_attempt = 1700000000;
	d.reloads.last_failed = true;
	d.started = 1600000000;
	d.log_lines = 42;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(efd_metrics_render(&d, f), 0);
	assert_int_equal(fclose(f), 0);

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(line, sizeof(line), "# HELP %s ", families[i]);
		assert_non_null(strstr(buf, line));
		snprintf(line, sizeof(line), "\n# TYPE %s %s\n", families[i],
			 strstr(families[i], "_total") ? "counter" : "gauge");
		assert_non_null(strstr(buf, line));
	}
	assert_non_null(strstr(buf, "\nedgefw_instance_up 0\n"));
	assert_non_null(strstr(
		buf,
		"\nedgefw_interface_attached{interface=\"eth0\",hook=\"xdp\",mode=\"native\"} 1\n"));
	assert_non_null(strstr(
		buf,
		"\nedgefw_interface_attached{interface=\"eth1\",hook=\"tc-egress\",mode=\"tc\"} 0\n"));
	assert_non_null(strstr(buf, "\nedgefw_ruleset_version 7\n"));
	assert_non_null(strstr(
		buf,
		"\nedgefw_ruleset_info{path=\"/etc/edge\\\"fw\\\\conf\\n.yaml\",hash=\"abcdef0123456789\"} 1\n"));
	assert_non_null(strstr(buf, "\nedgefw_reloads_total{result=\"success\"} 3\n"));
	assert_non_null(strstr(buf, "\nedgefw_reloads_total{result=\"failure\"} 2\n"));
	assert_non_null(strstr(buf, "\nedgefw_last_reload_timestamp_seconds 1700000000\n"));
	assert_non_null(strstr(buf, "\nedgefw_last_reload_success 0\n"));
	assert_non_null(strstr(buf, "\nedgefw_drop_log_lines_total 42\n"));
	assert_non_null(strstr(buf, "\nedgefw_daemon_start_timestamp_seconds 1600000000\n"));
	/* No counters without the instance. */
	assert_null(strstr(buf, "\nedgefw_rule_packets_total{"));
	assert_null(strstr(buf, "\nedgefw_ruleset_loaded_timestamp_seconds "));
	/* Every line ends; no raw newline leaks out of a label. */
	assert_true(len > 0 && buf[len - 1] == '\n');
	for (char *p = buf; *p; p = strchr(p, '\n') + 1)
		assert_true(*p == '#' || strncmp(p, "edgefw_", 7) == 0);
	free(buf);
}

/* 1700000000.123456789 s of realtime: ktime 5.123456789 s plus offset. */
#define KTIME 5123456789ull
#define OFFSET ((int64_t)(1700000000ll - 5) * 1000000000ll)

static struct edgefw_log_event ev4(uint8_t proto, uint32_t sport, uint32_t dport)
{
	struct edgefw_log_event e;

	memset(&e, 0, sizeof(e));
	e.ktime_ns = KTIME;
	e.rule_slot = 3;
	e.ifindex = 7;
	e.pkt_len = 74;
	e.vlan = EDGEFW_UNTAGGED;
	e.sport = sport;
	e.dport = dport;
	e.hook = EDGEFW_HOOK_XDP;
	e.action = EDGEFW_ACT_DROP;
	e.family = 4;
	e.l4proto = proto;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", e.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.2", e.daddr), 1);
	return e;
}

static void fmt_eq(const struct edgefw_log_event *e, const char *rule, const char *ifname,
		   const char *want)
{
	char buf[1024];
	int n = efd_droplog_format(e, rule, ifname, NULL, OFFSET, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_format_ipv4_udp(void **state)
{
	struct edgefw_log_event e = ev4(17, 1234, 53);

	(void)state;
	fmt_eq(&e, "block-dns", "eth0",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"block-dns\","
	       "\"action\":\"drop\",\"interface\":\"eth0\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"udp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"sport\":1234,\"dport\":53,\"length\":74}");
	/* No interface name (gone meanwhile): its index. */
	fmt_eq(&e, "block-dns", NULL,
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"block-dns\","
	       "\"action\":\"drop\",\"interface\":\"if7\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"udp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"sport\":1234,\"dport\":53,\"length\":74}");
}

static void test_format_ipv6_tcp_vlan(void **state)
{
	struct edgefw_log_event e = ev4(6, 40000, 443);

	(void)state;
	e.family = 6;
	e.hook = EDGEFW_HOOK_TC_INGRESS;
	e.action = EDGEFW_ACT_PASS;
	e.vlan = 100;
	e.pkt_len = 1514;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", e.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:0:0:1::ff", e.daddr), 1);
	fmt_eq(&e, "web \"in\"", "vlan100",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"web \\\"in\\\"\","
	       "\"action\":\"pass\",\"interface\":\"vlan100\",\"hook\":\"tc-ingress\","
	       "\"family\":\"ipv6\",\"protocol\":\"tcp\",\"src\":\"2001:db8::1\","
	       "\"dst\":\"2001:db8::1:0:0:ff\",\"sport\":40000,\"dport\":443,"
	       "\"length\":1514,\"vlan\":100}");
	/* VLAN 0 (priority tag) is a tag too. */
	e.vlan = 0;
	e.l4proto = 132;
	e.hook = EDGEFW_HOOK_TC_EGRESS;
	e.action = EDGEFW_ACT_REDIRECT;
	fmt_eq(&e, "r", "e",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"r\","
	       "\"action\":\"redirect\",\"interface\":\"e\",\"hook\":\"tc-egress\","
	       "\"family\":\"ipv6\",\"protocol\":\"sctp\",\"src\":\"2001:db8::1\","
	       "\"dst\":\"2001:db8::1:0:0:ff\",\"sport\":40000,\"dport\":443,"
	       "\"length\":1514,\"vlan\":0}");
}

static void test_format_icmp(void **state)
{
	struct edgefw_log_event e = ev4(1, 8, 0);

	(void)state;
	e.pkt_len = 98;
	fmt_eq(&e, "no-ping", "eth0",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"no-ping\","
	       "\"action\":\"drop\",\"interface\":\"eth0\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"icmp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"icmp_type\":8,\"icmp_code\":0,\"length\":98}");
	e.family = 6;
	e.l4proto = 58;
	e.sport = 128;
	memset(e.saddr, 0, 16);
	e.saddr[15] = 1;
	memcpy(e.daddr, e.saddr, 16);
	fmt_eq(&e, "no-ping", "lo",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"no-ping\","
	       "\"action\":\"drop\",\"interface\":\"lo\",\"hook\":\"xdp\","
	       "\"family\":\"ipv6\",\"protocol\":\"icmpv6\",\"src\":\"::1\","
	       "\"dst\":\"::1\",\"icmp_type\":128,\"icmp_code\":0,\"length\":98}");
}

static void test_format_fragments_other(void **state)
{
	struct edgefw_log_event e = ev4(17, EDGEFW_NO_L4, EDGEFW_NO_L4);

	(void)state;
	e.frag = 2;
	e.vlan = 4095;
	fmt_eq(&e, "frags", "eth0",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"frags\","
	       "\"action\":\"drop\",\"interface\":\"eth0\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"udp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"fragment\":\"later\",\"length\":74,"
	       "\"vlan\":4095}");
	e = ev4(17, 5000, 6000);
	e.frag = 1;
	fmt_eq(&e, "frags", "eth0",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"frags\","
	       "\"action\":\"drop\",\"interface\":\"eth0\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"udp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"sport\":5000,\"dport\":6000,"
	       "\"fragment\":\"first\",\"length\":74}");
	/* GRE: a number, and its "ports" are never shown. */
	e = ev4(47, 1, 2);
	fmt_eq(&e, "gre", "eth0",
	       "{\"time\":\"2023-11-14T22:13:20.123Z\",\"rule\":\"gre\","
	       "\"action\":\"drop\",\"interface\":\"eth0\",\"hook\":\"xdp\","
	       "\"family\":\"ipv4\",\"protocol\":\"47\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"length\":74}");
}

static void test_format_time_and_space(void **state)
{
	struct edgefw_log_event e = ev4(17, 1, 2);
	char buf[1024];
	int n;

	(void)state;
	/* Milliseconds are truncated, not rounded; leading zeros kept. */
	e.ktime_ns = 5000999999ull + 1000000000ull * 86400;
	n = efd_droplog_format(&e, "t", "x", NULL, OFFSET, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"time\":\"2023-11-15T22:13:20.000Z\""));
	e.ktime_ns = 4999999999ull;
	n = efd_droplog_format(&e, "t", "x", NULL, OFFSET, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"time\":\"2023-11-14T22:13:19.999Z\""));

	/* Too small a buffer: -ENOSPC, never a cut line. */
	n = efd_droplog_format(&e, "t", "x", NULL, OFFSET, buf, sizeof(buf));
	assert_int_equal(efd_droplog_format(&e, "t", "x", NULL, OFFSET, buf, (size_t)n), -ENOSPC);
	assert_int_equal(efd_droplog_format(&e, "t", "x", NULL, OFFSET, buf, (size_t)n + 1), n);
}

/* Issue 16: the drop log names the dynamic state that decided. A ruleset
 * with conditions 0 `src: $ban`, 1 `dst: {not: $ok}`, 2 a limit; the
 * deciding rule needs 0 and 1, the packet was over another rule's limit
 * first, and the rule banned the source into "ban" for 10 minutes. */
static void test_format_dynamic(void **state)
{
	struct edgefw_log_event e = ev4(6, 40000, 22);
	struct edgefw_dynset_meta meta[EDGEFW_MAX_DYNSETS];
	struct edgefw_dyn_config dc;
	struct efd_dyn_names dyn;
	char buf[2048];
	int n;

	(void)state;
	memset(meta, 0, sizeof(meta));
	memset(&dc, 0, sizeof(dc));
	snprintf(meta[3].name, sizeof(meta[3].name), "ban");
	snprintf(meta[5].name, sizeof(meta[5].name), "ok");
	dc.n_conds = 3;
	dc.set_conds = 0x3;
	dc.limit_conds = 0x4;
	dc.conds[0] = (struct edgefw_cond){ .kind = EDGEFW_COND_SET_SRC, .set = 3 };
	dc.conds[1] = (struct edgefw_cond){ .kind = EDGEFW_COND_SET_DST, .set = 5, .negate = 1 };
	dc.conds[2] = (struct edgefw_cond){ .kind = EDGEFW_COND_LIMIT, .limit = 2 };
	dc.bans[0] = (struct edgefw_ban_cfg){ .set = 3, .timeout_ns = 600000000000ull };
	e.conds = 0x3; /* src in ban, dst not in ok; the limit bit cleared */
	e.dyn_flags = EDGEFW_LOG_F_OVER;
	e.over_slot = 9;
	e.ban = 1;
	efd_dyn_names_fill(&e, 0x3, &dc, meta, "ssh-within", &dyn);
	assert_int_equal(dyn.n_sets, 2);
	n = efd_droplog_format(&e, "ssh-excess", "eth0", &dyn, OFFSET, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(
		strstr(buf, "\"length\""),
		"\"length\":74,\"sets\":[{\"set\":\"ban\",\"field\":\"src\",\"in\":true},"
		"{\"set\":\"ok\",\"field\":\"dst\",\"in\":false}],"
		"\"over_limit\":\"ssh-within\",\"ban\":{\"set\":\"ban\",\"timeout_ms\":600000}}");

	/* A rule needing only the limit bit, no ban, no timeout: no sets. */
	e.conds = 0x1;
	e.ban = 0;
	e.dyn_flags = 0;
	efd_dyn_names_fill(&e, 0x4, &dc, meta, NULL, &dyn);
	assert_int_equal(dyn.n_sets, 0);
	assert_string_equal(dyn.over_limit, "");
	assert_string_equal(dyn.ban_set, "");
	/* A ban that never expires: timeout_ms null. */
	dc.bans[0].timeout_ns = 0;
	e.ban = 1;
	efd_dyn_names_fill(&e, 0, &dc, meta, NULL, &dyn);
	n = efd_droplog_format(&e, "r", "eth0", &dyn, OFFSET, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"ban\":{\"set\":\"ban\",\"timeout_ms\":null}}"));
}

/* Build info, the reload-duration histogram, the last error's time,
 * capacity and use, and the confirmation window's metrics. */
static void test_render_reload_metrics(void **state)
{
	struct efd_target t = {
		.ifname = "eth0", .ifindex = 2, .hook = EDGEFW_HOOK_XDP, .attached = true
	};
	char path[] = "/etc/edgefw/edgefwd.yaml", line[160];
	struct efd d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.config_path = path;
	snprintf(d.instance, sizeof(d.instance), "unit-test-no-such-instance");
	d.targets = &t;
	d.n_targets = 1;
	d.rs.n_rules = 5;
	efd_reload_observe(&d, 0.02, true); /* buckets from 0.025 up */
	efd_reload_observe(&d, 3.0, false); /* buckets from 5 up */
	d.confirm.pending = true;
	d.confirm.rolled_back = 2;

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(efd_metrics_render(&d, f), 0);
	assert_int_equal(fclose(f), 0);
	snprintf(line, sizeof(line), "\nedgefw_build_info{version=\"%s\"} 1\n", ef_version());
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "\n# TYPE edgefw_reload_duration_seconds histogram\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_bucket{le=\"0.01\"} 0\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_bucket{le=\"0.025\"} 1\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_bucket{le=\"2.5\"} 1\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_bucket{le=\"5\"} 2\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_count 2\n"));
	assert_non_null(strstr(buf, "\nedgefw_reload_duration_seconds_sum 3.020000\n"));
	assert_null(strstr(buf, "\nedgefw_last_reload_error_timestamp_seconds 0\n"));
	assert_non_null(strstr(buf, "\nedgefw_last_reload_error_timestamp_seconds "));
	snprintf(line, sizeof(line), "\nedgefw_capacity{resource=\"rules\"} %d\n",
		 EDGEFW_MAX_RULES);
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "\nedgefw_usage{resource=\"rules\"} 5\n"));
	assert_non_null(strstr(buf, "\nedgefw_usage{resource=\"attachments\"} 1\n"));
	/* No instance: its array sizes are unknown, so not shown. */
	assert_null(strstr(buf, "resource=\"cells\""));
	assert_non_null(strstr(buf, "\nedgefw_confirm_pending 1\n"));
	assert_non_null(strstr(buf, "\nedgefw_confirm_rollbacks_total 2\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_render_no_instance),
		cmocka_unit_test(test_render_reload_metrics),
		cmocka_unit_test(test_format_ipv4_udp),
		cmocka_unit_test(test_format_ipv6_tcp_vlan),
		cmocka_unit_test(test_format_icmp),
		cmocka_unit_test(test_format_fragments_other),
		cmocka_unit_test(test_format_time_and_space),
		cmocka_unit_test(test_format_dynamic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
