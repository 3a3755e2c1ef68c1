// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Serving edgefwd's control socket without ever blocking the event loop:
 * every connection is non-blocking, with its own request and response
 * buffers and a deadline, in an epoll set of its own that the daemon's
 * loop watches as one descriptor. A client that connects and says nothing,
 * sends half a request, never reads its response or sends garbage costs
 * one slot until its deadline, never the daemon's attention: link events,
 * signals, timers and other clients are served meanwhile. Connections are
 * bounded (CTL_MAX_CONNS): a new one evicts one still waiting for its
 * request (the oldest of the process holding most), or is refused with an
 * error when all are busy.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_internal.h"
#include "log.h"

/* epoll data of the listening socket and the timer; connections are
 * their slot + EV_CONN. */
enum {
	EV_LISTEN = 0,
	EV_TIMER = 1,
	EV_CONN = 2
};
#define TIMER_MS 100
/* Connections accepted per call, well under CTL_MAX_CONNS: between two
 * batches the requests that arrived are read, so a flood of connects
 * cannot evict a client that sent its request right after connecting. */
#define ACCEPT_BATCH 16

enum conn_state {
	CONN_FREE,
	CONN_READ,
	CONN_WRITE,
	CONN_DRAIN
};

struct ctl_conn {
	int fd;
	enum conn_state state;
	long long opened_ms, deadline_ms;
	struct efd_peer peer;
	enum efd_access access;
	char *in; /* the request so far; CTL_REQUEST_MAX + 1 at most */
	size_t in_len, in_cap;
	char *out; /* the response line */
	size_t out_len, out_off;
	size_t drained;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int arm_timer(struct efd_control *c, bool on)
{
	struct itimerspec its = { 0 };

	if (on) {
		its.it_value.tv_nsec = TIMER_MS * 1000000L;
		its.it_interval = its.it_value;
	}
	return timerfd_settime(c->timer, 0, &its, NULL) ? -errno : 0;
}

int efd_ctl_conns_init(struct efd_control *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	c->conns = calloc(CTL_MAX_CONNS, sizeof(*c->conns));
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	c->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!c->conns)
		return -ENOMEM;
	if (c->ep < 0 || c->timer < 0)
		return -errno;
	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		c->conns[i].fd = -1;
	ev.data.u64 = EV_LISTEN;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->fd, &ev))
		return -errno;
	ev.data.u64 = EV_TIMER;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->timer, &ev))
		return -errno;
	return 0;
}

static void conn_close(struct efd_control *c, struct ctl_conn *k)
{
	if (k->state == CONN_FREE)
		return;
	/* Explicitly: a copy of the descriptor elsewhere (a child that
	 * forked meanwhile) would keep it in the set after close(). */
	epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	free(k->in);
	free(k->out);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	if (--c->n_conns == 0)
		arm_timer(c, false);
}

void efd_ctl_conns_free(struct efd_control *c)
{
	if (c->conns)
		for (size_t i = 0; i < CTL_MAX_CONNS; i++)
			conn_close(c, &c->conns[i]);
	free(c->conns);
	c->conns = NULL;
	if (c->ep >= 0)
		close(c->ep);
	if (c->timer >= 0)
		close(c->timer);
	c->ep = c->timer = -1;
}

static void conn_watch(struct efd_control *c, struct ctl_conn *k, uint32_t events)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = (uint64_t)(k - c->conns) + EV_CONN };

	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev))
		conn_close(c, k);
}

/* Sends what the socket takes now; the rest when it says it can. Once
 * all is sent, the write side is shut and what the client still sends is
 * drained briefly, so that closing does not reset it under its reply. */
static void conn_flush(struct efd_control *c, struct ctl_conn *k)
{
	while (k->out_off < k->out_len) {
		ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_watch(c, k, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			conn_close(c, k); /* the client went away */
			return;
		}
		k->out_off += (size_t)n;
	}
	shutdown(k->fd, SHUT_WR);
	k->state = CONN_DRAIN;
	k->deadline_ms = now_ms() + CTL_DRAIN_MS;
	conn_watch(c, k, EPOLLIN);
}

static void conn_respond(struct efd_control *c, struct ctl_conn *k, struct json_object *resp)
{
	const char *s =
		resp ? json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE)
		     : NULL;
	size_t len = s ? strlen(s) : 0;

	k->out = s ? malloc(len + 1) : NULL;
	if (!k->out || len + 1 > CTL_RESPONSE_MAX) {
		ef_log_warn("cannot answer a control request on %s from pid %d: %s", c->path,
			    (int)k->peer.pid,
			    k->out ? "the response is too long" : "out of memory");
		conn_close(c, k);
		return;
	}
	memcpy(k->out, s, len);
	k->out[len] = '\n';
	k->out_len = len + 1;
	k->out_off = 0;
	k->state = CONN_WRITE;
	conn_flush(c, k);
}

static void conn_error(struct efd_control *c, struct ctl_conn *k, int code, const char *message)
{
	struct json_object *resp = json_object_new_object();

	if (resp) {
		json_object_object_add(resp, "ok", json_object_new_boolean(0));
		json_object_object_add(resp, "exit", json_object_new_int(code));
		json_object_object_add(resp, "message", json_object_new_string(message));
	}
	conn_respond(c, k, resp);
	json_object_put(resp);
}

/* Grows the request buffer; false when the request would pass the limit. */
static bool conn_room(struct ctl_conn *k)
{
	size_t cap = k->in_cap ? 2 * k->in_cap : 4096;
	char *p;

	if (k->in_len < k->in_cap)
		return true;
	if (k->in_cap >= CTL_REQUEST_MAX)
		return false;
	if (cap > CTL_REQUEST_MAX)
		cap = CTL_REQUEST_MAX;
	p = realloc(k->in, cap + 1);
	if (!p)
		return false;
	k->in = p;
	k->in_cap = cap;
	return true;
}

/* Reads what has come; the request ends at its first newline or at EOF. */
static void conn_read(struct efd_control *c, struct ctl_conn *k, efd_control_fn fn, void *arg)
{
	struct json_object *resp;
	bool done = false;
	char *nl;

	while (!done) {
		ssize_t n;

		if (!conn_room(k)) {
			conn_error(c, k, 1, "bad request: longer than 64 KiB");
			return;
		}
		n = recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_close(c, k);
			return;
		}
		nl = n ? memchr(k->in + k->in_len, '\n', (size_t)n) : NULL;
		k->in_len = nl ? (size_t)(nl - k->in) : k->in_len + (size_t)n;
		done = n == 0 || nl;
	}
	if (!k->in && !conn_room(k)) {
		conn_close(c, k);
		return;
	}
	k->in[k->in_len] = '\0';
	resp = efd_control_dispatch(k->in, k->in_len, &k->peer, k->access,
				    c->group_name[0] ? c->group_name : NULL, fn, arg);
	if (resp)
		conn_respond(c, k, resp);
	else
		conn_error(c, k, 2, "edgefwd is out of memory");
	json_object_put(resp);
}

static void conn_drain(struct efd_control *c, struct ctl_conn *k)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		k->drained += (size_t)n;
		if (k->drained > CTL_REQUEST_MAX)
			break;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	conn_close(c, k);
}

/* Is the peer on fd in group gid, as its primary group or one of its
 * supplementary groups (as they were when it connected)? */
static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cred->gid == gid)
		return true;
	/* ERANGE: more than 256 groups; those that fit are checked. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) && errno != ERANGE)
		return false;
	if (len > sizeof(groups))
		len = sizeof(groups);
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static enum efd_access peer_access(const struct efd_control *c, int fd, const struct ucred *cred)
{
	if (cred->uid == 0)
		return EFD_ACCESS_ALL;
	if (c->group != (gid_t)-1 && peer_in_group(fd, cred, c->group))
		return EFD_ACCESS_READ;
	return EFD_ACCESS_NONE;
}

/* How many connections waiting for their request pid holds. */
static size_t idle_held_by(const struct efd_control *c, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		n += c->conns[i].state == CONN_READ && c->conns[i].peer.pid == pid;
	return n;
}

/* The connection to evict for a newcomer from pid: one still waiting for
 * its request, of the process holding most such connections (the
 * newcomer counted), the oldest of those. A client that floods the
 * socket with idle connections evicts its own, never the one connection
 * of a client that is slow to send its request (a CLI descheduled
 * between connect and write on a busy machine). NULL when none waits. */
static struct ctl_conn *eviction_victim(const struct efd_control *c, pid_t pid)
{
	struct ctl_conn *victim = NULL;
	size_t most = 0;

	for (size_t i = 0; i < CTL_MAX_CONNS; i++) {
		struct ctl_conn *k = &c->conns[i];
		size_t held;

		if (k->state != CONN_READ)
			continue;
		held = idle_held_by(c, k->peer.pid) + (k->peer.pid == pid);
		if (held > most || (held == most && k->opened_ms < victim->opened_ms)) {
			victim = k;
			most = held;
		}
	}
	return victim;
}

/* A free slot for a newcomer from pid, evicting a connection still
 * waiting for its request (eviction_victim) when none is free; NULL
 * when every connection is busy. */
static struct ctl_conn *free_slot(struct efd_control *c, pid_t pid)
{
	struct ctl_conn *victim;
	static const char bye[] =
		"{\"ok\":false,\"exit\":2,\"message\":\"closed: too many connections to edgefwd's control socket and this one sent no request\"}\n";

	for (size_t i = 0; i < CTL_MAX_CONNS; i++)
		if (c->conns[i].state == CONN_FREE)
			return &c->conns[i];
	victim = eviction_victim(c, pid);
	if (!victim)
		return NULL;
	if (send(victim->fd, bye, sizeof(bye) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0; /* it is going anyway */
	c->evicted++;
	conn_close(c, victim);
	return victim;
}

static void add_conn(struct efd_control *c, int fd, efd_control_fn fn, void *arg)
{
	static const char busy[] =
		"{\"ok\":false,\"exit\":2,\"message\":\"edgefwd's control socket is busy with other requests: try again\"}\n";
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	struct ctl_conn *k;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		ef_log_warn("cannot identify the peer of a control connection on %s: %s", c->path,
			    strerror(errno));
		close(fd);
		return;
	}
	k = free_slot(c, cred.pid);
	if (!k) {
		c->refused++;
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		close(fd);
		return;
	}
	ev.data.u64 = (uint64_t)(k - c->conns) + EV_CONN;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	*k = (struct ctl_conn){ .fd = fd, .state = CONN_READ, .opened_ms = now_ms() };
	k->deadline_ms = k->opened_ms + CTL_DEADLINE_MS;
	k->peer = (struct efd_peer){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	if (c->n_conns++ == 0)
		arm_timer(c, true);
	/* The file mode keeps others out already; this also refuses peers
	 * let in by a loosened mode or a descriptor passed on. */
	k->access = peer_access(c, fd, &cred);
	if (k->access == EFD_ACCESS_NONE) {
		ef_log_warn(
			"refused a control request on %s from pid %d uid %u: only root%s may use it",
			c->path, (int)cred.pid, (unsigned)cred.uid,
			c->group_name[0] ? " and the control group" : "");
		conn_error(c, k, 2, "permission denied: edgefwd's control socket is for root only");
		return;
	}
	/* Most clients send their request with the connect: serve it now. */
	conn_read(c, k, fn, arg);
}

static void accept_some(struct efd_control *c, efd_control_fn fn, void *arg)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			/* Nothing pending (or the client gave up already). */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				ef_log_warn("cannot accept on the control socket %s: %s", c->path,
					    strerror(errno));
			return;
		}
		add_conn(c, fd, fn, arg);
	}
}

/* Closes the connections past their deadline. */
static void sweep(struct efd_control *c)
{
	long long now = now_ms();
	size_t late = 0;

	for (size_t i = 0; i < CTL_MAX_CONNS; i++) {
		struct ctl_conn *k = &c->conns[i];

		if (k->state == CONN_FREE || now < k->deadline_ms)
			continue;
		late += k->state != CONN_DRAIN;
		conn_close(c, k);
	}
	if (late) {
		c->timed_out += late;
		ef_log_warn(
			"closed %zu control connection%s on %s that did not send a request and read the response within %d ms",
			late, late == 1 ? "" : "s", c->path, CTL_DEADLINE_MS);
	}
}

void efd_control_serve(struct efd_control *c, efd_control_fn fn, void *arg)
{
	struct epoll_event ev[32];
	bool pending = false;
	uint64_t ticks;
	int n = epoll_wait(c->ep, ev, 32, 0);

	/* Connections first, new ones last (see ACCEPT_BATCH). */
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		struct ctl_conn *k;

		if (tag == EV_LISTEN) {
			pending = true;
			continue;
		}
		if (tag == EV_TIMER) {
			if (read(c->timer, &ticks, sizeof(ticks)) < 0)
				(void)0; /* nothing to read: not a tick */
			continue;
		}
		if (tag - EV_CONN >= CTL_MAX_CONNS)
			continue;
		k = &c->conns[tag - EV_CONN];
		if (k->state == CONN_READ)
			conn_read(c, k, fn, arg);
		else if (k->state == CONN_WRITE)
			conn_flush(c, k);
		else if (k->state == CONN_DRAIN)
			conn_drain(c, k);
	}
	if (pending)
		accept_some(c, fn, arg);
	sweep(c);
}
