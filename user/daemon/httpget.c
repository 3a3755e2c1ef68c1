// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "httpget.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events before the deadline. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)left);
	return n < 0 ? -errno : n == 0 ? -ETIMEDOUT : 0;
}

static int connect_to(const char *hostport, long long deadline)
{
	struct sockaddr_storage ss;
	socklen_t slen, elen = sizeof(int);
	int fd, err = 0;

	if (ef_parse_listen(hostport, &ss, &slen))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, slen) && errno != EINPROGRESS)
		err = -errno;
	if (!err)
		err = wait_fd(fd, POLLOUT, deadline);
	if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		err = errno;
	if (err) {
		close(fd);
		return err > 0 ? -err : err;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			int err = wait_fd(fd, POLLOUT, deadline);

			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the peer closes (we ask for Connection: close). */
static int recv_all(int fd, char **out, size_t *len, long long deadline)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap + 1);
	int err = 0;

	while (buf && !err) {
		ssize_t r;

		if (n == cap) {
			char *b = cap >= EFD_HTTP_BODY_MAX ? NULL : realloc(buf, cap * 2 + 1);

			if (!b) {
				err = -EFBIG;
				break;
			}
			buf = b;
			cap *= 2;
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r > 0) {
			n += (size_t)r;
		} else if (r == 0) {
			break;
		} else if (errno == EAGAIN) {
			err = wait_fd(fd, POLLIN, deadline);
		} else {
			err = -errno;
		}
	}
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Decodes a chunked body in place; its new length, or -EPROTO. */
static long dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long sz = strtoul(b + in, &end, 16);
		char *crlf = strstr(b + in, "\r\n");

		if (end == b + in || !crlf)
			return -EPROTO;
		in = (size_t)(crlf - b) + 2;
		if (!sz)
			return (long)out;
		if (sz > len - in)
			return -EPROTO;
		memmove(b + out, b + in, sz);
		out += sz;
		in += sz + 2;
		if (in > len)
			return -EPROTO;
	}
}

static int parse_response(char *raw, size_t len, int *status, char **body, size_t *blen)
{
	char *hdr_end = strstr(raw, "\r\n\r\n"), *line;
	bool chunked = false;
	size_t off;
	long n;

	if (!hdr_end || sscanf(raw, "HTTP/1.%*d %d", status) != 1)
		return -EPROTO;
	*hdr_end = '\0';
	for (line = strstr(raw, "\r\n"); line; line = strstr(line + 2, "\r\n"))
		if (!strncasecmp(line + 2, "Transfer-Encoding:", 18) &&
		    strstr(line + 20, "chunked"))
			chunked = true;
	off = (size_t)(hdr_end - raw) + 4;
	memmove(raw, raw + off, len - off + 1);
	len -= off;
	if (chunked) {
		n = dechunk(raw, len);
		if (n < 0)
			return (int)n;
		len = (size_t)n;
		raw[len] = '\0';
	}
	*body = raw;
	*blen = len;
	return 0;
}

int efd_http_get(const char *hostport, const char *path, const char *header, int timeout_ms,
		 int *status, char **body, size_t *len)
{
	long long deadline = now_ms() + timeout_ms;
	char req[1024], *raw = NULL;
	size_t rlen = 0;
	int fd, ret, n;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: edgefwd\r\n"
		     "Accept: application/json\r\n%s%sConnection: close\r\n\r\n",
		     path, hostport, header ? header : "", header ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return -ENAMETOOLONG;
	fd = connect_to(hostport, deadline);
	if (fd < 0)
		return fd;
	ret = send_all(fd, req, (size_t)n, deadline);
	if (!ret)
		ret = recv_all(fd, &raw, &rlen, deadline);
	close(fd);
	if (!ret) {
		ret = parse_response(raw, rlen, status, body, len);
		if (ret)
			free(raw);
	}
	return ret;
}
