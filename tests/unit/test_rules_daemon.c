// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The top-level sections only edgefwd reads: `interfaces` and `daemon`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ruleset.h"
#include "ruletest.h"

#define HOOK(h) (1u << EDGEFW_HOOK_##h)

static void test_defaults(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1\n");
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.n_attach, 0);
	assert_string_equal(p.rs.daemon.instance, "");
	assert_string_equal(p.rs.daemon.control_socket, "");
	assert_string_equal(p.rs.daemon.control_group, "");
	assert_string_equal(p.rs.daemon.metrics, "");
	assert_string_equal(p.rs.daemon.drop_log, "");
	assert_int_equal(p.rs.daemon.log_rate, EF_LOG_RATE_DEFAULT);
	assert_int_equal(p.rs.daemon.on_exit, EF_ON_EXIT_KEEP);
	done(&p);
	expect_clean("version: 1\ninterfaces: []\ndaemon: {}\n");
}

static void test_interfaces(void **state)
{
	struct parsed p;
	const struct ef_attach_spec *a;

	(void)state;
	parse(&p, "version: 1\n"
		  "interfaces:\n"
		  "  - name: [\"wan*\", eth0]\n"
		  "    hooks: [xdp, tc-egress]\n"
		  "    mode: native\n"
		  "  - name: lo\n"
		  "    hooks: tc-ingress\n"
		  "  - name: eth1\n");
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.rs.n_attach, 4);
	a = p.rs.attach;
	assert_string_equal(a[0].pattern, "wan*");
	assert_int_equal(a[0].hooks, HOOK(XDP) | HOOK(TC_EGRESS));
	assert_int_equal(a[0].mode, EF_ATTACH_NATIVE);
	assert_int_equal(a[0].line, 3);
	assert_int_equal(a[0].col, 12);
	assert_string_equal(a[1].pattern, "eth0");
	assert_int_equal(a[1].mode, EF_ATTACH_NATIVE);
	assert_string_equal(a[2].pattern, "lo");
	assert_int_equal(a[2].hooks, HOOK(TC_INGRESS));
	assert_string_equal(a[3].pattern, "eth1");
	assert_int_equal(a[3].hooks, HOOK(XDP));
	assert_int_equal(a[3].mode, EF_ATTACH_AUTO);
	done(&p);

	expect_error("version: 1\ninterfaces:\n  - hooks: xdp\n", 3, 5, "needs 'name: IFNAME'");
	expect_error("version: 1\ninterfaces:\n  - {name: 'a/b'}\n", 3, 12,
		     "'a/b' is not a valid interface name or pattern");
	expect_error("version: 1\ninterfaces:\n  - {name: eth0, hooks: xpd}\n", 3, 25,
		     "did you mean 'xdp'?");
	expect_error("version: 1\ninterfaces:\n  - {name: eth0, mode: fast}\n", 3, 24,
		     "mode 'fast' is not one of: auto, native, generic");
	expect_error("version: 1\ninterfaces:\n  - {name: eth0, hooks: tc-egress, mode: native}\n",
		     3, 42, "'mode' applies to the xdp hook only");
	expect_error("version: 1\ninterfaces:\n  - {name: eth0, hoks: xdp}\n", 3, 18,
		     "unknown key 'hoks' in an interfaces entry; did you mean 'hooks'?");
	expect_error("version: 1\ninterfaces: eth0\n", 2, 13, "interfaces");
	expect_warning(
		"version: 1\ninterfaces:\n  - {name: eth0}\n  - {name: eth0, mode: generic}\n", 4,
		12, "already listed at line 3");
}

static void test_daemon(void **state)
{
	struct parsed p;
	const struct ef_daemon_conf *c;

	(void)state;
	parse(&p, "version: 1\n"
		  "daemon:\n"
		  "  instance: edge-1\n"
		  "  control-socket: /run/edgefw/x.sock\n"
		  "  control-group: edgefw-ro\n"
		  "  metrics: \"[::1]:9100\"\n"
		  "  drop-log: /var/log/edgefw/drops.jsonl\n"
		  "  log-rate: 0\n"
		  "  on-exit: detach\n");
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	c = &p.rs.daemon;
	assert_string_equal(c->instance, "edge-1");
	assert_string_equal(c->control_socket, "/run/edgefw/x.sock");
	assert_string_equal(c->control_group, "edgefw-ro");
	assert_string_equal(c->metrics, "[::1]:9100");
	assert_string_equal(c->drop_log, "/var/log/edgefw/drops.jsonl");
	assert_int_equal(c->log_rate, 0);
	assert_int_equal(c->on_exit, EF_ON_EXIT_DETACH);
	done(&p);

	expect_clean("version: 1\ndaemon: {metrics: 'off', drop-log: '-'}\n");
	expect_clean("version: 1\ndaemon: {metrics: '0.0.0.0:80'}\n");
	expect_error("version: 1\ndaemon: {instance: 'a b'}\n", 2, 20,
		     "instance 'a b' is not a valid name");
	expect_error("version: 1\ndaemon: {control-socket: run/x.sock}\n", 2, 26,
		     "control-socket must be an absolute path");
	expect_clean("version: 1\ndaemon: {control-group: adm}\n");
	expect_clean("version: 1\ndaemon: {control-group: mon.it_2}\n");
	expect_error("version: 1\ndaemon: {control-group: 'a b'}\n", 2, 25,
		     "control-group 'a b' is not a valid group name");
	expect_error("version: 1\ndaemon: {control-group: -x}\n", 2, 25,
		     "control-group '-x' is not a valid group name");
	expect_error("version: 1\ndaemon: {control-group: abcdefghijabcdefghijabcdefghijabc}\n", 2,
		     25, "control-group is longer than 32 characters");
	expect_error("version: 1\ndaemon: {metrics: localhost:80}\n", 2, 19,
		     "metrics 'localhost:80' is not HOST:PORT");
	expect_error("version: 1\ndaemon: {metrics: '127.0.0.1:0'}\n", 2, 19, "is not HOST:PORT");
	expect_error("version: 1\ndaemon: {metrics: '[::1:80'}\n", 2, 19, "is not HOST:PORT");
	expect_error("version: 1\ndaemon: {drop-log: drops.log}\n", 2, 20,
		     "drop-log must be '-' (standard output) or an absolute path");
	expect_error("version: 1\ndaemon: {log-rate: -1}\n", 2, 20,
		     "log-rate '-1' is not a number");
	expect_error("version: 1\ndaemon: {log-rate: 100001}\n", 2, 20, "from 0 to 100000");
	expect_clean("version: 1\ndaemon: {conntrack-size: 65536}\n");
	expect_error("version: 1\ndaemon: {conntrack-size: 100}\n", 2, 26,
		     "conntrack-size '100' is not a number of flows from 4096 to 16777216");
	expect_error("version: 1\ndaemon: {on-exit: stay}\n", 2, 19,
		     "on-exit 'stay' is not one of: keep, detach");
	expect_error("version: 1\ndaemon: {metric: 'off'}\n", 2, 10,
		     "unknown key 'metric' in daemon; did you mean 'metrics'?");
	expect_error("version: 1\ndaemon: [a]\n", 2, 9, "daemon");
	expect_error("version: 1\ndaemon: {instance: ''}\n", 2, 20, "must not be empty");
}

static void test_source_etcd(void **state)
{
	const struct ef_fleet_conf *c;
	struct parsed p;

	(void)state;
	parse(&p, "interfaces:\n"
		  "  - name: eth0\n"
		  "daemon:\n"
		  "  source:\n"
		  "    etcd:\n"
		  "      endpoints: [https://10.77.0.1:2379, https://10.77.0.2:2379]\n"
		  "      group: edge-eu\n"
		  "      host: h1.example\n"
		  "      tls: {ca: /e/ca.pem, cert: /e/c.pem, key: /e/k.pem}\n");
	if (p.ret)
		ef_diag_print(&p.d, stderr);
	assert_int_equal(p.ret, 0);
	c = &p.rs.daemon.fleet;
	assert_true(c->on);
	assert_int_equal(c->n_endpoints, 2);
	assert_string_equal(c->endpoints[1], "https://10.77.0.2:2379");
	assert_string_equal(c->group, "edge-eu");
	assert_string_equal(c->host, "h1.example");
	assert_string_equal(c->prefix, EF_FLEET_PREFIX_DEFAULT);
	assert_string_equal(c->state_dir, EF_FLEET_STATE_DIR_DEFAULT);
	assert_string_equal(c->cert, "/e/c.pem");
	done(&p);
	expect_clean(
		"version: 1\ndaemon: {source: {etcd: {endpoints: http://127.0.0.1:2379, group: g, prefix: /x/, state-dir: /tmp/s}}}\n");
	expect_error(
		"version: 1\nrules: []\ndaemon: {source: {etcd: {endpoints: 'http://a:1', group: g}}}\n",
		2, 1,
		"daemon.source.etcd: a file with an etcd source holds no rules: they come from group g");
	expect_error("daemon: {source: {etcd: {endpoints: 'ftp://a', group: g}}}\n", 1, 37,
		     "endpoints: 'ftp://a' is not http://HOST:PORT or https://HOST:PORT");
	expect_error("daemon: {source: {etcd: {endpoints: 'http://a:1'}}}\n", 1, 25,
		     "daemon.source.etcd needs 'group: NAME'");
	expect_error("daemon: {source: {etcd: {group: g}}}\n", 1, 25,
		     "daemon.source.etcd needs 'endpoints: [URL, ...]'");
	expect_error("daemon: {source: {etcd: {endpoints: 'http://a:1', group: 'a b'}}}\n", 1, 58,
		     "group 'a b' is not valid");
	expect_error("daemon: {source: {etcd: {endpoints: 'http://a:1', group: g, prefix: x}}}\n",
		     1, 69, "prefix 'x' must start and end with '/'");
	expect_error(
		"daemon: {source: {etcd: {endpoints: 'https://a:1', group: g, tls: {cert: /c}}}}\n",
		1, 67, "give both cert and key");
	expect_error(
		"daemon: {source: {etcd: {endpoints: 'http://a:1', group: g, tls: {ca: /c}}}}\n", 1,
		37, "endpoint 'http://a:1' is http:// but tls is given");
	expect_error(
		"daemon: {source: {etcd: {endpoints: 'http://a:1', group: g, state-dir: s}}}\n", 1,
		72, "state-dir must be an absolute path");
	expect_error("daemon: {source: {file: x}}\n", 1, 19, "unknown key 'file' in daemon.source");
	expect_error("daemon: {source: {etcd: {endpoints: 'http://a:1', group: g, hosts: x}}}\n", 1,
		     61, "unknown key 'hosts' in daemon.source.etcd");
	expect_error("daemon: {}\n", 1, 1, "missing 'version: 1'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_source_etcd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
