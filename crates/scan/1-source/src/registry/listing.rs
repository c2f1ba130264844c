//! Listing a registry's repositories (`GET /v2/_catalog?n=N`) and a repository's tags
//! (`GET /v2/<name>/tags/list?n=N`), page by page along `Link: <..>; rel="next"` headers
//! (RFC 8288, as the distribution spec pages), with the client's auth, TLS and errors.

use std::collections::HashSet;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::RegistryClient;
use super::{RegistryOptions, api_host, client_for};
use crate::SourceError;
use kabuto_types::ImageReference;

/// A page size registries accept (distribution's own limit is 1000 per page).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page body read: a registry that ignores `n` and sends everything at once is
/// refused past this (about 50 000 names) rather than read without end.
pub const MAX_PAGE_BYTES: u64 = 4 << 20;

/// The repositories of `registry` (`host[:port]` as in an image reference), at most `max`,
/// in the registry's order (lexical for distribution), `page_size` per request. Ask for
/// one more than you want to learn whether there are more. Token servers are asked for
/// `registry:catalog:*`; a registry without a catalog answers 404 (or 401/403 when the
/// credentials lack the scope), a [`SourceError::RegistryStatus`].
pub fn list_repositories(
    registry: &str,
    options: &RegistryOptions,
    page_size: u32,
    max: usize,
) -> Result<Vec<String>, SourceError> {
    let host = registry_host(registry)?;
    let client = RegistryClient::new(
        registry.to_owned(),
        api_host(&host),
        "",
        options.insecure,
        options.ca_file.as_deref(),
        options.resolve_auth(registry, &host)?,
        options.timeout,
    )?
    .for_catalog();
    let first = format!("{}/v2/_catalog?n={}", client.origin(), page_size.max(1));
    walk(&client, &first, max, |page: CatalogPage| page.repositories)
}

/// The tags of `repository`'s repository (its tag or digest is ignored), at most `max`, in
/// the registry's order, `page_size` per request. Token servers are asked for
/// `repository:<name>:pull`.
pub fn list_tags(
    repository: &ImageReference,
    options: &RegistryOptions,
    page_size: u32,
    max: usize,
) -> Result<Vec<String>, SourceError> {
    let name = format!("{}/{}", repository.registry(), repository.repository());
    let client = client_for(&name, repository, options)?;
    let first = format!(
        "{}/tags/list?n={}",
        client.repository_url(),
        page_size.max(1)
    );
    walk(&client, &first, max, |page: TagsPage| page.tags)
}

/// `registry` (`host[:port]`) as the registry part of an image reference names it, or an
/// error saying it is not one.
pub fn registry_host(registry: &str) -> Result<String, SourceError> {
    let probe = ImageReference::parse(&format!("{registry}/probe"))?;
    // All of `registry` went into the registry part, none into the repository path.
    if matches!(probe.repository(), "probe" | "library/probe") {
        Ok(probe.registry().to_owned())
    } else {
        Err(SourceError::Registry {
            image: registry.to_owned(),
            message: "not a registry: give `host[:port]` (a name with a dot or port, or \
                      localhost)"
                .into(),
        })
    }
}

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(deserialize_with = "null_as_empty")]
    repositories: Vec<String>,
}

#[derive(Deserialize)]
struct TagsPage {
    /// distribution sends `null` for a repository whose tags were all deleted.
    #[serde(deserialize_with = "null_as_empty")]
    tags: Vec<String>,
}

/// A required list that may be `null`: missing is an error, `null` is empty.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Requests pages from `first` on, following `rel="next"` links, until there is none or
/// `max` names are collected. Every page but the last adds a name and no page is read twice, so at most `max`
/// requests are made.
fn walk<P: DeserializeOwned>(
    client: &RegistryClient,
    first: &str,
    max: usize,
    names_of: impl Fn(P) -> Vec<String>,
) -> Result<Vec<String>, SourceError> {
    let mut names = Vec::new();
    if max == 0 {
        return Ok(names);
    }
    let page_error = |url: &Url, message: String| SourceError::ListPage {
        registry: client.name().to_owned(),
        url: url.to_string(),
        message,
    };
    let mut url = Url::parse(first).map_err(|e| SourceError::Registry {
        image: client.name().to_owned(),
        message: format!("listing URL {first}: {e}"),
    })?;
    let mut visited = HashSet::from([url.clone()]);
    loop {
        let step = format!("listing {}", url.path());
        let (body, links) = client.list_page(&step, url.as_str(), MAX_PAGE_BYTES)?;
        let page = parse_page(&body).map_err(|message| page_error(&url, message))?;
        let page_names = names_of(page);
        let added = page_names.len();
        names.extend(page_names.into_iter().take(max - names.len()));
        if names.len() >= max {
            return Ok(names);
        }
        let Some(next) = next_link(&links, &url).map_err(|message| page_error(&url, message))?
        else {
            return Ok(names);
        };
        if added == 0 {
            return Err(page_error(
                &url,
                format!("links to a next page ({next}) without giving a name"),
            ));
        }
        if !visited.insert(next.clone()) {
            return Err(page_error(
                &url,
                format!("links back to a page already read ({next})"),
            ));
        }
        url = next;
    }
}

/// A page's JSON; an error names the field that is wrong (`repositories[3]: invalid type..`).
fn parse_page<P: DeserializeOwned>(body: &[u8]) -> Result<P, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let page = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("not the documented JSON: {}", e.inner())
        } else {
            format!("field `{path}`: {}", e.inner())
        }
    })?;
    deserializer
        .end()
        .map_err(|e| format!("not the documented JSON: {e}"))?;
    Ok(page)
}

/// The target of the `rel="next"` link among `Link` header values, resolved against the
/// page's `base` URL. A next page on another origin (scheme, host, port) is refused: the
/// client would send it the registry's credentials.
fn next_link(headers: &[String], base: &Url) -> Result<Option<Url>, String> {
    let mut targets = Vec::new();
    for header in headers {
        let links =
            parse_link_header(header).map_err(|why| format!("Link header `{header}`: {why}"))?;
        targets.extend(
            links
                .into_iter()
                .filter(|link| link.rels.iter().any(|rel| rel == "next"))
                .map(|link| link.target),
        );
    }
    let Some(target) = targets.first() else {
        return Ok(None);
    };
    let next = base
        .join(target)
        .map_err(|e| format!("next link `{target}`: {e}"))?;
    if next.origin() != base.origin() {
        return Err(format!("next link `{next}` leaves the registry's host"));
    }
    Ok(Some(next))
}

/// One link of a `Link` header: its target URI reference and relation types (lowercase).
#[derive(Debug, PartialEq, Eq)]
struct Link {
    target: String,
    rels: Vec<String>,
}

/// Parses a `Link` header value (RFC 8288): comma-separated `<uri>` each followed by
/// `; name=value` or `; name="quoted \" value"` parameters.
fn parse_link_header(header: &str) -> Result<Vec<Link>, &'static str> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return Ok(links);
        }
        let inner = rest
            .strip_prefix('<')
            .ok_or("a link does not start with `<`")?;
        let (target, after) = inner.split_once('>').ok_or("a `<` is not closed")?;
        rest = after;
        let mut rels = Vec::new();
        while let Some(param) = rest.trim_start().strip_prefix(';') {
            let (name, value, after) = parse_param(param)?;
            if name.eq_ignore_ascii_case("rel") {
                rels.extend(value.split_ascii_whitespace().map(str::to_ascii_lowercase));
            }
            rest = after;
        }
        rest = rest.trim_start();
        if !(rest.is_empty() || rest.starts_with(',')) {
            return Err("text after a link's parameters");
        }
        links.push(Link {
            target: target.trim().to_owned(),
            rels,
        });
    }
}

/// `name[=value]` at the start of `text` (after a `;`): the name, the unquoted value and
/// what follows.
fn parse_param(text: &str) -> Result<(&str, String, &str), &'static str> {
    let text = text.trim_start();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)))
        .unwrap_or(text.len());
    if name_end == 0 {
        return Err("a parameter has no name");
    }
    let (name, rest) = text.split_at(name_end);
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return Ok((name, String::new(), rest));
    };
    let rest = rest.trim_start();
    let Some(quoted) = rest.strip_prefix('"') else {
        let end = rest
            .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        return Ok((name, rest[..end].to_owned(), &rest[end..]));
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((name, value, &quoted[i + 1..])),
            '\\' => value.push(chars.next().ok_or("a quoted string is not closed")?.1),
            c => value.push(c),
        }
    }
    Err("a quoted string is not closed")
}

#[cfg(test)]
mod tests;
