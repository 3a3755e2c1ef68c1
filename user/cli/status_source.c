// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `edgefw status`: where the daemon owning the instance takes its rules
 * from, when that is not its file alone (an etcd group, issue 18). Asked
 * over its control socket; a daemon that does not answer shows nothing. */
#include <json-c/json.h>
#include <stdio.h>

#include "control_client.h"
#include "status_source.h"

#define SOURCE_TIMEOUT_MS 2000

struct json_object *ef_cli_daemon_source(const struct ef_owner_info *owner)
{
	struct json_object *req, *resp = NULL, *src = NULL;

	if (!owner->pid || !owner->socket[0])
		return NULL;
	req = json_object_new_object();
	json_object_object_add(req, "command", json_object_new_string("status"));
	if (!efd_control_request(owner->socket, req, SOURCE_TIMEOUT_MS, &resp) &&
	    json_object_object_get_ex(resp, "source", &src))
		json_object_get(src);
	else
		src = NULL;
	json_object_put(req);
	json_object_put(resp);
	return src;
}

static const char *str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

void ef_cli_print_source(struct json_object *src)
{
	const char *err = str(src, "last_error");

	if (!src)
		return;
	printf("source     etcd group %s: revision %s in force (group at %s), %s, etcd %s\n",
	       str(src, "group") ? str(src, "group") : "?",
	       str(src, "applied_revision") ? str(src, "applied_revision") : "none",
	       str(src, "group_revision") ? str(src, "group_revision") : "?",
	       str(src, "state") ? str(src, "state") : "?",
	       json_object_get_boolean(json_object_object_get(src, "connected")) ? "connected"
										 : "not connected");
	if (err)
		printf("           last error (revision %s): %s\n",
		       str(src, "error_revision") ? str(src, "error_revision") : "?", err);
}
