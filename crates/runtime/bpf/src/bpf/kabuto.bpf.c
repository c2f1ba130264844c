// SPDX-License-Identifier: GPL-2.0
/* Kabuto's runtime enforcer programs. CO-RE against vmlinux.h, generated at build time from
 * the build machine's BTF; relocated against the running kernel's BTF at load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "kabuto.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGKILL 9
#define EPERM 1
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Cgroups whose execs are not reported (the host's). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u8);
} ignored_cgroups SEC(".maps");

/* Containers the enforcer knows, by cgroup id: fork/exit/stdio events and enforcement. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct container);
} containers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct exec_key);
	__type(value, __u32);
} deny_exec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct exec_key);
	__type(value, __u32);
} allow_exec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct connect_key);
	__type(value, __u32);
} deny_connect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct readonly_paths);
} readonly SEC(".maps");

/* Execs in progress in gated containers, by tgid (GATE_EXEC): written at the execve's entry,
 * read by user space when the exec's fanotify permission event arrives. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct exec_ctx);
} exec_ctx SEC(".maps");

/* Off when fanotify denies execs: the exec tracepoint then reports without killing. */
const volatile __u32 kill_exec = 1;

/* [0]: room for an event outside the ring buffer (it is larger than the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event);
} scratch SEC(".maps");

/* Cgroups the agent does not know whose first exec already woke it (see exec_wakeup). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} woken_cgroups SEC(".maps");

/* [0]: room to put an exec's working directory together. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

/* [0]: events lost because the ring buffer was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Unused by the programs: makes the skeleton generate `types::event`, so a test can check
 * that src/event.rs decodes records of the size the programs write. */
struct event event_abi = {};

/* Kernels before 6.11 keep the change time in __i_ctime. */
struct inode___old {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		*n += 1;
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

/* The ids of an event or an exec_ctx (both have these fields). */
#define FILL_TASK(e, task)                                                        \
	do {                                                                      \
		struct task_struct *parent = BPF_CORE_READ(task, real_parent);    \
		struct pid *pid = BPF_CORE_READ(task, thread_pid);                \
		unsigned int level = BPF_CORE_READ(pid, level);                   \
		struct upid upid = {};                                            \
                                                                                  \
		bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);         \
		(e)->pid = BPF_CORE_READ(task, tgid);                             \
		(e)->ppid = BPF_CORE_READ(parent, tgid);                          \
		(e)->ns_pid = upid.nr;                                            \
		(e)->uid = BPF_CORE_READ(task, cred, uid.val);                    \
		(e)->parent_cgroup_id = task_cgroup_id(parent);                   \
		bpf_probe_read_kernel_str((e)->comm, sizeof((e)->comm), &task->comm); \
	} while (0)

static __always_inline void fill_task(struct event *e, struct task_struct *task)
{
	FILL_TASK(e, task);
}

static __always_inline void fill_inode(struct event *e, struct inode *inode)
{
	e->ino = BPF_CORE_READ(inode, i_ino);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (bpf_core_field_exists(inode->i_ctime_sec)) {
		/* Since 6.13 the top bit of i_ctime_nsec says the time was queried (multigrain
		 * timestamps, I_CTIME_QUERIED): 2.1 s too late unless masked. */
		e->ctime_ns = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ll +
			      (BPF_CORE_READ(inode, i_ctime_nsec) & 0x7fffffff);
	} else {
		struct inode___old *old = (void *)inode;
		e->ctime_ns = BPF_CORE_READ(old, __i_ctime.tv_sec) * 1000000000ll +
			      BPF_CORE_READ(old, __i_ctime.tv_nsec);
	}
}

/* The enforcement decision for an exec in container `c` (its containers map entry, null
 * for a cgroup the agent does not know); VERDICT_NONE to let it run. */
static __always_inline __u32 exec_verdict(struct event *e, struct container *c)
{
	struct exec_key key = { .cgroup_id = e->cgroup_id, .ino = e->ino, .dev = e->dev };
	__u32 *allowed;
	__u32 allow = 0;

	if (!c)
		return VERDICT_NONE;
	if (bpf_map_lookup_elem(&deny_exec, &key))
		return VERDICT_DENY_LISTED;
	allowed = bpf_map_lookup_elem(&allow_exec, &key);
	if (allowed)
		allow = *allowed;
	if ((c->flags & BLOCK_RUNTIME_EXEC) && !(allow & ALLOW_RUNTIME_EXEC) &&
	    e->parent_cgroup_id != e->cgroup_id && e->pid != c->init_pid)
		return VERDICT_RUNTIME_EXEC;
	if ((c->flags & BLOCK_DRIFT) && !(allow & ALLOW_DRIFT) && c->start_ns &&
	    e->ctime_ns > (__s64)c->start_ns)
		return VERDICT_DRIFT;
	return VERDICT_NONE;
}

/* The new program's arguments, from its memory at sched_process_exec (the exec is done). */
static __always_inline void fill_argv(struct event *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len;

	if (end <= start)
		return;
	len = end - start;
	if (len > ARGS_LEN - 1)
		len = ARGS_LEN - 1;
	bpf_probe_read_user(e->argv, len & (ARGS_LEN - 1), (void *)start);
}

/* A mount's struct mount, from its vfsmount (container_of, relocated by CO-RE). */
static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
}

/* A working directory's walk, one bpf_loop step per dentry or mount crossing. */
struct cwd_walk {
	struct path_buf *buf;
	struct dentry *dentry;
	struct dentry *root;
	struct vfsmount *vfsmnt;
	struct vfsmount *root_mnt;
	struct mount *mnt;
	__u32 pos;     /* where the path starts in buf; it ends at CWD_LEN - 1 */
	__u32 reached; /* the walk got to the task's root or the top of the mount tree */
};

/* One step up; 1 ends the walk. */
static long cwd_step(__u64 index, void *ctx)
{
	struct cwd_walk *w = ctx;
	/* Plain copies: CO-RE relocates kernel types' fields, not this walk's. */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	const unsigned char *name;
	__u32 len, pos = w->pos;

	if (dentry == w->root && vfsmnt == w->root_mnt) {
		w->reached = 1;
		return 1;
	}
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt) {
			w->reached = 1; /* the top of the mount tree */
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = (void *)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (dentry == parent)
		return 1; /* disconnected */
	len = BPF_CORE_READ(dentry, d_name.len);
	name = BPF_CORE_READ(dentry, d_name.name);
	if (len == 0 || len + 1 > pos)
		return 1; /* longer than CWD_LEN - 1 */
	pos -= len;
	bpf_probe_read_kernel(&w->buf->b[pos & (CWD_LEN - 1)], len & (CWD_LEN - 1), name);
	pos -= 1;
	w->buf->b[pos & (CWD_LEN - 1)] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/* The task's working directory as it sees it, read in the kernel (an exec killed at once has
 * no /proc to read it from later): the dentries up to the task's root, across mounts, with
 * bpf_loop (the verifier checks a step once; an unrolled walk is past its limit). Left empty
 * when deeper than CWD_DEPTH, longer than CWD_LEN - 1, disconnected, or on a kernel without
 * bpf_loop (before 5.17): user space then reads /proc. */
static __always_inline void fill_cwd(struct event *e, struct task_struct *task)
{
	__u32 zero = 0;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct cwd_walk w = { .pos = CWD_LEN - 1 };

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return;
	w.buf = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!w.buf || !fs)
		return;
	w.dentry = BPF_CORE_READ(fs, pwd.dentry);
	w.vfsmnt = BPF_CORE_READ(fs, pwd.mnt);
	w.root = BPF_CORE_READ(fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(fs, root.mnt);
	w.mnt = real_mount(w.vfsmnt);
	w.buf->b[CWD_LEN - 1] = 0;
	bpf_loop(CWD_DEPTH, cwd_step, &w, 0);
	if (!w.reached)
		return;
	if (w.pos == CWD_LEN - 1)
		w.buf->b[--w.pos & (CWD_LEN - 1)] = '/';
	bpf_probe_read_kernel(e->cwd, CWD_LEN, &w.buf->b[w.pos & (CWD_LEN - 1)]);
}

static __always_inline struct event *reserve(__u32 kind, __u64 cgroup_id)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->cgroup_id = cgroup_id;
	return e;
}

/* Whether an exec event wakes the reader at once: when the kernel killed, in a container
 * whose flags include one of `prompt` (user space decides some of its execs), and at the
 * first exec of a cgroup the agent does not know (a new container is registered, and its
 * rules set, at once). Every other exec (audit-only containers, the host's cgroups after
 * their first) waits for the reader's next poll, 100 ms at most: a wakeup per exec cost an
 * exec storm about a fifth of its time here, in context switches and migrations. */
static __always_inline __u64 exec_wakeup(struct event *e, struct container *c, __u32 prompt)
{
	__u8 one = 1;

	if (e->verdict != VERDICT_NONE)
		return BPF_RB_FORCE_WAKEUP;
	if (c)
		return c->flags & prompt ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_map_lookup_elem(&woken_cgroups, &e->cgroup_id))
		return BPF_RB_NO_WAKEUP;
	bpf_map_update_elem(&woken_cgroups, &e->cgroup_id, &one, BPF_ANY);
	return BPF_RB_FORCE_WAKEUP;
}

/* Every exec outside the ignored cgroups, with the kernel's verdict: a denied exec is killed
 * before it runs any instruction of the new program (the exec itself has happened). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_kill, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c;
	struct event *e;

	if (bpf_map_lookup_elem(&ignored_cgroups, &cgroup_id))
		return 0;
	e = reserve(EVENT_EXEC, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, p);
	fill_inode(e, BPF_CORE_READ(bprm, file, f_inode));
	fill_argv(e, p);
	fill_cwd(e, p);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	c = bpf_map_lookup_elem(&containers, &cgroup_id);
	e->verdict = kill_exec ? exec_verdict(e, c) : VERDICT_NONE;
	if (e->verdict != VERDICT_NONE)
		bpf_send_signal(SIGKILL);
	bpf_ringbuf_submit(e, exec_wakeup(e, c, PROMPT_EXEC));
	return 0;
}

/* The same events without enforcement, where tp_btf cannot load: user space kills. */
SEC("tp/sched/sched_process_exec")
int exec_observe(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned short offset = ctx->__data_loc_filename & 0xFFFF;
	struct event *e;

	if (bpf_map_lookup_elem(&ignored_cgroups, &cgroup_id))
		return 0;
	e = reserve(EVENT_EXEC, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, task);
	fill_inode(e, BPF_CORE_READ(task, mm, exe_file, f_inode));
	fill_argv(e, task);
	fill_cwd(e, task);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + offset);
	/* Here user space kills what the kernel would have: those containers too. */
	bpf_ringbuf_submit(e, exec_wakeup(e, bpf_map_lookup_elem(&containers, &cgroup_id),
					  PROMPT_EXEC | BLOCK_RUNTIME_EXEC | BLOCK_DRIFT));
	return 0;
}

/* Denies before the exec happens, where the kernel allows BPF-LSM programs. */
SEC("lsm/bprm_check_security")
int BPF_PROG(exec_deny, struct linux_binprm *bprm, int ret)
{
	__u32 zero = 0;
	struct event *e = bpf_map_lookup_elem(&scratch, &zero);
	struct container *c;

	if (ret || !e)
		return ret;
	/* Every field exec_verdict reads is written here. */
	e->cgroup_id = bpf_get_current_cgroup_id();
	c = bpf_map_lookup_elem(&containers, &e->cgroup_id);
	if (!c)
		return 0;
	fill_task(e, (struct task_struct *)bpf_get_current_task_btf());
	fill_inode(e, BPF_CORE_READ(bprm, file, f_inode));
	return exec_verdict(e, c) == VERDICT_NONE ? 0 : -EPERM;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 cgroup_id = task_cgroup_id(child);
	struct event *e;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread */
	if (!bpf_map_lookup_elem(&containers, &cgroup_id))
		return 0;
	e = reserve(EVENT_FORK, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, child);
	e->ppid = BPF_CORE_READ(parent, tgid);
	/* Forks and exits wait for the next decision's wakeup (or the reader's timeout): they
	 * decide nothing at once, and they are two thirds of a busy container's events. Events
	 * that decide something force a wakeup, as one pending unwoken record would otherwise
	 * keep the kernel from waking the reader (it wakes only a reader that caught up). */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int process_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct event *e;

	if ((__u32)id != (__u32)(id >> 32))
		return 0; /* a thread */
	if (!bpf_map_lookup_elem(&containers, &cgroup_id))
		return 0;
	{
		__u32 tgid = id >> 32;

		bpf_map_delete_elem(&exec_ctx, &tgid);
	}
	e = reserve(EVENT_EXIT, cgroup_id);
	if (!e)
		return 0;
	e->pid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* An execve's entry in a gated container: who calls it, for the fanotify decision. */
static __always_inline int record_exec(const char *filename)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c = bpf_map_lookup_elem(&containers, &cgroup_id);
	struct task_struct *task;
	struct exec_ctx x = {};

	if (!c || !(c->flags & GATE_EXEC))
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	FILL_TASK(&x, task);
	x.cgroup_id = cgroup_id;
	x.seq = bpf_ktime_get_ns();
	bpf_probe_read_user_str(x.filename, sizeof(x.filename), filename);
	bpf_map_update_elem(&exec_ctx, &x.pid, &x, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	return record_exec((const char *)ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_execveat")
int execveat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return record_exec((const char *)ctx->args[1]);
}

static __always_inline int judge_connect(struct bpf_sock_addr *ctx, __u16 family)
{
	struct connect_key key = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.port = bpf_ntohs(ctx->user_port),
	};
	__u32 *action = bpf_map_lookup_elem(&deny_connect, &key);
	struct event *e;
	__u64 id;
	int allow;

	if (action) {
		allow = *action != CONNECT_BLOCK;
	} else {
		/* Not a watched port: reported only when the container's network is audited. */
		struct container *c = bpf_map_lookup_elem(&containers, &key.cgroup_id);

		if (!c || !(c->flags & WATCH_NETWORK))
			return 1;
		allow = 1;
	}
	e = reserve(EVENT_CONNECT, key.cgroup_id);
	if (!e)
		return allow;
	id = bpf_get_current_pid_tgid();
	e->pid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->port = key.port;
	e->family = family;
	if (family == AF_INET) {
		__u32 ip = ctx->user_ip4;
		__builtin_memcpy(e->addr, &ip, 4);
	} else {
		__u32 ip[4];
		ip[0] = ctx->user_ip6[0];
		ip[1] = ctx->user_ip6[1];
		ip[2] = ctx->user_ip6[2];
		ip[3] = ctx->user_ip6[3];
		__builtin_memcpy(e->addr, ip, 16);
	}
	e->verdict = allow ? VERDICT_NONE : VERDICT_CONNECT;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return allow;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return judge_connect(ctx, AF_INET);
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	return judge_connect(ctx, AF_INET6);
}

static __always_inline int is_shell(const char *comm)
{
	/* sh, ash, bash, dash, ksh, zsh, mksh, csh, tcsh, fish */
	char c[6] = {};

	bpf_probe_read_kernel(c, 5, comm);
	if (c[0] == 's' && c[1] == 'h' && !c[2])
		return 1;
	if ((c[0] == 'a' || c[0] == 'k' || c[0] == 'z' || c[0] == 'c') && c[1] == 's' &&
	    c[2] == 'h' && !c[3])
		return 1;
	if ((c[0] == 'b' || c[0] == 'd') && c[1] == 'a' && c[2] == 's' && c[3] == 'h' && !c[4])
		return 1;
	if ((c[0] == 'm' || c[0] == 't') && c[1] != 0 && c[2] == 's' && c[3] == 'h' && !c[4])
		return 1;
	if (c[0] == 'f' && c[1] == 'i' && c[2] == 's' && c[3] == 'h' && !c[4])
		return 1;
	return 0;
}

/* The socket behind the current task's descriptor `fd`, or 0. */
static __always_inline struct sock *socket_of(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds;
	struct file *file = 0;
	struct socket *sock;
	unsigned int max;

	if (fd < 0)
		return 0;
	max = BPF_CORE_READ(task, files, fdt, max_fds);
	if (fd >= max)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The socket's local (listen) or peer (accept) address into the event. */
static __always_inline void socket_address(struct event *e, struct sock *sk, int peer)
{
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (peer)
		e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	else
		e->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (e->family == AF_INET) {
		__u32 ip = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) :
				  BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->addr, &ip, 4);
	} else if (e->family == AF_INET6) {
		if (peer)
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		else
			BPF_CORE_READ_INTO(&e->addr, sk,
					   __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	}
}

/* dup2(sock, 0..2) in a known container: the shape of a reverse shell. */
static __always_inline int stdio_socket(long oldfd, long newfd)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c;
	struct sock *sk;
	struct event *e;

	if (newfd < 0 || newfd > 2)
		return 0;
	c = bpf_map_lookup_elem(&containers, &cgroup_id);
	if (!c)
		return 0;
	sk = socket_of(oldfd);
	if (!sk)
		return 0;
	e = reserve(EVENT_STDIO_SOCKET, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	e->fd = newfd;
	socket_address(e, sk, 1);
	if ((c->flags & BLOCK_REVERSE_SHELL) && is_shell(e->comm)) {
		e->verdict = VERDICT_REVERSE_SHELL;
		bpf_send_signal(SIGKILL);
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp/syscalls/sys_enter_dup2")
int dup2_enter(struct trace_event_raw_sys_enter *ctx)
{
	return stdio_socket(ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_dup3")
int dup3_enter(struct trace_event_raw_sys_enter *ctx)
{
	return stdio_socket(ctx->args[0], ctx->args[1]);
}

#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_DIRECTORY 0200000
#define O_PATH 010000000

/* Whether `path` (absolute) is under one of the container's read-only prefixes. */
static __always_inline int readonly_path(__u64 cgroup_id, const char *path)
{
	struct readonly_paths *paths = bpf_map_lookup_elem(&readonly, &cgroup_id);

	if (!paths || path[0] != '/')
		return 0;
	for (int i = 0; i < READONLY_PREFIXES; i++) {
		const char *prefix = &paths->prefix[i * READONLY_PREFIX_LEN];
		int matched = prefix[0] != 0;

		for (int j = 1; j < READONLY_PREFIX_LEN && matched; j++) {
			char want = prefix[j];

			if (!want) {
				/* A directory prefix covers its tree; a file must end here. */
				if (prefix[j - 1] != '/' && path[j] != 0)
					matched = 0;
				break;
			}
			if (path[j] != want)
				matched = 0;
		}
		if (matched)
			return 1;
	}
	return 0;
}

/* A file operation in a known container whose flags ask for it (`watch`). */
static __always_inline int file_event(const char *user_path, __u32 op, __u32 watch)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c = bpf_map_lookup_elem(&containers, &cgroup_id);
	struct event *e;

	if (!c || !(c->flags & watch))
		return 0;
	e = reserve(EVENT_FILE, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	e->op = op;
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), user_path);
	if (op != FILE_READ && (c->flags & BLOCK_READONLY) && readonly_path(cgroup_id, e->filename)) {
		e->verdict = VERDICT_READONLY;
		bpf_send_signal(SIGKILL);
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* A change to a file in a known container that watches files. */
static __always_inline int file_change(const char *user_path, __u32 op)
{
	return file_event(user_path, op, WATCH_FILES);
}

SEC("tp/syscalls/sys_enter_openat")
int openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	long flags = ctx->args[2];

	if (!(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC))) {
		/* A directory listing or a path handle reads no file's contents. */
		if (flags & (O_DIRECTORY | O_PATH))
			return 0;
		return file_event((const char *)ctx->args[1], FILE_READ, WATCH_READS);
	}
	return file_change((const char *)ctx->args[1],
			   (flags & O_CREAT) && (flags & O_EXCL) ? FILE_CREATE : FILE_MODIFY);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int unlinkat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return file_change((const char *)ctx->args[1], FILE_DELETE);
}

SEC("tp/syscalls/sys_enter_renameat2")
int renameat2_enter(struct trace_event_raw_sys_enter *ctx)
{
	return file_change((const char *)ctx->args[3], FILE_MODIFY);
}

SEC("tp/syscalls/sys_enter_fchmodat")
int fchmodat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return file_change((const char *)ctx->args[1], FILE_ATTRIBUTES);
}

/* Privilege changes and escape primitives in watched containers, at the syscall's entry: a
 * blocked one is killed before the kernel carries it out. */
#define PTRACE_POKETEXT 4
#define PTRACE_POKEDATA 5
#define PTRACE_POKEUSER 6
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206
#define NAMESPACE_FLAGS 0xfe020080ull /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME} */
#define UNCHANGED_ID 0xffffffffull     /* -1: the id stays as it is */

static __always_inline int blocks(struct container *c, __u32 call, __u32 uid, __u64 arg0)
{
	switch (call) {
	case CALL_SETUID:
	case CALL_SETGID:
		return (c->flags & BLOCK_PRIVILEGE_GAIN) && uid != 0 && arg0 == 0;
	case CALL_CAPSET:
		return (c->flags & BLOCK_PRIVILEGE_GAIN) && uid != 0 && arg0 != 0;
	default:
		return !!(c->flags & BLOCK_ESCAPE);
	}
}

static __always_inline int syscall_event(__u32 call, __u64 arg0, __u64 arg1, const char *path)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c = bpf_map_lookup_elem(&containers, &cgroup_id);
	struct task_struct *task;
	struct event *e;

	if (!c || !(c->flags & WATCH_SYSCALLS))
		return 0;
	e = reserve(EVENT_SYSCALL, cgroup_id);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	fill_task(e, task);
	e->op = call;
	e->args[0] = arg0;
	e->args[1] = arg1;
	if (path)
		bpf_probe_read_user_str(e->filename, sizeof(e->filename), path);
	if (blocks(c, call, e->uid, arg0)) {
		e->verdict = VERDICT_SYSCALL;
		bpf_send_signal(SIGKILL);
	}
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* 0 when any id asked for is 0 (root), else the first one (-1 leaves an id unchanged). */
static __always_inline __u64 asks_root(__u64 a, __u64 b, __u64 c)
{
	a &= UNCHANGED_ID;
	b &= UNCHANGED_ID;
	c &= UNCHANGED_ID;
	return (a == 0 || b == 0 || c == 0) ? 0 : a;
}

SEC("tp/syscalls/sys_enter_setuid")
int setuid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETUID, asks_root(ctx->args[0], UNCHANGED_ID, UNCHANGED_ID), 0, 0);
}

SEC("tp/syscalls/sys_enter_setreuid")
int setreuid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETUID, asks_root(ctx->args[0], ctx->args[1], UNCHANGED_ID), 0, 0);
}

SEC("tp/syscalls/sys_enter_setresuid")
int setresuid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETUID, asks_root(ctx->args[0], ctx->args[1], ctx->args[2]), 0, 0);
}

SEC("tp/syscalls/sys_enter_setgid")
int setgid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETGID, asks_root(ctx->args[0], UNCHANGED_ID, UNCHANGED_ID), 0, 0);
}

SEC("tp/syscalls/sys_enter_setregid")
int setregid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETGID, asks_root(ctx->args[0], ctx->args[1], UNCHANGED_ID), 0, 0);
}

SEC("tp/syscalls/sys_enter_setresgid")
int setresgid_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETGID, asks_root(ctx->args[0], ctx->args[1], ctx->args[2]), 0, 0);
}

/* capset(header, data): data[0] and data[1] hold the low and high 32 bits of each set. */
SEC("tp/syscalls/sys_enter_capset")
int capset_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 data[6] = {};

	if (ctx->args[1])
		bpf_probe_read_user(data, sizeof(data), (void *)ctx->args[1]);
	return syscall_event(CALL_CAPSET, data[0] | ((__u64)data[3] << 32), 0, 0);
}

SEC("tp/syscalls/sys_enter_ptrace")
int ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 request = ctx->args[0];

	if (request != PTRACE_ATTACH && request != PTRACE_SEIZE && request != PTRACE_POKETEXT &&
	    request != PTRACE_POKEDATA && request != PTRACE_POKEUSER)
		return 0;
	return syscall_event(CALL_PTRACE, request, ctx->args[1], 0);
}

SEC("tp/syscalls/sys_enter_mount")
int mount_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_MOUNT, 0, 0, (const char *)ctx->args[1]);
}

/* The new mount API attaches with move_mount(from_dfd, from, to_dfd, to, flags). */
SEC("tp/syscalls/sys_enter_move_mount")
int move_mount_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_MOUNT, 0, 0, (const char *)ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_init_module")
int init_module_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_MODULE, 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_finit_module")
int finit_module_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_MODULE, 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_setns")
int setns_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_event(CALL_SETNS, ctx->args[1], 0, 0);
}

SEC("tp/syscalls/sys_enter_unshare")
int unshare_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!(ctx->args[0] & NAMESPACE_FLAGS))
		return 0;
	return syscall_event(CALL_UNSHARE, ctx->args[0], 0, 0);
}

/* Network activity for auditing (WATCH_NETWORK): bind, listen and accept; connects are
 * reported by cgroup/connect4+6. */
static __always_inline struct event *network_event(__u32 op)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct container *c = bpf_map_lookup_elem(&containers, &cgroup_id);
	struct event *e;

	if (!c || !(c->flags & WATCH_NETWORK))
		return 0;
	e = reserve(EVENT_NETWORK, cgroup_id);
	if (!e)
		return 0;
	fill_task(e, (struct task_struct *)bpf_get_current_task());
	e->op = op;
	return e;
}

/* bind(fd, addr, len): the address asked for, read from user memory. */
SEC("tp/syscalls/sys_enter_bind")
int bind_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct event *e = network_event(NET_BIND);
	__u8 addr[24] = {};

	if (!e)
		return 0;
	bpf_probe_read_user(addr, sizeof(addr), (void *)ctx->args[1]);
	e->family = *(__u16 *)addr;
	e->port = ((__u16)addr[2] << 8) | addr[3];
	if (e->family == AF_INET)
		__builtin_memcpy(e->addr, &addr[4], 4);
	else if (e->family == AF_INET6)
		__builtin_memcpy(e->addr, &addr[8], 16);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_listen")
int listen_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct sock *sk = socket_of(ctx->args[0]);
	struct event *e;

	if (!sk)
		return 0;
	e = network_event(NET_LISTEN);
	if (!e)
		return 0;
	socket_address(e, sk, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int accepted(long fd)
{
	struct sock *sk = socket_of(fd);
	struct event *e;

	if (!sk)
		return 0;
	e = network_event(NET_ACCEPT);
	if (!e)
		return 0;
	socket_address(e, sk, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}
