// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control protocol's client: one request, one response, one deadline
 * (see control_client.h). */
#include "control_client.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "growth.h"
#include "ruleset.h"

int efd_control_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* Leave room for the NUL: a truncated path would name another file. */
	if (!len || len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, len);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* connect() on a non-blocking Unix socket does not return EINPROGRESS:
 * it fails with EAGAIN while the listener's backlog is full. Retry, a
 * little later each time, until the deadline. */
static int connect_until(int fd, const struct sockaddr_un *sa, long long deadline)
{
	struct timespec pause = { .tv_nsec = 10 * 1000000 };

	for (;;) {
		if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			return 0;
		if (errno == EPERM)
			return -EACCES; /* e.g. an LSM: same meaning here */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

/* The request, as one line; what the daemon may answer early (a refusal)
 * is still read afterwards. */
static int send_request(int fd, struct json_object *req, long long deadline)
{
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t sent = 0, line_len;
	char *line = NULL;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	line_len = strlen(s) + 1;
	line = malloc(line_len);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, line_len - 1);
	line[line_len - 1] = '\n';
	while (sent < line_len) {
		ssize_t n = send(fd, line + sent, line_len - sent, MSG_NOSIGNAL);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			break; /* the daemon answered early (e.g. refused us):
				* its response is still there to read */
		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			break;
		}
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret)
			break;
	}
	free(line);
	/* Tells the daemon the request is complete even if it reads to EOF
	 * rather than to the newline. */
	if (!ret)
		shutdown(fd, SHUT_WR);
	return ret;
}

/* Everything the daemon sends until it closes, NUL-terminated in *out
 * (at most CTL_RESPONSE_MAX). */
static int read_response(int fd, long long deadline, char **out, size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret = 0;

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			if (cap >= CTL_RESPONSE_MAX) {
				ret = -EMSGSIZE;
				break;
			}
			ret = ef_grow(&buf, &cap, len + 4096, 1);
			if (ret)
				break;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		/* A daemon that closes without reading all of our request
		 * resets the connection after its response: that response
		 * was read, so it is the end. */
		if (errno == ECONNRESET && len)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			break;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret)
			break;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0'; /* room: cap - len >= 4096 before each recv */
	*out = buf;
	*out_len = len;
	return 0;
}

int efd_control_request(const char *path, struct json_object *req, int timeout_ms,
			struct json_object **resp)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct sockaddr_un sa;
	const char *why;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, ret;

	*resp = NULL;
	ret = efd_control_addr(path, &sa);
	if (ret)
		goto out;
	/* Non-blocking throughout: poll() then bounds the whole exchange by
	 * one deadline, whatever the daemon does. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = connect_until(fd, &sa, deadline);
	if (!ret)
		ret = send_request(fd, req, deadline);
	if (!ret)
		ret = read_response(fd, deadline, &buf, &len);
	if (ret)
		goto out;
	*resp = efd_control_parse_json(buf, len, &why);
	if (!*resp) {
		ret = -EPROTO;
	} else if (!json_object_is_type(*resp, json_type_object)) {
		json_object_put(*resp);
		*resp = NULL;
		ret = -EPROTO;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

int efd_control_default_path(const char *instance, char *buf, size_t len)
{
	size_t max = len < EF_SOCKET_PATH_MAX ? len : EF_SOCKET_PATH_MAX;
	int n;

	/* Also bounded by sun_path: a longer path could never be bound. */
	n = snprintf(buf, len, "%s/%s.sock", EF_SOCKET_DIR, instance);
	if (n < 0 || (size_t)n >= max)
		return -ENAMETOOLONG;
	return 0;
}
