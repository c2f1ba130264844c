//! Kabuto's runtime enforcer agent (`kabuto enforcer`): kernel events from the eBPF sensor
//! ([`kabuto_runtime_bpf`]) are attributed to containers ([`identity`]), judged against
//! runtime policies ([`kabuto_runtime_policy`]) by the [`agent`], which also tells the kernel
//! what to enforce per container; violations become audit events in the [`spool`], delivered
//! to the event file, syslog and the server ([`sinks`]). The policies come from files and from
//! the server ([`policies`]), which the enforcer also reports to ([`run`]). Where the kernel
//! refuses BPF-LSM, the [`gate`] denies execs with fanotify permission events.

pub mod agent;
pub mod gate;
pub mod identity;
pub mod policies;
pub mod run;
pub mod sinks;
pub mod spool;
