/* The ABI between the enforcer's eBPF programs and user space (src/event.rs mirrors it;
 * a test checks the sizes). Native byte order. */
#ifndef KABUTO_H
#define KABUTO_H

#define TASK_COMM_LEN 16
#define FILENAME_LEN 256
#define ARGS_LEN 256 /* exec events: the first bytes of argv, NUL-separated */
#define CWD_LEN 256 /* exec events: the working directory */
#define CWD_DEPTH 32 /* the most path components (and mount crossings) walked for it */

enum event_kind {
	EVENT_EXEC = 1,
	EVENT_FORK = 2,
	EVENT_EXIT = 3,
	EVENT_CONNECT = 4,
	EVENT_STDIO_SOCKET = 5,
	EVENT_FILE = 6,
	EVENT_SYSCALL = 7, /* a privilege change or an escape primitive (event.op: enum call) */
	EVENT_NETWORK = 8, /* bind, listen or accept (event.op: enum net_op) */
};

/* What an EVENT_SYSCALL asked for (event.op); args[] as noted. */
enum call {
	CALL_SETUID = 1,  /* args[0]: 0 when any uid asked is 0, else the first one */
	CALL_SETGID = 2,  /* args[0]: likewise for gids */
	CALL_CAPSET = 3,  /* args[0]: the effective set asked for, as a 64-bit mask */
	CALL_PTRACE = 4,  /* args[0]: request, args[1]: target pid */
	CALL_MOUNT = 5,   /* filename: the mount point */
	CALL_MODULE = 6,  /* init_module, finit_module */
	CALL_SETNS = 7,   /* args[0]: nstype */
	CALL_UNSHARE = 8, /* args[0]: flags */
};

/* What an EVENT_NETWORK did (event.op); the address in family, port and addr. */
enum net_op {
	NET_BIND = 1,   /* the local address asked for */
	NET_LISTEN = 2, /* the socket's local address */
	NET_ACCEPT = 3, /* the accepted connection's peer */
};

/* What a file event did (event.op). */
enum file_op {
	FILE_CREATE = 1,
	FILE_MODIFY = 2,
	FILE_DELETE = 3,
	FILE_ATTRIBUTES = 4,
	FILE_READ = 5, /* an open for reading (WATCH_READS) */
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
	VERDICT_SYSCALL = 7,       /* a privilege gain or escape primitive (killed at its entry) */
};

/* containers map value flags: what the kernel enforces for the container. */
#define BLOCK_RUNTIME_EXEC (1u << 0)
#define BLOCK_DRIFT (1u << 1)
#define BLOCK_REVERSE_SHELL (1u << 2)
#define WATCH_FILES (1u << 3) /* report file changes (creates, writes, deletes, chmods) */
#define BLOCK_READONLY (1u << 4) /* kill changes under the container's read-only prefixes */
#define GATE_EXEC (1u << 5) /* user space answers fanotify exec permission events: keep exec_ctx */
#define WATCH_SYSCALLS (1u << 6) /* report privilege changes and escape primitives */
#define BLOCK_PRIVILEGE_GAIN (1u << 7) /* kill a non-root setuid/setgid to 0 or capset */
#define BLOCK_ESCAPE (1u << 8) /* kill ptrace attach/poke, mount, module load, setns, unshare */
#define WATCH_NETWORK (1u << 9) /* report every bind, listen, accept and connect */
#define WATCH_READS (1u << 10) /* report every open for reading (of a file's contents) */
#define PROMPT_EXEC (1u << 11) /* user space decides some execs: wake it at each exec */

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
	__u32 op;     /* file events: enum file_op; syscall: enum call; network: enum net_op */
	char comm[TASK_COMM_LEN];
	char filename[FILENAME_LEN];
	__u64 args[2]; /* syscall events: see enum call */
	char argv[ARGS_LEN]; /* exec events: the new program's arguments, NUL-separated, cut short */
	char cwd[CWD_LEN]; /* exec events: the working directory as the process sees it; empty
			    * when deeper than CWD_DEPTH or longer than CWD_LEN - 1 */
};

/* Where a working directory's path is put together, from its last component back: twice
 * CWD_LEN, so the verifier sees every write of up to CWD_LEN bytes at an offset below
 * CWD_LEN inside it. */
struct path_buf {
	char b[2 * CWD_LEN];
};

#endif
