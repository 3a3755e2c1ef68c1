// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "liblog.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdp/libxdp.h>

#include "strutil.h"

#define HELD_MAX (64 * 1024)

static bool debug;
/* Holds nest (an attach inside a daemon's pass): the outermost decides. */
static unsigned holding;
static char held[HELD_MAX];
static size_t held_len;
/* libbpf's netlink code reports the kernel's extended ack as a warning. */
#define KERNEL_MSG_PREFIX "libbpf: Kernel error message: "
static char kernel_msg[256];

static int emit(bool is_debug, const char *fmt, va_list ap)
{
	int n;

	if (is_debug && !debug)
		return 0;
	if (!holding || debug)
		return vfprintf(stderr, fmt, ap);
	n = vsnprintf(held + held_len, sizeof(held) - held_len, fmt, ap);
	if (n > 0)
		held_len += (size_t)n < sizeof(held) - held_len ? (size_t)n
								: sizeof(held) - held_len - 1;
	return n;
}

/* Keeps the text after the prefix, without its newline. */
static void keep_kernel_msg(const char *fmt, va_list ap)
{
	char line[sizeof(kernel_msg) + sizeof(KERNEL_MSG_PREFIX)];
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (strncmp(line, KERNEL_MSG_PREFIX, strlen(KERNEL_MSG_PREFIX)))
		return;
	ef_strlcpy(kernel_msg, line + strlen(KERNEL_MSG_PREFIX), sizeof(kernel_msg));
	len = strlen(kernel_msg);
	if (len && kernel_msg[len - 1] == '\n')
		kernel_msg[len - 1] = '\0';
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;

	if (level == LIBBPF_WARN) {
		va_copy(copy, ap);
		keep_kernel_msg(fmt, copy);
		va_end(copy);
	}
	return emit(level == LIBBPF_DEBUG, fmt, ap);
}

static int print_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return emit(level == LIBXDP_DEBUG, fmt, ap);
}

void ef_liblog_init(void)
{
	const char *env = getenv("EDGEFW_DEBUG");

	debug = env && env[0] && strcmp(env, "0");
	libbpf_set_print(print_libbpf);
	libxdp_set_print(print_libxdp);
}

void ef_liblog_hold(void)
{
	kernel_msg[0] = '\0';
	if (holding++)
		return;
	held_len = 0;
	held[0] = '\0';
}

/* A failure at any depth shows what was held up to it. */
void ef_liblog_drop(void)
{
	held_len = 0;
	held[0] = '\0';
}

void ef_liblog_release(bool show)
{
	if (show && held_len)
		fputs(held, stderr);
	if (show || holding <= 1) {
		held_len = 0;
		held[0] = '\0';
	}
	if (holding)
		holding--;
}

const char *ef_liblog_kernel_msg(void)
{
	return kernel_msg;
}
