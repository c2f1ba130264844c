/* The ABI between the enforcer's eBPF programs and user space (src/event.rs mirrors it;
 * a test checks the sizes). Native byte order. */
#ifndef KABUTO_H
#define KABUTO_H

#define TASK_COMM_LEN 16
#define FILENAME_LEN 256

enum event_kind {
	EVENT_EXEC = 1,
	EVENT_FORK = 2,
	EVENT_EXIT = 3,
	EVENT_CONNECT = 4,
	EVENT_STDIO_SOCKET = 5,
	EVENT_FILE = 6,
};

/* What a file event did (event.op). */
enum file_op {
	FILE_CREATE = 1,
	FILE_MODIFY = 2,
	FILE_DELETE = 3,
	FILE_ATTRIBUTES = 4,
};

/* Why the kernel stopped an action (0: it did not). */
enum verdict {
	VERDICT_NONE = 0,
	VERDICT_DENY_LISTED = 1,   /* exec of an inode on the container's deny list */
	VERDICT_RUNTIME_EXEC = 2,  /* exec entered through the runtime (runc exec) */
	VERDICT_DRIFT = 3,         /* exec of a file changed after the container started */
	VERDICT_CONNECT = 4,       /* connect to a denied port */
	VERDICT_REVERSE_SHELL = 5, /* a shell put a socket on its stdio */
	VERDICT_READONLY = 6,      /* a change to a read-only path (killed at the syscall's entry) */
};

/* containers map value flags: what the kernel enforces for the container. */
#define BLOCK_RUNTIME_EXEC (1u << 0)
#define BLOCK_DRIFT (1u << 1)
#define BLOCK_REVERSE_SHELL (1u << 2)
#define WATCH_FILES (1u << 3) /* report file changes (creates, writes, deletes, chmods) */
#define BLOCK_READONLY (1u << 4) /* kill changes under the container's read-only prefixes */
#define GATE_EXEC (1u << 5) /* user space answers fanotify exec permission events: keep exec_ctx */

/* Read-only paths the kernel enforces, per container: up to READONLY_PREFIXES absolute
 * prefixes of up to READONLY_PREFIX_LEN bytes; a prefix ending in '/' covers the directory's
 * tree, another one names a file exactly. */
#define READONLY_PREFIXES 8
#define READONLY_PREFIX_LEN 64

/* allow_exec map value bits: the controls an inode is exempt from. */
#define ALLOW_RUNTIME_EXEC (1u << 0)
#define ALLOW_DRIFT (1u << 1)

/* deny_connect map values. */
#define CONNECT_DETECT 1
#define CONNECT_BLOCK 2

struct container {
	__u32 flags;
	__u32 init_pid; /* host tgid of the container's first process (0: unknown) */
	__u64 start_ns; /* wall-clock start, ns since the epoch */
};

struct readonly_paths {
	char prefix[READONLY_PREFIXES * READONLY_PREFIX_LEN]; /* one after another, each zero-padded */
};

struct exec_key {
	__u64 cgroup_id;
	__u64 ino;
	__u32 dev; /* kernel dev_t: (major << 20) | minor */
	__u32 pad;
};

struct connect_key {
	__u64 cgroup_id;
	__u16 port; /* host byte order */
	__u16 pad;
	__u32 pad2;
};

/* exec_ctx map value: who is calling execve in a gated container, for user space to decide the
 * fanotify permission event of the exec without reading /proc. */
struct exec_ctx {
	__u32 pid;
	__u32 ppid;
	__u32 ns_pid;
	__u32 uid;
	__u64 cgroup_id;
	__u64 parent_cgroup_id;
	__u64 seq; /* bpf_ktime_get_ns() at the execve's entry: tells one exec from the next */
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN]; /* as passed to execve */
};

struct event {
	__u32 kind;
	__u32 pid;     /* tgid */
	__u32 ppid;    /* real parent's tgid (fork: the parent) */
	__u32 ns_pid;  /* pid in the innermost PID namespace */
	__u32 uid;
	__u32 verdict; /* enum verdict */
	__u64 cgroup_id;
	__u64 parent_cgroup_id;
	__u64 ino;
	__s64 ctime_ns; /* the executable's inode change time, ns since the epoch */
	__u32 dev;
	__u16 port;   /* connect / stdio socket peer, host byte order */
	__u16 family; /* AF_INET, AF_INET6 */
	__u8 addr[16];
	__s32 fd;     /* stdio socket: the stdio fd replaced */
	__u32 op;     /* file events: enum file_op */
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
};

#endif
