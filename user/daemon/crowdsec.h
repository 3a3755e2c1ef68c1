/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* edgefwd as a CrowdSec bouncer (issue 16); see crowdsec.c. */
#ifndef EDGEFW_CROWDSEC_H
#define EDGEFW_CROWDSEC_H

#include <stdint.h>

struct efd;

/* Called every tick: asks the local API when the interval has passed. */
void efd_crowdsec_tick(struct efd *d);

/* Go's time.Duration text into ns (0: expired); -EINVAL. */
int efd_go_duration(const char *s, uint64_t *ns);

#endif
