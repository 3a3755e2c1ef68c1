// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "metrics.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "counters.h"
#include "cttable.h"
#include "edgefw.h"
#include "listen.h"
#include "jsonout.h"
#include "log.h"
#include "memory.h"
#include "progs.h"
#include "version.h"

/* The daemon's optional parts by the name that metrics label them with
 * and status reports them under. */
static const char *const part_names[EFD_PART_COUNT] = {
	[EFD_PART_CONTROL] = "control_socket",
	[EFD_PART_DROPLOG] = "drop_log",
	[EFD_PART_METRICS] = "metrics",
};

const char *efd_part_name(enum efd_part p)
{
	return p < EFD_PART_COUNT ? part_names[p] : "?";
}

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct efd_metrics {
	struct MHD_Daemon *mhd;
	struct efd *d;
	bool starting; /* in MHD_start_daemon */
};

void efd_metrics_write_label(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	/* Label values are UTF-8: an invalid byte (an interface name may
	 * hold any) becomes U+FFFD rather than breaking the whole scrape. */
	while (*p) {
		size_t n = ef_utf8_seq_len(p);

		if (*p == '\\')
			fputs("\\\\", out);
		else if (*p == '"')
			fputs("\\\"", out);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (n)
			fwrite(p, 1, n, out);
		else
			fputs("\xef\xbf\xbd", out);
		p += n ? n : 1;
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{k="v",...} value, with nlabels (key, value) pairs of
 * strings after nlabels. */
static void sample(FILE *f, const char *name, uint64_t value, int nlabels, ...)
{
	va_list ap;

	fputs(name, f);
	va_start(ap, nlabels);
	for (int i = 0; i < nlabels; i++) {
		const char *k = va_arg(ap, const char *);
		const char *v = va_arg(ap, const char *);

		fprintf(f, "%s%s=\"", i ? "," : "{", k);
		efd_metrics_write_label(f, v);
		fputc('"', f);
	}
	va_end(ap);
	fprintf(f, "%s %" PRIu64 "\n", nlabels ? "}" : "", value);
}

static const char *target_mode(const struct efd_target *t)
{
	static const char *const asked[] = { "auto", "native", "generic" };

	if (t->hook != EDGEFW_HOOK_XDP)
		return "tc";
	if (t->xdp_mode[0])
		return t->xdp_mode;
	/* Not attached (yet): the mode the config asks for. */
	return t->mode < sizeof(asked) / sizeof(asked[0]) ? asked[t->mode] : "?";
}

static uint64_t nonneg(time_t t)
{
	return t > 0 ? (uint64_t)t : 0;
}

/* issue 16: limits and dynamic sets. */
static void render_dynamic(FILE *f, const struct ef_stats *st)
{
	char buf[24];

	family(f, "edgefw_rule_over_limit_packets_total", "counter",
	       "Packets a rule's limit sent on to the next rules.");
	for (size_t i = 0; st && i < st->n_rules; i++)
		sample(f, "edgefw_rule_over_limit_packets_total", st->rules[i].over_limit.packets,
		       1, "rule", st->rules[i].name);
	family(f, "edgefw_dynset_entries", "gauge",
	       "Live entries of a dynamic set (IPv4 and IPv6).");
	for (size_t i = 0; st && i < st->n_sets; i++)
		sample(f, "edgefw_dynset_entries", st->sets[i].entries, 1, "set", st->sets[i].name);
	family(f, "edgefw_dynset_events_total", "counter",
	       "Dynamic set lookups that matched or met an expired entry, and bans from the datapath.");
	for (size_t i = 0; st && i < st->n_sets; i++) {
		for (unsigned w = 0; w < EDGEFW_DSTAT_COUNT; w++) {
			snprintf(buf, sizeof(buf), "%s", ef_dyn_stat_name(w));
			sample(f, "edgefw_dynset_events_total", st->sets[i].counters[w], 2, "set",
			       st->sets[i].name, "event", buf);
		}
	}
}

/* The instance's part: counters and the ruleset it holds. */
static void render_instance(FILE *f, const struct ef_stats *st, const uint64_t *suppressed)
{
	static const struct {
		const char *name, *help;
		bool bytes;
	} rule_fams[] = {
		{ "edgefw_rule_packets_total", "Packets a rule decided.", false },
		{ "edgefw_rule_bytes_total", "Bytes of the packets a rule decided.", true },
	}, def_fams[] = {
		{ "edgefw_default_packets_total", "Packets no rule matched, by hook.", false },
		{ "edgefw_default_bytes_total", "Bytes of the packets no rule matched, by hook.", true },
	}, reason_fams[] = {
		{ "edgefw_reason_packets_total", "Packets by why no rule decided them.", false },
		{ "edgefw_reason_bytes_total", "Bytes of the packets by why no rule decided them.", true },
	}, if_fams[] = {
		{ "edgefw_interface_packets_total", "Packets by interface, hook and final action.", false },
		{ "edgefw_interface_bytes_total", "Bytes by interface, hook and final action.", true },
	};

	for (size_t k = 0; k < 2; k++) {
		family(f, rule_fams[k].name, "counter", rule_fams[k].help);
		for (size_t i = 0; st && i < st->n_rules; i++) {
			const struct ef_rule_stat *r = &st->rules[i];

			sample(f, rule_fams[k].name, rule_fams[k].bytes ? r->bytes : r->packets, 2,
			       "rule", r->name, "action", ef_action_name(r->action));
		}
	}
	for (size_t k = 0; k < 2; k++) {
		family(f, def_fams[k].name, "counter", def_fams[k].help);
		for (uint32_t h = 0; st && h < EDGEFW_HOOK_COUNT; h++)
			sample(f, def_fams[k].name,
			       def_fams[k].bytes ? st->defaults[h].bytes : st->defaults[h].packets,
			       2, "hook", ef_hook_name(h), "action",
			       ef_action_name(st->default_action[h]));
	}
	for (size_t k = 0; k < 2; k++) {
		family(f, reason_fams[k].name, "counter", reason_fams[k].help);
		for (unsigned r = 0; st && r < EDGEFW_REASON_COUNT; r++)
			sample(f, reason_fams[k].name,
			       reason_fams[k].bytes ? st->reasons[r].bytes : st->reasons[r].packets,
			       1, "reason", ef_reason_name(r));
	}
	for (size_t k = 0; k < 2; k++) {
		family(f, if_fams[k].name, "counter", if_fams[k].help);
		for (size_t i = 0; st && i < st->n_ifaces; i++) {
			const struct ef_iface_stat *s = &st->ifaces[i];

			for (unsigned a = 0; a < EDGEFW_ACT_COUNT; a++)
				sample(f, if_fams[k].name,
				       if_fams[k].bytes ? s->act[a].bytes : s->act[a].packets, 3,
				       "interface", s->ifname, "hook", ef_hook_name(s->hook),
				       "action", ef_action_name(a));
		}
	}
	family(f, "edgefw_drop_log_suppressed_total", "counter",
	       "Drop log events not sent: over the rate limit or the ring was full.");
	for (size_t i = 0; st && i < st->n_rules; i++)
		sample(f, "edgefw_drop_log_suppressed_total", suppressed[i], 1, "rule",
		       st->rules[i].name);
	family(f, "edgefw_ruleset_loaded_timestamp_seconds", "gauge",
	       "When the ruleset in force was loaded (Unix time).");
	if (st)
		sample(f, "edgefw_ruleset_loaded_timestamp_seconds", st->state.loaded_at, 0);
	render_dynamic(f, st);
}

static void render_daemon(FILE *f, const struct efd *d, const struct ef_stats *st, bool up)
{
	char hash[17];

	family(f, "edgefw_interface_attached", "gauge",
	       "1 when the interface and hook the config names is attached.");
	for (size_t i = 0; i < d->n_targets; i++) {
		const struct efd_target *t = &d->targets[i];

		sample(f, "edgefw_interface_attached", t->attached ? 1 : 0, 3, "interface",
		       t->ifname, "hook", ef_hook_name(t->hook), "mode", target_mode(t));
	}
	family(f, "edgefw_ruleset_version", "gauge",
	       "Rulesets switched in since the instance was created.");
	sample(f, "edgefw_ruleset_version", up ? st->state.version : d->version, 0);
	family(f, "edgefw_ruleset_rules", "gauge", "Rules in the ruleset in force.");
	sample(f, "edgefw_ruleset_rules", up ? st->n_rules : d->rs.n_rules, 0);
	family(f, "edgefw_ruleset_info", "gauge",
	       "The config file in force and the ruleset hash of the rules in force (edgefw show).");
	snprintf(hash, sizeof(hash), "%016" PRIx64,
		 up ? (uint64_t)st->state.ruleset_hash : d->rs.hash);
	sample(f, "edgefw_ruleset_info", 1, 2, "path", d->config_path ? d->config_path : "", "hash",
	       hash);
	family(f, "edgefw_reloads_total", "counter", "Reloads by result.");
	sample(f, "edgefw_reloads_total", d->reloads.ok, 1, "result", "success");
	sample(f, "edgefw_reloads_total", d->reloads.failed, 1, "result", "failure");
	family(f, "edgefw_last_reload_timestamp_seconds", "gauge",
	       "When the last reload was attempted (Unix time; 0: never).");
	sample(f, "edgefw_last_reload_timestamp_seconds", nonneg(d->reloads.last_attempt), 0);
	family(f, "edgefw_last_reload_success", "gauge",
	       "1 when the last reload succeeded (or none failed yet).");
	sample(f, "edgefw_last_reload_success", d->reloads.last_failed ? 0 : 1, 0);
	family(f, "edgefw_drop_log_lines_total", "counter", "Drop log lines written.");
	sample(f, "edgefw_drop_log_lines_total", d->log_lines, 0);
	family(f, "edgefw_drop_log_errors_total", "counter",
	       "Drop log lines lost to write errors.");
	sample(f, "edgefw_drop_log_errors_total", d->log_errors, 0);
	family(f, "edgefw_daemon_start_timestamp_seconds", "gauge",
	       "When edgefwd started (Unix time).");
	sample(f, "edgefw_daemon_start_timestamp_seconds", nonneg(d->started), 0);
	family(f, "edgefw_foreign_changes_total", "counter",
	       "Rulesets switched in without edgefwd, which it then put back.");
	sample(f, "edgefw_foreign_changes_total", d->foreign_changes, 0);
	family(f, "edgefw_attach_refused_total", "counter",
	       "Attach attempts refused because the instance had as many attachments as it can hold.");
	sample(f, "edgefw_attach_refused_total", d->attach_refused, 0);
	family(f, "edgefw_program_loads_total", "counter",
	       "BPF programs edgefwd loaded (each a verifier pass): one per hook, not per interface.");
	sample(f, "edgefw_program_loads_total", ef_prog_loads(), 0);
	family(f, "edgefw_component_up", "gauge",
	       "1 when an optional part (control socket, drop log, metrics) works.");
	for (int p = 0; p < EFD_PART_COUNT; p++)
		if (d->parts[p].wanted)
			sample(f, "edgefw_component_up", d->parts[p].up ? 1 : 0, 1, "component",
			       efd_part_name((enum efd_part)p));
	family(f, "edgefw_component_failures_total", "counter",
	       "Failed attempts to open an optional part.");
	for (int p = 0; p < EFD_PART_COUNT; p++)
		if (d->parts[p].wanted)
			sample(f, "edgefw_component_failures_total", d->parts[p].failures, 1,
			       "component", efd_part_name((enum efd_part)p));
	family(f, "edgefw_build_info", "gauge", "Always 1; the edgefwd version in a label.");
	sample(f, "edgefw_build_info", 1, 1, "version", ef_version());
	/* Lockout safety (confirm.c). */
	family(f, "edgefw_confirm_pending", "gauge",
	       "1 while a reload awaits confirmation (edgefw confirm) before it rolls back.");
	sample(f, "edgefw_confirm_pending", d->confirm.pending ? 1 : 0, 0);
	family(f, "edgefw_confirm_rollbacks_total", "counter", "Unconfirmed reloads rolled back.");
	sample(f, "edgefw_confirm_rollbacks_total", d->confirm.rolled_back, 0);
	family(f, "edgefw_instance_up", "gauge",
	       "1 when the instance's maps could be read for this scrape (0 also while a command holds the instance's lock).");
	sample(f, "edgefw_instance_up", up ? 1 : 0, 0);
}

/* The connection table's counters (cttable.h): packets by the state the
 * tracker gave them, table events, and the tables' sizes. Entries are not
 * counted here (that walks the table): `edgefw conntrack count` does. */
static void render_conntrack(FILE *f, const struct ef_ct_counters *c)
{
	family(f, "edgefw_conntrack_packets_total", "counter",
	       "Packets by the connection state the tracker gave them (stateful rulesets only).");
	for (unsigned i = EDGEFW_CTS_NEW; i <= EDGEFW_CTS_INVALID; i++)
		sample(f, "edgefw_conntrack_packets_total", c->v[i], 1, "state",
		       ef_ct_stat_name(i));
	family(f, "edgefw_conntrack_events_total", "counter",
	       "Flows recorded, confirmed, not recorded (table error) and found expired.");
	for (unsigned i = EDGEFW_CTS_CREATED; i < EDGEFW_CTS_COUNT; i++)
		sample(f, "edgefw_conntrack_events_total", c->v[i], 1, "event", ef_ct_stat_name(i));
	family(f, "edgefw_conntrack_capacity", "gauge",
	       "Entries each connection table holds at most.");
	sample(f, "edgefw_conntrack_capacity", c->cap, 1, "table", "confirmed");
	sample(f, "edgefw_conntrack_capacity", c->new_cap, 1, "table", "unconfirmed");
}

int efd_metrics_render(struct efd *d, FILE *out)
{
	struct ef_ct_counters ct;
	bool ct_up = false;
	struct ef_capacity cap;
	struct ef_instance inst;
	struct ef_stats st;
	uint64_t *suppressed = NULL;
	bool up = false, have_cap = false, have_mem = false;
	struct ef_ruleset_state rs;
	struct ef_memory mem;
	size_t attached = 0;
	int ret;

	memset(&st, 0, sizeof(st));
	/* A failed open or read is logged by the loader; the scrape still
	 * gets the daemon's own metrics and edgefw_instance_up 0. Never wait
	 * for the lock: a CLI holding it must not stall the event loop. */
	if (!ef_instance_open(d->instance, EF_OPEN_SHARED | EF_OPEN_NOWAIT, &inst)) {
		have_cap = !ef_instance_capacity(&inst, &cap);
		if (!ef_stats_read(&inst, &st)) {
			suppressed = calloc(st.n_rules + 1, sizeof(*suppressed));
			for (size_t i = 0; suppressed && i < st.n_rules; i++) {
				struct edgefw_log_state ls;
				__u32 slot = st.rules[i].slot;

				if (!bpf_map_lookup_elem(inst.maps.log_state, &slot, &ls))
					suppressed[i] = ls.suppressed;
			}
			up = suppressed != NULL;
		}
		ct_up = !ef_ct_read_counters(&inst, &ct);
		have_mem = !ef_instance_read_state(&inst, &rs) && !ef_instance_memory(&inst, &mem);
		ef_instance_close(&inst);
	}
	render_instance(out, up ? &st : NULL, suppressed);
	if (ct_up)
		render_conntrack(out, &ct);
	render_daemon(out, d, &st, up);
	efd_metrics_render_reloads(out, d);
	efd_fleet_render_metrics(out, d);
	for (size_t i = 0; i < d->n_targets; i++)
		attached += d->targets[i].attached;
	efd_metrics_render_capacity(out, d, have_cap ? &cap : NULL, up ? st.n_rules : d->rs.n_rules,
				    attached);
	if (have_mem)
		efd_metrics_render_memory(out, &mem, &rs);
	ret = fflush(out) || ferror(out) ? -EIO : 0;
	ef_stats_free(&st);
	free(suppressed);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *body,
			       size_t len, bool allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct efd_metrics *m = cls;
	static const char nf[] = "not found: edgefwd serves /metrics\n";
	static const char na[] = "method not allowed: use GET\n";
	static const char ie[] = "cannot render the metrics; see edgefwd's log\n";
	char *buf = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	FILE *f;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(url, "/metrics") != 0)
		return respond(c, MHD_HTTP_NOT_FOUND, nf, sizeof(nf) - 1, false);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, na, sizeof(na) - 1, true);
	f = open_memstream(&buf, &len);
	if (!f)
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR, ie, sizeof(ie) - 1, false);
	ret = efd_metrics_render(m->d, f) ? MHD_NO : MHD_YES;
	if (fclose(f) || ret == MHD_NO) {
		free(buf);
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR, ie, sizeof(ie) - 1, false);
	}
	ret = respond(c, MHD_HTTP_OK, buf, len, false);
	free(buf);
	return ret;
}

/* libmicrohttpd's own messages, in the daemon's log format. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct efd_metrics *m = cls;
	char msg[256];
	size_t n;

	/* A failed start gets one message of ours, with the same errno. */
	if (m->starting)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	ef_log_warn("metrics: %s", msg);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* edgefwd.service lets this service's sockets talk to localhost only
 * (IPAddressDeny=any): scrapers elsewhere need a drop-in. systemd sets
 * INVOCATION_ID for the processes of a unit. */
static void warn_ip_policy(const char *listen, const struct sockaddr_storage *ss)
{
	if (getenv("INVOCATION_ID") && !is_loopback(ss))
		ef_log_warn(
			"metrics on %s: if this runs as edgefwd.service, its IPAddressDeny=any lets only localhost connect; allow your Prometheus servers with IPAddressAllow= in a drop-in (see edgefwd(8), SYSTEMD)",
			listen);
}

int efd_metrics_start(const char *listen, struct efd *d, struct efd_metrics **out)
{
	struct sockaddr_storage ss;
	struct efd_metrics *m;
	socklen_t len;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	uint16_t port;
	int ret;

	ret = ef_parse_listen(listen, &ss, &len);
	if (ret) {
		ef_log_err("metrics: invalid listen address '%s': write "
			   "A.B.C.D:PORT or [IPv6]:PORT, or off",
			   listen);
		return ret;
	}
	warn_ip_policy(listen, &ss);
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->d = d;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	errno = 0;
	/* The logger first: libmicrohttpd complains otherwise. */
	m->starting = true;
	m->mhd = MHD_start_daemon(
		flags, port, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)5, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_END);
	m->starting = false;
	if (!m->mhd) {
		/* libmicrohttpd leaves bind(2)'s errno in place. */
		ret = errno > 0 ? -errno : -EIO;
		ef_log_err("metrics: cannot listen on %s: %s; pick another "
			   "address in the daemon section's metrics key",
			   listen, strerror(-ret));
		free(m);
		return ret;
	}
	*out = m;
	return 0;
}

int efd_metrics_fd(const struct efd_metrics *m)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

void efd_metrics_run(struct efd_metrics *m)
{
	MHD_run(m->mhd);
}

int efd_metrics_timeout_ms(struct efd_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(m->mhd, &ms) != MHD_YES)
		return -1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void efd_metrics_stop(struct efd_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
