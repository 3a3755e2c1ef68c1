// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* edgefwd's control socket: server and client, talking over a real Unix
 * socket in a temporary directory. Clients run in forked children (the
 * server is synchronous) and report back through a pipe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

struct fixture {
	char dir[48];
	char path[96]; /* fits in sun_path */
};

/* What the handler saw. */
struct seen {
	int calls;
	uid_t uid;
	char command[64];
	char file[128];
};

static void handler(void *arg, const char *command, const struct efd_peer *peer,
		    struct json_object *req, struct json_object *resp)
{
	struct seen *s = arg;
	struct json_object *file, *diags;
	char msg[128];

	s->calls++;
	s->uid = peer->uid;
	snprintf(s->command, sizeof(s->command), "%s", command);
	if (json_object_object_get_ex(req, "file", &file))
		snprintf(s->file, sizeof(s->file), "%s", json_object_get_string(file));
	if (strcmp(command, "reload")) {
		snprintf(msg, sizeof(msg), "unknown command '%s'", command);
		json_object_object_add(resp, "message", json_object_new_string(msg));
		return;
	}
	diags = json_object_new_array();
	json_object_array_add(diags, json_object_new_string("a.yaml:1:2: warning: x"));
	json_object_object_add(resp, "diagnostics", diags);
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	json_object_object_add(resp, "exit", json_object_new_int(0));
	json_object_object_add(resp, "message", json_object_new_string("reloaded"));
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/edgefw-test-control-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A child's report: its return code, then the response (or raw bytes). */
struct report {
	int ret;
	char text[1024];
};

struct child {
	pid_t pid;
	int rd;
};

static void child_report(int wr, int ret, const char *text)
{
	char buf[1200];
	int n = snprintf(buf, sizeof(buf), "%d\n%s", ret, text ? text : "");

	if (write(wr, buf, (size_t)n) != n)
		_exit(99);
	_exit(0);
}

/* Forks a child that, as uid (when not 0) with primary group gid and
 * the supplementary groups groups[0, n), sends req with
 * efd_control_request and reports what it got. */
static struct child spawn_request_as(const char *path, const char *req_json, uid_t uid, gid_t gid,
				     size_t n, const gid_t *groups, int timeout_ms)
{
	struct child c;
	int p[2];

	assert_int_equal(pipe(p), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		struct json_object *req = json_tokener_parse(req_json), *resp;
		int ret;

		close(p[0]);
		if (uid &&
		    (setgroups(n, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)))
			_exit(98);
		ret = efd_control_request(path, req, timeout_ms, &resp);
		child_report(p[1], ret,
			     ret ? NULL
				 : json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	}
	close(p[1]);
	c.rd = p[0];
	return c;
}

static struct child spawn_request(const char *path, const char *req_json, uid_t uid, int timeout_ms)
{
	return spawn_request_as(path, req_json, uid, uid, 0, NULL, timeout_ms);
}

/* Forks a child that connects, then (when connected is a descriptor)
 * says so on connected and waits for a byte on go, sends raw bytes and
 * reports the raw answer. */
static struct child spawn_raw_paced(const char *path, const char *data, size_t len, int connected,
				    int go)
{
	struct child c;
	int p[2];

	assert_int_equal(pipe(p), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[1024], byte = 0;
		size_t got = 0;
		ssize_t n;
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		close(p[0]);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			child_report(p[1], -errno, NULL);
		if (connected >= 0 && (write(connected, &byte, 1) != 1 || read(go, &byte, 1) != 1))
			child_report(p[1], -EIO, NULL);
		/* Ignore EPIPE: an oversized request is cut short (and an
		 * evicted connection's answer is read below). */
		while (len) {
			n = send(fd, data, len, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			data += n;
			len -= (size_t)n;
		}
		shutdown(fd, SHUT_WR);
		while (got < sizeof(buf) - 1 &&
		       (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		child_report(p[1], 0, buf);
	}
	close(p[1]);
	c.rd = p[0];
	return c;
}

/* Forks a child that sends raw bytes and reports the raw answer. */
static struct child spawn_raw(const char *path, const char *data, size_t len)
{
	return spawn_raw_paced(path, data, len, -1, -1);
}

static void child_wait(struct child c, struct report *r)
{
	char buf[1200];
	size_t got = 0;
	ssize_t n;
	int status;
	char *nl;

	while (got < sizeof(buf) - 1 && (n = read(c.rd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(c.rd);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	r->ret = atoi(buf);
	snprintf(r->text, sizeof(r->text), "%s", nl + 1);
}

/* Serves, as the daemon's loop does (whenever the control descriptor is
 * ready), until the child has its answer and exits (5 s at most). */
static void serve_one(struct efd_control *ctl, struct seen *s, struct child c)
{
	struct pollfd pfd[2] = { { .fd = efd_control_fd(ctl), .events = POLLIN },
				 { .fd = c.rd, .events = POLLIN } };

	for (int i = 0; i < 500; i++) {
		assert_true(poll(pfd, 2, 10) >= 0);
		if (pfd[1].revents)
			return;
		if (pfd[0].revents)
			efd_control_serve(ctl, handler, s);
	}
	fail_msg("the child got no answer within 5 s");
}

static void test_open_mode_close(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct stat st;
	char path[160], sub[128];
	int fd;

	/* Missing parent directories are created, 0755. */
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	snprintf(path, sizeof(path), "%s/edgefw/x.sock", sub);
	assert_int_equal(efd_control_open(path, &ctl), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);

	/* What the event loop watches: the epoll set over the listening
	 * socket and the connections. */
	fd = efd_control_fd(ctl);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Nothing pending: serve returns at once. */
	efd_control_serve(ctl, handler, &(struct seen){ 0 });

	efd_control_close(ctl);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	efd_control_close(NULL);
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct seen s = { 0 };
	struct report r;
	struct child c;

	assert_int_equal(efd_control_open(f->path, &ctl), 0);

	c = spawn_request(f->path, "{\"command\":\"reload\",\"file\":\"/etc/edgefw/x.yaml\"}", 0,
			  5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.command, "reload");
	assert_string_equal(s.file, "/etc/edgefw/x.yaml");
	assert_int_equal(r.ret, 0);
	assert_string_equal(
		r.text,
		"{\"ok\":true,\"exit\":0,\"diagnostics\":[\"a.yaml:1:2: warning: x\"],\"message\":\"reloaded\"}");

	/* Unknown commands reach the handler, which answers. */
	c = spawn_request(f->path, "{\"command\":\"frobnicate\"}", 0, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(s.calls, 2);
	assert_int_equal(r.ret, 0);
	assert_string_equal(
		r.text, "{\"ok\":false,\"exit\":1,\"message\":\"unknown command 'frobnicate'\"}");

	efd_control_close(ctl);
}

static void expect_raw(struct efd_control *ctl, const char *path, const char *data, size_t len,
		       const char *want)
{
	struct seen s = { 0 };
	struct report r;
	struct child c = spawn_raw(path, data, len);

	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_string_equal(r.text, want);
	assert_int_equal(s.calls, strstr(want, "bad request") ? 0 : 1);
}

static void test_bad_requests(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	char *big;

	assert_int_equal(efd_control_open(f->path, &ctl), 0);
#define RAW(s) s, sizeof(s) - 1
	expect_raw(
		ctl, f->path, RAW("?not json\n"),
		"{\"ok\":false,\"exit\":1,\"message\":\"bad request: not valid JSON (unexpected character)\"}\n");
	expect_raw(ctl, f->path, RAW(""),
		   "{\"ok\":false,\"exit\":1,\"message\":\"bad request: empty\"}\n");
	expect_raw(
		ctl, f->path, RAW("{\"command\":\"reload\"\n"),
		"{\"ok\":false,\"exit\":1,\"message\":\"bad request: not valid JSON (unexpected end of data)\"}\n");
	expect_raw(
		ctl, f->path, RAW("{\"command\":\"reload\"} x\n"),
		"{\"ok\":false,\"exit\":1,\"message\":\"bad request: not valid JSON (garbage after the JSON value)\"}\n");
	expect_raw(ctl, f->path, RAW("[\"reload\"]\n"),
		   "{\"ok\":false,\"exit\":1,\"message\":\"bad request: not a JSON object\"}\n");
	expect_raw(ctl, f->path, RAW("42\n"),
		   "{\"ok\":false,\"exit\":1,\"message\":\"bad request: not a JSON object\"}\n");
	expect_raw(
		ctl, f->path, RAW("{\"command\":7}\n"),
		"{\"ok\":false,\"exit\":1,\"message\":\"bad request: no string \\\"command\\\"\"}\n");
	/* Ends at EOF without a newline; what follows a newline is ignored. */
	expect_raw(ctl, f->path, RAW("{\"command\":\"status\"}"),
		   "{\"ok\":false,\"exit\":1,\"message\":\"unknown command 'status'\"}\n");
	expect_raw(ctl, f->path, RAW(" {\"command\":\"status\"}\r\nignored"),
		   "{\"ok\":false,\"exit\":1,\"message\":\"unknown command 'status'\"}\n");
#undef RAW
	/* Longer than 64 KiB. */
	big = malloc(70 * 1024);
	assert_non_null(big);
	memset(big, ' ', 70 * 1024);
	expect_raw(ctl, f->path, big, 70 * 1024,
		   "{\"ok\":false,\"exit\":1,\"message\":\"bad request: longer than 64 KiB\"}\n");
	free(big);
	efd_control_close(ctl);
}

static void test_in_use(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl, *other = (void *)1;
	struct seen s = { 0 };
	struct report r;
	struct child c;
	struct stat st;

	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	assert_int_equal(efd_control_open(f->path, &other), -EBUSY);
	assert_null(other);
	/* The live daemon's socket is untouched and still serves; the
	 * refused one never connected to it. */
	assert_int_equal(stat(f->path, &st), 0);
	c = spawn_request(f->path, "{\"command\":\"reload\"}", 0, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(s.calls, 1);
	efd_control_close(ctl);
}

static void test_stale_and_not_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct efd_control *ctl;
	struct json_object *req = json_tokener_parse("{\"command\":\"reload\"}");
	struct json_object *resp = (void *)1;
	struct stat st;
	int fd;

	/* Nobody there at all. */
	assert_int_equal(efd_control_request(f->path, req, 1000, &resp), -ENOENT);
	assert_null(resp);

	/* A socket file whose owner died (bound, never unlinked). */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(efd_control_request(f->path, req, 1000, &resp), -ECONNREFUSED);
	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	efd_control_close(ctl);

	/* Something else than a socket is never removed. */
	fd = open(f->path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(efd_control_open(f->path, &ctl), -EEXIST);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	json_object_put(req);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_timeout(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct json_object *req = json_tokener_parse("{\"command\":\"reload\"}");
	struct json_object *resp;
	double t0;

	/* Connected (the backlog takes it) but never served. */
	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	t0 = now();
	assert_int_equal(efd_control_request(f->path, req, 300, &resp), -ETIMEDOUT);
	assert_true(now() - t0 >= 0.29);
	assert_true(now() - t0 < 2.0);
	json_object_put(req);
	efd_control_close(ctl);
}

static void test_bad_response(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct json_object *req = json_tokener_parse("{\"command\":\"reload\"}");
	struct json_object *resp = (void *)1;
	const char *answers[] = { "not json\n", "", "[1]\n" };
	pid_t pid;
	int lfd, status;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	/* A fake daemon answering garbage. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < 3; i++) {
			char buf[256];
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				_exit(1);
			while (recv(fd, buf, sizeof(buf), 0) > 0)
				;
			if (send(fd, answers[i], strlen(answers[i]), 0) < 0)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(efd_control_request(f->path, req, 5000, &resp), -EPROTO);
		assert_null(resp);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(lfd);
	json_object_put(req);
}

static void test_non_root_peer(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct seen s = { 0 };
	struct report r;
	struct child c;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(efd_control_open(f->path, &ctl), 0);

	/* As 0600 does: the socket file stops nobody before connect. */
	c = spawn_request(f->path, "{\"command\":\"reload\"}", 65534, 5000);
	child_wait(c, &r);
	assert_int_equal(r.ret, -EACCES);

	/* Let it connect: SO_PEERCRED still refuses it. */
	assert_int_equal(chmod(f->path, 0666), 0);
	c = spawn_request(f->path, "{\"command\":\"reload\"}", 65534, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_string_equal(
		r.text,
		"{\"ok\":false,\"exit\":2,\"message\":\"permission denied: edgefwd's control socket is for root only\"}");
	assert_int_equal(s.calls, 0);
	efd_control_close(ctl);
}

/* Connects without sending anything; the descriptor is the test's. */
static int idle_client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* 100 clients that connect and say nothing, more than the daemon serves
 * at once: a real request is still answered, the oldest idle ones are
 * evicted, and every idle one is closed by its deadline. */
static void test_idle_clients(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct seen s = { 0 };
	struct report r;
	struct child c;
	int idle[100], closed = 0;
	char buf[256];

	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	for (size_t i = 0; i < 100; i++) {
		idle[i] = idle_client(f->path);
		if (i % 16 == 15)
			efd_control_serve(ctl, handler, &s);
	}
	efd_control_serve(ctl, handler, &s);
	c = spawn_request(f->path, "{\"command\":\"reload\"}", 0, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(s.calls, 1);
	/* The oldest were evicted with a message saying why. */
	assert_true(recv(idle[0], buf, sizeof(buf) - 1, 0) > 0);
	assert_non_null(strstr(buf, "too many connections"));
	for (int i = 0; i < 250; i++) {
		struct pollfd pfd = { .fd = efd_control_fd(ctl), .events = POLLIN };

		if (poll(&pfd, 1, 10) > 0)
			efd_control_serve(ctl, handler, &s);
	}
	/* 2.5 s later: every idle connection is closed (EOF after any
	 * eviction message). */
	for (size_t i = 0; i < 100; i++) {
		ssize_t n;

		while ((n = recv(idle[i], buf, sizeof(buf), 0)) > 0)
			;
		closed += n == 0;
		close(idle[i]);
	}
	assert_int_equal(closed, 100);
	assert_int_equal(s.calls, 1);
	efd_control_close(ctl);
}

/* A client that connects, then is slow to send its request (a CLI
 * descheduled on a busy machine), while another process floods the
 * socket with idle connections, three times more than are served: the
 * flood evicts its own connections, and the slow client is answered. */
static void test_slow_client_in_flood(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct seen s = { 0 };
	struct report r;
	struct child c;
	static const char req[] = "{\"command\":\"reload\"}\n";
	int idle[192], connected[2], go[2];
	char byte = 0;

	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	assert_int_equal(pipe(connected), 0);
	assert_int_equal(pipe(go), 0);
	c = spawn_raw_paced(f->path, req, strlen(req), connected[1], go[0]);
	close(connected[1]);
	close(go[0]);
	assert_int_equal(read(connected[0], &byte, 1), 1);
	efd_control_serve(ctl, handler, &s);
	for (size_t i = 0; i < 192; i++) {
		idle[i] = idle_client(f->path);
		if (i % 16 == 15)
			efd_control_serve(ctl, handler, &s);
	}
	efd_control_serve(ctl, handler, &s);
	assert_int_equal(write(go[1], &byte, 1), 1);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_non_null(strstr(r.text, "\"ok\":true"));
	assert_int_equal(s.calls, 1);
	for (size_t i = 0; i < 192; i++)
		close(idle[i]);
	close(connected[0]);
	close(go[1]);
	efd_control_close(ctl);
}

static void test_paths(void **state)
{
	struct efd_control *ctl = (void *)1;
	char buf[128], small[10], longname[200];

	(void)state;
	assert_int_equal(efd_control_default_path("default", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/edgefw/default.sock");
	assert_int_equal(efd_control_default_path("default", small, sizeof(small)), -ENAMETOOLONG);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(efd_control_default_path(longname, buf, sizeof(buf)), -ENAMETOOLONG);
	assert_int_equal(efd_control_open(longname, &ctl), -ENAMETOOLONG);
	assert_null(ctl);
}

/* stderr (the daemon's log) goes to a file while a test looks at it. */
struct capture {
	char path[64];
	int saved;
};

static void capture_start(struct capture *c)
{
	int fd;

	strcpy(c->path, "/tmp/edgefw-test-control-log-XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* Restores stderr; returns what was logged (static buffer). */
static const char *capture_end(struct capture *c)
{
	static char text[4096];
	ssize_t n;
	int fd;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	fd = open(c->path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(c->path);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void test_reload_logs_peer(void **state)
{
	struct fixture *f = *state;
	struct efd_control *ctl;
	struct capture cap;
	struct seen s = { 0 };
	struct report r;
	struct child c;
	const char *log;
	char want[96];

	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	capture_start(&cap);
	c = spawn_request(f->path, "{\"command\":\"reload\"}", 0, 5000);
	snprintf(want, sizeof(want), "control socket: 'reload' from pid %d uid 0\n", (int)c.pid);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	c = spawn_request(f->path, "{\"command\":\"status\"}", 0, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	log = capture_end(&cap);
	assert_int_equal(s.calls, 2);
	/* The state-changing request is logged with its peer; status is
	 * not logged at all. */
	assert_non_null(strstr(log, want));
	assert_null(strstr(log, "'status'"));
	efd_control_close(ctl);
}

/* The read-only group: members (by primary or supplementary group) may
 * ask for status, never reload; others are refused before being read. */
static void test_read_only_group(void **state)
{
	struct fixture *f = *state;
	const gid_t ro = 4242, other = 4343;
	struct efd_control *ctl;
	struct capture cap;
	struct seen s = { 0 };
	struct report r;
	struct child c;
	struct stat st;
	const char *log;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(efd_control_open(f->path, &ctl), 0);
	assert_int_equal(efd_control_set_group(ctl, ro, "efw-ro"), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, ro);
	assert_int_equal(st.st_uid, 0);

	capture_start(&cap);
	/* Primary group. */
	c = spawn_request_as(f->path, "{\"command\":\"status\"}", 65534, ro, 0, NULL, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.uid, 65534);
	/* Supplementary group: SO_PEERGROUPS. */
	c = spawn_request_as(f->path, "{\"command\":\"status\"}", 65534, other, 1, &ro, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(s.calls, 2);
	/* Reload: refused, the handler never sees it. */
	c = spawn_request_as(f->path, "{\"command\":\"reload\"}", 65534, ro, 0, NULL, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_int_equal(r.ret, 0);
	assert_string_equal(
		r.text,
		"{\"ok\":false,\"exit\":2,\"message\":\"permission denied: 'reload' is for root only; members of group efw-ro may use status\"}");
	assert_int_equal(s.calls, 2);
	/* A command added later is root's until listed as read-only. */
	c = spawn_request_as(f->path, "{\"command\":\"detach\"}", 65534, ro, 0, NULL, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_non_null(strstr(r.text, "'detach' is for root only"));
	assert_int_equal(s.calls, 2);
	/* Not a member: the file mode stops it (EACCES); let it in and
	 * SO_PEERCRED still does. */
	c = spawn_request_as(f->path, "{\"command\":\"status\"}", 65534, other, 0, NULL, 5000);
	child_wait(c, &r);
	assert_int_equal(r.ret, -EACCES);
	assert_int_equal(chmod(f->path, 0666), 0);
	c = spawn_request_as(f->path, "{\"command\":\"status\"}", 65534, other, 0, NULL, 5000);
	serve_one(ctl, &s, c);
	child_wait(c, &r);
	assert_string_equal(
		r.text,
		"{\"ok\":false,\"exit\":2,\"message\":\"permission denied: edgefwd's control socket is for root only\"}");
	assert_int_equal(s.calls, 2);
	log = capture_end(&cap);
	assert_non_null(strstr(log, "control socket: refused 'reload' from pid "));
	assert_non_null(strstr(log, " uid 65534: only root may send it"));
	assert_non_null(strstr(log, "uid 65534: only root and the control group may use it"));

	/* Back to root only. */
	assert_int_equal(efd_control_set_group(ctl, (gid_t)-1, NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_gid, 0);
	c = spawn_request_as(f->path, "{\"command\":\"status\"}", 65534, ro, 0, NULL, 5000);
	child_wait(c, &r);
	assert_int_equal(r.ret, -EACCES);
	efd_control_close(ctl);
}

/* The dispatcher on its own, as the fuzzer drives it. */
static void test_dispatch(void **state)
{
	const struct efd_peer peer = { .pid = 1, .uid = 1000, .gid = 1000 };
	struct seen s = { 0 };
	struct json_object *resp;
	static const char reload[] = "{\"command\":\"reload\"}";
	static const char evil[] = "{\"command\":\"re\\u001b[2Jload\"}";

	(void)state;
	resp = efd_control_dispatch(reload, sizeof(reload) - 1, &peer, EFD_ACCESS_NONE, NULL,
				    handler, &s);
	assert_string_equal(
		json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN),
		"{\"ok\":false,\"exit\":2,\"message\":\"permission denied: edgefwd's control socket is for root only\"}");
	json_object_put(resp);
	resp = efd_control_dispatch(reload, sizeof(reload) - 1, &peer, EFD_ACCESS_READ, "g",
				    handler, &s);
	assert_int_equal(s.calls, 0);
	json_object_put(resp);
	/* A peer's command name goes into the log only made harmless. */
	resp = efd_control_dispatch(evil, sizeof(evil) - 1, &peer, EFD_ACCESS_READ, "g", handler,
				    &s);
	assert_non_null(strstr(json_object_get_string(json_object_object_get(resp, "message")),
			       "'re?[2Jload' is for root only"));
	json_object_put(resp);
	resp = efd_control_dispatch(reload, sizeof(reload) - 1, &peer, EFD_ACCESS_ALL, NULL,
				    handler, &s);
	assert_int_equal(s.calls, 1);
	json_object_put(resp);
	assert_true(efd_control_read_only("status"));
	assert_false(efd_control_read_only("reload"));
	assert_false(efd_control_read_only("Status"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_mode_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_not_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client_in_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_root_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_logs_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_group, setup, teardown),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
