use crate::role::Role;

/// Everything that can go wrong when building or checking an authentication value.
///
/// Messages name the rule that was broken but never echo a secret (password or token).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown role `{value}`; the valid roles are {}", Role::names().join(", "))]
    UnknownRole { value: String },

    #[error("user id is empty; it needs 1 to {max} characters", max = crate::user_id::MAX_CHARS)]
    UserIdEmpty,
    #[error("user id has {chars} characters; at most {max} are allowed", max = crate::user_id::MAX_CHARS)]
    UserIdTooLong { chars: usize },
    #[error(
        "user id has {found:?} at character {position}; only letters A-Z a-z, digits and `.` `_` `@` `-` are allowed"
    )]
    UserIdBadCharacter { found: char, position: usize },
    #[error("user id starts with {found:?}; it must not start with `-` or `.`")]
    UserIdBadStart { found: char },

    #[error("password is too short; it needs at least {min} characters", min = crate::password::MIN_CHARS)]
    PasswordTooShort,
    #[error("password is too long; at most {max} bytes are allowed", max = crate::password::MAX_BYTES)]
    PasswordTooLong,
    #[error("password is only whitespace")]
    PasswordBlank,
    #[error("hashing the password failed")]
    PasswordHashing(#[source] argon2::password_hash::Error),
    #[error("stored password hash is not a valid PHC string")]
    MalformedPasswordHash(#[source] argon2::password_hash::Error),
    #[error("stored password hash uses `{algorithm}`; only argon2id is accepted")]
    NotArgon2id { algorithm: String },
    #[error(
        "stored password hash asks for m={memory_kib} KiB, t={iterations}; at most m={max_memory_kib} KiB, t={max_iterations} are accepted",
        max_memory_kib = crate::password::MAX_MEMORY_KIB,
        max_iterations = crate::password::MAX_ITERATIONS
    )]
    PasswordHashTooCostly { memory_kib: u32, iterations: u32 },

    #[error("{kind} does not start with `{prefix}`")]
    TokenPrefix {
        kind: &'static str,
        prefix: &'static str,
    },
    #[error("{kind} has {found} characters after its prefix; expected {expected}")]
    TokenLength {
        kind: &'static str,
        found: usize,
        expected: usize,
    },
    #[error("{kind} has a character outside the url-safe base64 alphabet at position {position}")]
    TokenAlphabet { kind: &'static str, position: usize },
    #[error("stored token hash is not 64 lowercase hex characters")]
    MalformedTokenHash,

    #[error(
        "the secret key is not 64 hex characters (32 bytes); make one with `openssl rand -hex 32`"
    )]
    MalformedSealingKey,
    #[error("sealed value is not `v1:` followed by base64")]
    MalformedSealed,
    #[error(
        "sealed value for {context} does not open with this key: the server's secret key changed, or the value was altered"
    )]
    Unseal { context: String },
    #[error("sealing a value failed")]
    Seal,

    #[error("the operating system's random number generator failed")]
    Randomness(#[source] getrandom::Error),
}
