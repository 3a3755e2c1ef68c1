/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The making of an instance's maps (instance.c opens them): their sizes,
 * from a ruleset's needs, the operator's or the defaults, and their pins.
 * The sizes' setters are declared in instance.h.
 */
#ifndef EDGEFW_INSTANCE_CREATE_H
#define EDGEFW_INSTANCE_CREATE_H

#include "instance.h"

/* Creates the maps by loading the object with no program, and pins them
 * under inst's locked directory, instance_info last. 0 or a negative
 * errno (logged), with nothing left pinned. */
int ef_instance_maps_create(struct ef_instance *inst);

#endif
