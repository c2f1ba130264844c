//! Recognising credentials by variable name and by value, shared by the Dockerfile ENV/ARG
//! check and the image config Env check.

/// Name parts that mark a variable as holding a credential.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
];

/// Two-part names that are credentials together (`API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("AUTH", "KEY"),
    ("CLIENT", "SECRET"),
];

/// Last name parts saying the variable holds a reference to a secret, not the secret
/// (`DB_PASSWORD_FILE=/run/secrets/db`, `TOKEN_URL`).
const REFERENCE_SUFFIXES: &[&str] = &[
    "FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "LENGTH", "TTL", "EXPIRY",
    "HEADER", "NAME", "TYPE", "ID",
];

/// Whether a variable name looks like it holds a credential: `DB_PASSWORD`, `githubToken`,
/// `AWS_SECRET_ACCESS_KEY`; not `PASSWORD_FILE`, `TOKEN_URL` or `PWD`.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let parts = name_parts(name);
    let Some(last) = parts.last() else {
        return false;
    };
    if REFERENCE_SUFFIXES.contains(&last.as_str()) && parts.len() > 1 {
        return false;
    }
    parts.iter().any(|p| SECRET_WORDS.contains(&p.as_str()))
        || parts
            .windows(2)
            .any(|w| SECRET_PAIRS.contains(&(w[0].as_str(), w[1].as_str())))
}

/// Splits `awsSecretAccessKey`, `AWS_SECRET-KEY`, `db.password` into uppercase words.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// What kind of credential a value is, when its shape gives it away whatever the name.
pub(crate) fn credential_value_kind(value: &str) -> Option<&'static str> {
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if has_token_with_prefix(value, &["AKIA", "ASIA"], 16, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit()
    }) {
        return Some("an AWS access key id");
    }
    if has_token_with_prefix(value, &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], 36, |c| {
        c.is_ascii_alphanumeric()
    }) || value.contains("github_pat_")
    {
        return Some("a GitHub token");
    }
    if has_token_with_prefix(value, &["glpat-"], 20, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '_'
    }) {
        return Some("a GitLab token");
    }
    if url_with_password(value) {
        return Some("a URL with a password");
    }
    None
}

/// Whether `value` holds one of `prefixes` followed by at least `min_len` characters of `class`.
fn has_token_with_prefix(
    value: &str,
    prefixes: &[&str],
    min_len: usize,
    class: impl Fn(char) -> bool,
) -> bool {
    prefixes.iter().any(|prefix| {
        value.match_indices(prefix).any(|(at, _)| {
            value[at + prefix.len()..]
                .chars()
                .take_while(|c| class(*c))
                .count()
                >= min_len
        })
    })
}

/// `scheme://user:password@host` with a literal (non-variable) password.
fn url_with_password(value: &str) -> bool {
    let Some(scheme_end) = value.find("://") else {
        return false;
    };
    let rest = &value[scheme_end + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    match userinfo.split_once(':') {
        Some((_, password)) => !password.is_empty() && !password.starts_with('$'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for name in [
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "githubToken",
            "NPM_TOKEN",
            "API_KEY",
            "apiKey",
            "MYSQL_ROOT_PASSWORD",
            "client-secret",
            "SECRET",
        ] {
            assert!(
                is_credential_name(name),
                "{name} should be a credential name"
            );
        }
        for name in [
            "PWD",
            "PATH",
            "DB_PASSWORD_FILE",
            "TOKEN_URL",
            "KEYCLOAK_HOST",
            "PUBLIC_KEY",
            "NODE_VERSION",
            "SECRETARY",
            "",
        ] {
            assert!(
                !is_credential_name(name),
                "{name} should not be a credential name"
            );
        }
    }

    #[test]
    fn credential_values() {
        assert_eq!(
            credential_value_kind("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert_eq!(
            credential_value_kind("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some("a GitHub token")
        );
        assert_eq!(
            credential_value_kind("postgres://app:hunter2@db:5432/app"),
            Some("a URL with a password")
        );
        assert_eq!(
            credential_value_kind("postgres://app:${DB_PASSWORD}@db/app"),
            None
        );
        assert_eq!(credential_value_kind("https://example.invalid/x"), None);
        assert_eq!(credential_value_kind("AKIA-not-a-key"), None);
        assert_eq!(credential_value_kind("1.2.3"), None);
    }
}
