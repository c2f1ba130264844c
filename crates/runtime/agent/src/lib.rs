//! Kabuto's runtime enforcer agent (`kabuto enforcer`).

pub mod spool;
