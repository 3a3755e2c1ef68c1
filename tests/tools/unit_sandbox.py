#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runs a command under the kernel-enforced limits a systemd unit file asks
for, without systemd: for machines where systemd is not PID 1 (containers,
the project's test VMs), so the namespace tests can show that edgefwd works
under edgefwd.service's limits.

    tests/tools/unit_sandbox.py UNIT [--print] -- CMD [ARG...]

What is reproduced, from the unit's [Service] section, as systemd 252 does:
- SystemCallFilter= (groups expanded by `systemd-analyze syscall-filter`,
  @default implied by an allow list, later lines adding to or removing
  from it) and SystemCallArchitectures=native, as a seccomp filter. The
  action for a call outside the list is to kill the process, whatever
  SystemCallErrorNumber= says: a test must see every missing call, not
  a quiet EPERM.
- RestrictAddressFamilies= (socket(2) of another family: EAFNOSUPPORT).
- MemoryDenyWriteExecute= (writable and executable mappings: EPERM).
- CapabilityBoundingSet= (dropped from the bounding set before exec, so
  root keeps only those) and NoNewPrivileges=.
Not reproduced (they need systemd's mount namespace, cgroup or user
setup): ProtectSystem=, ProtectHome=, PrivateTmp=, PrivateDevices=,
ProtectKernel*=, ProtectControlGroups=, ProtectProc=, ProcSubset=,
IPAddressDeny=, RestrictNamespaces=, LockPersonality=, RestrictRealtime=,
RestrictSUIDSGID=, UMask=.

The command is exec'ed in place: its pid is this script's.
--print lists the allowed system calls and exits.
"""
import ctypes
import ctypes.util
import errno
import os
import re
import socket
import subprocess
import sys

SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_MASKED_EQ = 7
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000


def scmp_act_errno(e):
    return 0x00050000 | (e & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def die(msg):
    print(f"unit_sandbox: {msg}", file=sys.stderr)
    sys.exit(2)


def service_settings(unit):
    """Every Key=value of [Service], in order, as (key, value) pairs."""
    out, section = [], None
    with open(unit, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                k, v = line.split("=", 1)
                out.append((k.strip(), v.strip()))
    return out


_groups = {}


def expand(name):
    """A syscall name, or a @group expanded recursively."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        text = subprocess.run(["systemd-analyze", "syscall-filter", name],
                              check=True, capture_output=True, text=True).stdout
        names = set()
        for line in text.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                names |= expand(line)
        _groups[name] = names
    return _groups[name]


def allowed_syscalls(settings):
    allow = None
    for key, value in settings:
        if key != "SystemCallFilter" or not value:
            continue
        deny = value.startswith("~")
        names = set()
        for word in value.lstrip("~").split():
            names |= expand(word)
        if allow is None:
            if deny:
                die("a deny-list SystemCallFilter= first is not supported")
            allow = expand("@default")
        allow = allow - names if deny else allow | names
    if allow is None:
        die("the unit has no SystemCallFilter=")
    return allow


def new_filter(lib, default):
    ctx = lib.seccomp_init(default)
    if not ctx:
        die("seccomp_init failed")
    return ctx


def add_rule(lib, ctx, action, name, *cmps):
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr < 0:
        return  # not a system call of this architecture
    arr = (ArgCmp * max(1, len(cmps)))(*cmps)
    ret = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr)
    if ret:
        die(f"cannot add a rule for {name}: {os.strerror(-ret)}")


def load(lib, ctx):
    ret = lib.seccomp_load(ctx)
    if ret:
        die(f"seccomp_load failed: {os.strerror(-ret)}")


def family_filter(lib, families):
    """socket(2) with a family not listed: EAFNOSUPPORT (as systemd)."""
    keep = {getattr(socket, f) for f in families}
    ctx = new_filter(lib, SCMP_ACT_ALLOW)
    for fam in range(0, 64):
        if fam not in keep:
            add_rule(lib, ctx, scmp_act_errno(errno.EAFNOSUPPORT), "socket",
                     ArgCmp(0, SCMP_CMP_EQ, fam, 0))
    return ctx


def wx_filter(lib):
    """Writable and executable memory: EPERM (MemoryDenyWriteExecute)."""
    ctx = new_filter(lib, SCMP_ACT_ALLOW)
    both = PROT_WRITE | PROT_EXEC
    add_rule(lib, ctx, scmp_act_errno(errno.EPERM), "mmap",
             ArgCmp(2, SCMP_CMP_MASKED_EQ, both, both))
    for name in ("mprotect", "pkey_mprotect"):
        add_rule(lib, ctx, scmp_act_errno(errno.EPERM), name,
                 ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))
    add_rule(lib, ctx, scmp_act_errno(errno.EPERM), "shmat",
             ArgCmp(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC))
    return ctx


# linux/capability.h, in number order.
CAPS = """chown dac_override dac_read_search fowner fsetid kill setgid setuid
setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw
ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct
sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease
audit_write audit_control setfcap mac_override mac_admin syslog wake_alarm
block_suspend audit_read perfmon bpf checkpoint_restore""".split()


def drop_capabilities(keep_names):
    libc = ctypes.CDLL(None, use_errno=True)
    for name in keep_names:
        if name.lower()[4:] not in CAPS:
            die(f"unknown capability {name}")
    keep = {CAPS.index(n.lower()[4:]) for n in keep_names}
    # Numbers past the list: capabilities of newer kernels, dropped too.
    for nr in range(64):
        if nr not in keep and libc.prctl(PR_CAPBSET_DROP, nr, 0, 0, 0):
            if ctypes.get_errno() != errno.EINVAL:  # past the kernel's last
                die(f"cannot drop capability {nr}: {os.strerror(ctypes.get_errno())}")


def main():
    args = sys.argv[1:]
    if len(args) < 2 or (args[1] != "--print" and "--" not in args):
        die("usage: unit_sandbox.py UNIT [--print] -- CMD [ARG...]")
    settings = service_settings(args[0])
    allow = allowed_syscalls(settings)
    if args[1] == "--print":
        print("\n".join(sorted(allow)))
        return
    cmd = args[args.index("--") + 1:]
    get = {k: v for k, v in settings}
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                           ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]

    filters = []
    if get.get("MemoryDenyWriteExecute") == "yes":
        filters.append(wx_filter(lib))
    if "RestrictAddressFamilies" in get:
        filters.append(family_filter(lib, get["RestrictAddressFamilies"].split()))
    calls = new_filter(lib, SCMP_ACT_KILL_PROCESS)
    for name in sorted(allow):
        add_rule(lib, calls, SCMP_ACT_ALLOW, name)
    # Loaded last: the other filters' seccomp(2) calls come before it.
    filters.append(calls)
    if "CapabilityBoundingSet" in get:
        drop_capabilities(get["CapabilityBoundingSet"].split())
    if get.get("NoNewPrivileges") == "yes":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
            die("cannot set no_new_privs")
    # Resolve the program before the filter: execve only from here on.
    prog = cmd[0] if "/" in cmd[0] else subprocess.run(
        ["which", cmd[0]], capture_output=True, text=True).stdout.strip()
    sys.stdout.flush()
    sys.stderr.flush()
    for ctx in filters:
        load(lib, ctx)
    os.execv(prog, cmd)


if __name__ == "__main__":
    main()
