//! Which repositories and tags of a registry to scan, with the meaning of Aqua's registry
//! integration fields: `pull_repo_patterns`, `pull_repo_patterns_excluded`,
//! `pull_image_tag_patterns` (Aqua writes them `:latest`, `:v1*`) and `pull_image_count`.
//!
//! Patterns are globs (`*`, `?`, `[abc]`, `{a,b}`), matched against the whole name and case
//! sensitively; in repository patterns `*` also crosses `/` (`team/*` takes
//! `team/a/b`), as Aqua's wildcards do.

use std::cmp::Ordering;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// The selection as stored and sent over an API: unchecked strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSelectionSpec {
    /// Repositories to take; empty takes all.
    #[serde(default)]
    pub repo_patterns: Vec<String>,
    /// Repositories to leave out, even when `repo_patterns` takes them.
    #[serde(default)]
    pub repo_patterns_excluded: Vec<String>,
    /// Tags to take (a leading `:` is ignored); empty takes all.
    #[serde(default)]
    pub tag_patterns: Vec<String>,
    /// Of the tags taken, only the newest this many by [`version_order`].
    #[serde(default)]
    pub max_tags: Option<usize>,
}

/// A pattern or count of a [`PullSelectionSpec`] that is not valid.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("{field}: pattern `{pattern}`: {source}")]
    Pattern {
        field: &'static str,
        pattern: String,
        #[source]
        source: globset::Error,
    },
    #[error("{field}: an empty pattern matches nothing; leave it out")]
    EmptyPattern { field: &'static str },
    #[error("max_tags: 0 takes no tag; leave it out to take all")]
    ZeroMaxTags,
}

/// A checked [`PullSelectionSpec`].
#[derive(Debug, Clone)]
pub struct PullSelection {
    spec: PullSelectionSpec,
    repos: Option<GlobSet>,
    repos_excluded: GlobSet,
    tags: Option<GlobSet>,
}

impl TryFrom<PullSelectionSpec> for PullSelection {
    type Error = SelectionError;

    fn try_from(spec: PullSelectionSpec) -> Result<Self, SelectionError> {
        if spec.max_tags == Some(0) {
            return Err(SelectionError::ZeroMaxTags);
        }
        let repos = glob_set("repo_patterns", &spec.repo_patterns, |p| p)?;
        let repos_excluded = glob_set(
            "repo_patterns_excluded",
            &spec.repo_patterns_excluded,
            |p| p,
        )?;
        let tags = glob_set("tag_patterns", &spec.tag_patterns, |p| {
            p.strip_prefix(':').unwrap_or(p)
        })?;
        Ok(Self {
            repos_excluded: repos_excluded.unwrap_or_else(GlobSet::empty),
            repos,
            tags,
            spec,
        })
    }
}

/// The set of `patterns` (each after `pattern_of`), or `None` when there are none.
fn glob_set(
    field: &'static str,
    patterns: &[String],
    pattern_of: impl Fn(&str) -> &str,
) -> Result<Option<GlobSet>, SelectionError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob_text = pattern_of(pattern);
        if glob_text.is_empty() {
            return Err(SelectionError::EmptyPattern { field });
        }
        let error = |source| SelectionError::Pattern {
            field,
            pattern: pattern.clone(),
            source,
        };
        builder.add(Glob::new(glob_text).map_err(error)?);
    }
    let set = builder.build().map_err(|source| SelectionError::Pattern {
        field,
        pattern: patterns.join(" "),
        source,
    })?;
    Ok(Some(set))
}

impl PullSelection {
    /// What the selection was made from, e.g. to show it back.
    pub fn spec(&self) -> &PullSelectionSpec {
        &self.spec
    }

    /// The repositories of `all` to scan, in `all`'s order.
    pub fn repositories<'a>(&self, all: &'a [String]) -> Vec<&'a str> {
        all.iter()
            .map(String::as_str)
            .filter(|repo| self.repos.as_ref().is_none_or(|set| set.is_match(repo)))
            .filter(|repo| !self.repos_excluded.is_match(repo))
            .collect()
    }

    /// The tags of `all` to scan: those the tag patterns take; with `max_tags`, only the
    /// newest that many, newest first. Newest is by [`version_order`] of the names: the tag
    /// list has no dates, and ordering by the config's `created` time (Aqua's "image
    /// creation date") needs a config fetch per tag, which is left to the caller.
    pub fn tags<'a>(&self, all: &'a [String]) -> Vec<&'a str> {
        let mut taken: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|tag| self.tags.as_ref().is_none_or(|set| set.is_match(tag)))
            .collect();
        if let Some(max) = self.spec.max_tags {
            taken.sort_by(|a, b| version_order(b, a));
            taken.truncate(max);
        }
        taken
    }
}

/// Orders tags as versions, oldest first: runs of digits compare as numbers (`1.10` after
/// `1.9`), other runs as text, a number before text (so `latest` comes after every version),
/// and a version before its `-suffix` form (`1.0-rc1` before `1.0`, as in semver; this
/// also puts `1.2-alpine` before `1.2`).
pub fn version_order(a: &str, b: &str) -> Ordering {
    let (mut left, mut right) = (runs(a), runs(b));
    loop {
        let ordering = match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(rest)) => pre_release_last(rest).reverse(),
            (Some(rest), None) => pre_release_last(rest),
            (Some(x), Some(y)) => compare_runs(x, y),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
}

/// How a version with more after it (`rest`) compares with the version alone.
fn pre_release_last(rest: &str) -> Ordering {
    if rest.starts_with('-') {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

fn compare_runs(x: &str, y: &str) -> Ordering {
    let digits = |run: &str| run.bytes().all(|b| b.is_ascii_digit());
    match (digits(x), digits(y)) {
        (true, true) => {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.cmp(y),
    }
}

/// `text` cut into maximal runs of ASCII digits and of other characters.
fn runs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let digit = rest.chars().next()?.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digit)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        rest = tail;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn selection(spec: PullSelectionSpec) -> PullSelection {
        PullSelection::try_from(spec).unwrap()
    }

    #[test]
    fn repositories_by_include_and_exclude_patterns() {
        let all = strings(&["team/app", "team/sub/db", "other/app", "team/app-test"]);
        let everything = selection(PullSelectionSpec::default());
        assert_eq!(everything.repositories(&all), all);
        let team = selection(PullSelectionSpec {
            repo_patterns: strings(&["team/*"]),
            repo_patterns_excluded: strings(&["*-test"]),
            ..PullSelectionSpec::default()
        });
        assert_eq!(team.repositories(&all), ["team/app", "team/sub/db"]);
        let only_excluded = selection(PullSelectionSpec {
            repo_patterns_excluded: strings(&["other/*", "team/{app,sub/db}"]),
            ..PullSelectionSpec::default()
        });
        assert_eq!(only_excluded.repositories(&all), ["team/app-test"]);
    }

    #[test]
    fn tags_by_pattern_then_newest_first() {
        let all = strings(&["1.9", "1.10", "latest", "1.10-rc1", "v2", "Latest", "1.2"]);
        let aqua_style = selection(PullSelectionSpec {
            tag_patterns: strings(&[":latest", "1.1*"]),
            ..PullSelectionSpec::default()
        });
        assert_eq!(aqua_style.tags(&all), ["1.10", "latest", "1.10-rc1"]);
        let newest = selection(PullSelectionSpec {
            tag_patterns: strings(&["1.*"]),
            max_tags: Some(3),
            ..PullSelectionSpec::default()
        });
        assert_eq!(newest.tags(&all), ["1.10", "1.10-rc1", "1.9"]);
    }

    #[test]
    fn version_order_is_numeric_and_semver_ish() {
        let mut tags = vec![
            "latest",
            "1.10.0",
            "1.9.3",
            "1.10.0-rc.2",
            "1.10.0-rc.10",
            "v1",
            "01.2",
            "1.2",
        ];
        tags.sort_by(|a, b| version_order(a, b));
        assert_eq!(
            tags,
            [
                "01.2",
                "1.2",
                "1.9.3",
                "1.10.0-rc.2",
                "1.10.0-rc.10",
                "1.10.0",
                "latest",
                "v1"
            ]
        );
    }

    #[test]
    fn bad_specs_name_field_and_pattern() {
        let err = |spec: PullSelectionSpec| PullSelection::try_from(spec).unwrap_err().to_string();
        let message = err(PullSelectionSpec {
            repo_patterns_excluded: strings(&["ok/*", "bad[z-a]"]),
            ..PullSelectionSpec::default()
        });
        assert!(
            message.starts_with("repo_patterns_excluded: pattern `bad[z-a]`"),
            "{message}"
        );
        let message = err(PullSelectionSpec {
            tag_patterns: strings(&[":"]),
            ..PullSelectionSpec::default()
        });
        assert!(
            message.contains("tag_patterns: an empty pattern"),
            "{message}"
        );
        let message = err(PullSelectionSpec {
            max_tags: Some(0),
            ..PullSelectionSpec::default()
        });
        assert!(message.contains("max_tags"), "{message}");
    }
}
