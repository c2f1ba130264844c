//! Authentication building blocks for the Kabuto server.
//!
//! Plain, synchronous types that the HTTP layer composes: who a caller is ([`UserId`]), what
//! they may do ([`Role`], [`Permission`]), how their secrets are checked ([`Password`] against a
//! stored [`PasswordHash`]; [`ApiToken`] and [`SessionToken`] by their [`TokenHash`]), CSRF
//! protection for the console ([`CsrfToken`]) and brute-force protection ([`LoginLimiter`]).
//!
//! Every type validates at construction ("parse, don't validate"), secrets are redacted from
//! `Debug` and wiped from memory on drop, and nothing here does I/O or needs an async runtime.

mod error;
mod limiter;
mod password;
mod random;
mod role;
mod sealed;
mod token;
mod user_id;

pub use error::AuthError;
pub use limiter::{LoginLimiter, RetryAfter};
pub use password::{Password, PasswordHash};
pub use role::{Permission, Role};
pub use sealed::SealingKey;
pub use token::{
    ApiToken, CsrfToken, SessionToken, Token, TokenHash, TokenKind, kind, random_secret,
};
pub use user_id::UserId;
