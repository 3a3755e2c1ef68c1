/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rule language after parsing: what the operator wrote, checked, with
 * the position of every rule for diagnostics. The compiler (classify.h)
 * turns it into tables; the reference matcher (matcher.h) gives it meaning.
 * rules/README.md is the language reference.
 */
#ifndef EDGEFW_RULESET_H
#define EDGEFW_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "capacity_spec.h"
#include "diag.h"
#include "edgefw.h"

#define EF_IFNAME_MAX 16 /* IFNAMSIZ, including the NUL */
#define EF_SET_NAME_MAX 64

/* Hooks bitmask of a rule: 1u << enum edgefw_hook. */
#define EF_HOOKS_ALL ((1u << EDGEFW_HOOK_COUNT) - 1)

/* One element of an address or port field as the operator wrote it: an
 * inline value or a set reference, and the entries v[first, first + n) of
 * the field it brought. Only explanations use it; matching reads v. */
struct ef_field_part {
	unsigned line, col;
	int32_t set; /* index into ef_ruleset.sets, or -1 for a value */
	size_t first, n;
};

/* One address field (src or dst) of a rule.
 * - any: not written, every address of every family matches.
 * - otherwise the field covers the families of the prefixes it lists (an
 *   empty list, e.g. an empty set, covers none and matches nothing);
 *   without negate an address matches when some prefix contains it, with
 *   negate when it is of a covered family and no prefix contains it. */
struct ef_addr_field {
	bool any;
	bool negate;
	struct ef_prefix *v;
	size_t n;
	unsigned line, col; /* where the field was written */
	struct ef_field_part *parts;
	size_t n_parts;
	/* `src: $ban` naming a dynamic set: its index in ef_ruleset.sets + 1
	 * (0: none). The field is then `any` for the static match; whether
	 * the address is in the set is a dynamic condition (dyn_negate: `not`),
	 * decided per packet by the set's entries at that moment. */
	uint16_t dyn_set;
	bool dyn_negate;
};

struct ef_port_range {
	uint16_t lo, hi; /* inclusive, lo <= hi */
};

/* sport / dport. A rule with ports matches only packets that carry ports
 * (TCP, UDP, SCTP with the L4 header present: not a later fragment). With
 * negate, a port matches when it is in none of the ranges; an empty list
 * matches nothing, negated or not. */
struct ef_port_field {
	bool any;
	bool negate;
	struct ef_port_range *v;
	size_t n;
	unsigned line, col;
	struct ef_field_part *parts;
	size_t n_parts;
};

#define EF_VLAN_ANY (-1)
#define EF_VLAN_UNTAGGED 4096 /* `vlan: none`: frames without a tag */

enum ef_frag_match {
	EF_FRAG_ANY = 0, /* not written */
	EF_FRAG_NO,      /* not a fragment */
	EF_FRAG_FIRST,   /* the first fragment (offset 0, more to come) */
	EF_FRAG_LATER,   /* a non-first fragment */
	EF_FRAG_YES,     /* first or later */
};

/* How non-first fragments are decided (defaults.fragments). */
enum ef_frag_policy {
	EF_FRAGPOL_RULES = EDGEFW_FRAGPOL_RULES, /* by the rules; L4 absent */
	EF_FRAGPOL_PASS = EDGEFW_FRAGPOL_PASS,
	EF_FRAGPOL_DROP = EDGEFW_FRAGPOL_DROP,
};

/* `state`: every state a rule may list. */
#define EF_STATES_ALL ((1u << EDGEFW_CT_STATES) - 1)

/* `track`: not written (record new flows passed at tc-egress, not at
 * ingress), true (at every hook), false (nowhere). */
enum ef_track {
	EF_TRACK_DEFAULT = -1,
	EF_TRACK_NO = 0,
	EF_TRACK_YES = 1,
};

/* `limit:` of a rule: a token bucket per key (the fields in per, or one
 * for the rule). Packets within the limit match the rule; packets over it
 * go on to the next rules. */
struct ef_limit {
	bool on;
	uint64_t rate;      /* units per period */
	uint64_t period_ns; /* 1 s, 1 min or 1 h as written */
	uint64_t burst;     /* units the bucket holds */
	uint8_t per;        /* EDGEFW_PER_* */
	bool bytes;         /* units are bytes, else packets */
	unsigned line, col;
};

/* `ban:` of a rule: the source of every packet the rule decides goes into
 * a dynamic set, from the datapath. */
struct ef_ban {
	uint16_t set;        /* index into ef_ruleset.sets + 1, 0: none */
	uint64_t timeout_ns; /* 0: never expires */
	unsigned line, col;
};

struct ef_rule {
	char name[EDGEFW_RULE_NAME_MAX];
	unsigned line, col;

	uint8_t hooks;                 /* bitmask; EF_HOOKS_ALL when not written */
	char (*ifaces)[EF_IFNAME_MAX]; /* names or fnmatch(3) globs */
	size_t n_ifaces;               /* 0: every interface */

	struct ef_addr_field src, dst;

	bool proto_any;     /* proto not written (or `any`) */
	uint8_t protos[32]; /* bitmap of IP protocol numbers */
	struct ef_port_field sport, dport;
	int16_t icmp_type;       /* -1: any; needs proto icmp/icmpv6 */
	int16_t icmp_code;       /* -1: any */
	uint8_t tcp_flags_mask;  /* 0: any; needs proto tcp */
	uint8_t tcp_flags_value; /* flags in mask that must be set */
	int32_t vlan;            /* EF_VLAN_ANY, 0-4095, EF_VLAN_UNTAGGED */
	uint8_t frag;            /* enum ef_frag_match */
	uint8_t states;          /* 1u << enum edgefw_ct_state; 0: any */
	int8_t track;            /* enum ef_track: does a pass record a new flow */

	uint8_t action; /* enum edgefw_action */
	char redirect_ifname[EF_IFNAME_MAX];
	bool log;

	struct ef_limit limit;
	struct ef_ban ban;
	/* Filled after parsing: the ruleset's conditions (ef_ruleset.conds)
	 * this rule needs to hold, and which of them is its limit (-1). */
	uint8_t cond_mask;
	int8_t limit_cond;
	uint8_t ban_idx; /* ef_ruleset.bans index when ban.set */
};

enum ef_set_kind {
	EF_SET_ADDR = 0,
	EF_SET_PORT,
};

/* A named set, kept after expansion into the rules for reports. */
struct ef_set {
	char name[EF_SET_NAME_MAX];
	unsigned line, col;
	enum ef_set_kind kind;
	size_t n_entries;
	size_t n_refs; /* rules referring to it */
	/* `dynamic: true`: no entries in the file; they are added and removed
	 * at run time (edgefw set, edgefwd, bans) and live outside rulesets. */
	bool dynamic;
	uint64_t timeout_ns; /* default entry timeout, 0: none */
	uint32_t size;       /* entries per family */
};

#define EF_DYNSET_SIZE_DEFAULT 65536u
#define EF_DYNSET_SIZE_MAX (1u << 24)

/* One dynamic condition of a ruleset: a bit of the condition vector the
 * datapath computes per packet (see EDGEFW_DIM_COND). */
struct ef_cond {
	uint8_t kind; /* enum edgefw_cond_kind */
	bool negate;
	int32_t set;  /* SET_*: index into ef_ruleset.sets */
	int32_t rule; /* LIMIT: the rule whose limit it is */
};

/* The top-level `interfaces` section: where edgefwd attaches. */
enum ef_attach_mode {
	EF_ATTACH_AUTO = 0, /* XDP native, else generic */
	EF_ATTACH_NATIVE,
	EF_ATTACH_GENERIC,
};

struct ef_attach_spec {
	char pattern[EF_IFNAME_MAX]; /* a name or fnmatch(3) glob */
	uint8_t hooks;               /* 1u << enum edgefw_hook */
	uint8_t mode;                /* enum ef_attach_mode, for XDP */
	unsigned line, col;
};

enum ef_on_exit {
	EF_ON_EXIT_KEEP = 0, /* programs and pins stay: filtering goes on */
	EF_ON_EXIT_DETACH,   /* detach everywhere and remove the pins */
};

#define EF_SOCKET_PATH_MAX 108 /* sun_path */
#define EF_LISTEN_MAX 64
#define EF_GROUP_NAME_MAX 33 /* 32 characters, as useradd allows */
#define EF_LOG_PATH_MAX 256
#define EF_METRICS_DEFAULT "127.0.0.1:9469"
#define EF_SOCKET_DIR "/run/edgefw"
#define EF_LOG_RATE_DEFAULT 10
#define EF_LOG_RATE_MAX 100000

/* daemon.crowdsec: edgefwd as a CrowdSec bouncer (issue 16). */
#define EF_CROWDSEC_KEY_MAX 128
struct ef_crowdsec_conf {
	bool on;
	char listen[EF_LISTEN_MAX];    /* the local API's HOST:PORT */
	char key[EF_CROWDSEC_KEY_MAX]; /* from `cscli bouncers add` */
	char set[EF_SET_NAME_MAX];     /* a dynamic set of this ruleset */
	uint32_t interval_ms;
};

/* daemon.source.etcd: the rules come from an etcd group (issue 18); the
 * file then holds only `interfaces` and `daemon`. */
#define EF_FLEET_ENDPOINTS_MAX 16
#define EF_FLEET_URL_MAX 128
#define EF_FLEET_NAME_MAX 64 /* group, host: 1-63 characters */
#define EF_FLEET_PREFIX_DEFAULT "/edgefw/v1/"
#define EF_FLEET_STATE_DIR_DEFAULT "/var/lib/edgefw/fleet"
struct ef_fleet_conf {
	bool on;
	char endpoints[EF_FLEET_ENDPOINTS_MAX][EF_FLEET_URL_MAX];
	size_t n_endpoints;
	char prefix[EF_FLEET_URL_MAX]; /* starts and ends with '/' */
	char group[EF_FLEET_NAME_MAX];
	char host[EF_FLEET_NAME_MAX]; /* "": the host name */
	char ca[EF_LOG_PATH_MAX], cert[EF_LOG_PATH_MAX], key[EF_LOG_PATH_MAX];
	char state_dir[EF_LOG_PATH_MAX];
};

/* The top-level `daemon` section: edgefwd's settings. Empty strings mean
 * the defaults (see rules/README.md); `edgefw` ignores the section. */
struct ef_daemon_conf {
	char instance[32];                       /* EF_INSTANCE_NAME_MAX */
	char control_socket[EF_SOCKET_PATH_MAX]; /* "": /run/edgefw/INSTANCE.sock */
	char control_group[EF_GROUP_NAME_MAX];   /* "": root only */
	char metrics[EF_LISTEN_MAX];             /* "": default; "off" */
	char drop_log[EF_LOG_PATH_MAX];          /* "": "-" (stdout); or a file */
	uint32_t log_rate;                       /* per rule per second; 0 off */
	uint8_t on_exit;                         /* enum ef_on_exit */
	uint32_t conntrack_size;                 /* ct_tbl of a new instance; 0: default */
	struct ef_capacity_spec capacity;        /* floors of the instance's maps */
	struct ef_crowdsec_conf crowdsec;
	struct ef_fleet_conf fleet; /* daemon.source.etcd */
};

struct ef_ruleset {
	char *path;
	/* FNV-1a 64 of the canonical text (canon.h): the rules, their sets
	 * expanded (list files included) and the defaults, however written. */
	uint64_t hash;
	uint64_t src_hash; /* FNV-1a 64 of the file's bytes as read */
	uint8_t default_action[EDGEFW_HOOK_COUNT];
	uint8_t non_ip_action;         /* non-IP frames and IPv6 ND */
	uint8_t malformed_action;      /* truncated / inconsistent headers */
	uint8_t ext_overflow_action;   /* IPv6 extension chain past the bound */
	uint8_t encap_overflow_action; /* VLAN/PPPoE/MPLS past the parser's walk */
	uint8_t frag_policy;           /* enum ef_frag_policy */
	struct ef_rule *rules;         /* in file order: first match wins */
	size_t n_rules;
	struct ef_set *sets;
	size_t n_sets;
	struct ef_cond conds[EDGEFW_MAX_CONDS];
	size_t n_conds;
	struct ef_ban bans[EDGEFW_MAX_CONDS]; /* distinct (set, timeout) */
	size_t n_bans;
	struct ef_attach_spec *attach; /* the `interfaces` section */
	size_t n_attach;
	struct ef_daemon_conf daemon;
};

/* Reads and checks a rules file (and the list files it names, relative to
 * its directory). Returns 0, or a negative errno with every problem
 * recorded in d (the ruleset is then empty). Warnings may be recorded on
 * success. */
int ef_ruleset_load(const char *path, struct ef_ruleset *rs, struct ef_diag *d);
int ef_ruleset_parse(const char *name, const char *buf, size_t len, struct ef_ruleset *rs,
		     struct ef_diag *d);

enum ef_parse_flags {
	/* Refuse `files:` with an error instead of reading them: for input
	 * that must not make edgefw open arbitrary paths (the fuzzer). */
	EF_PARSE_NO_LIST_FILES = 0x1,
	/* Skip the warnings about rules that can never match (a quadratic
	 * pass): for a ruleset already in force, whose warnings were given
	 * when it was loaded (edgefw diff's OLD side). */
	EF_PARSE_NO_REACHABILITY = 0x2,
};

int ef_ruleset_parse_flags(const char *name, const char *buf, size_t len, unsigned flags,
			   struct ef_ruleset *rs, struct ef_diag *d);

/* Where rules from an untrusted source may take list files from, unless
 * configured otherwise. */
#define EF_LISTS_DIR_DEFAULT "/etc/edgefw/lists"

struct ef_parse_opts {
	unsigned flags; /* enum ef_parse_flags */
	/* NULL: the rules are the operator's own; list files are named
	 * relative to the rules file's directory or by absolute path.
	 * A directory: the rules come from an untrusted source (a remote
	 * store, a feed); list files may be named only relative to it or by
	 * an absolute path inside it, and are opened beneath it (no "..",
	 * no symbolic link out of it: openat2 RESOLVE_BENEATH). A name
	 * outside is refused without being looked at. */
	const char *lists_dir;
	/* Called for each list file read, with its name as written and its
	 * bytes (edgefw publish bundles them); may be NULL. */
	void (*on_list_file)(void *arg, const char *name, const char *buf, size_t len);
	void *on_list_file_arg;
};

/* ef_ruleset_parse / ef_ruleset_load with options; o may be NULL. */
int ef_ruleset_parse_opts(const char *name, const char *buf, size_t len,
			  const struct ef_parse_opts *o, struct ef_ruleset *rs, struct ef_diag *d);
int ef_ruleset_load_opts(const char *path, const struct ef_parse_opts *o, struct ef_ruleset *rs,
			 struct ef_diag *d);
void ef_ruleset_free(struct ef_ruleset *rs);

const char *ef_action_name(uint8_t action);
const char *ef_hook_name(uint32_t hook);

/* True when the rule can match a packet of this family (EF_AF_INET or
 * EF_AF_INET6): each address field is any or covers the family. */
bool ef_rule_has_family(const struct ef_rule *r, uint8_t family);

/* The EDGEFW_CT_MODE_* bits a ruleset needs: whether packets must be given
 * a state, and whether a rule records flows at ingress. */
uint8_t ef_ruleset_ct_mode(const struct ef_ruleset *rs);

/* EDGEFW_CT_MODE_FIRST(state) for each state the first rule takes whole
 * at its hooks (its only fields are `state` and `hooks`): the datapath
 * gives such a packet there that rule's verdict without classifying it.
 * 0 for a stateless ruleset. */
uint8_t ef_ruleset_ct_first(const struct ef_ruleset *rs);

/* "new", "established", "related", "invalid". */
const char *ef_ct_state_name(unsigned state);

static inline bool ef_rule_has_proto(const struct ef_rule *r, uint8_t proto)
{
	return r->proto_any || (r->protos[proto / 8] >> (proto % 8)) & 1;
}

#endif
