//! A pull: walk the integration's catalog and tags, learn each selected tag's platform
//! manifest digests, and queue a scan job per new or moved image. A digest scanned before is
//! not pulled again (unless `auto_pull_rescan`): the tag is pointed at the stored scan.

use std::sync::Arc;

use kabuto_api::server::{PullResult, PullStatus};
use kabuto_scan::RegistryAccess;
use kabuto_source::SourceError;
use kabuto_source::registry::{
    DEFAULT_PAGE_SIZE, list_repositories, list_tags, platform_manifests,
};
use kabuto_store::{Enqueued, ImageKey, JobReason, NewJob, RegistryRow};
use kabuto_types::{Digest, ImageReference};
use rayon::prelude::*;
use time::OffsetDateTime;

use super::{Integration, access, from_row, platform_tag};
use crate::error::{ApiError, ApiResult, chain};
use crate::state::AppState;

/// Repositories read from a catalog, and tags from one repository: bounds on what a
/// hostile or huge registry makes the server hold.
const MAX_REPOSITORIES: usize = 100_000;
const MAX_TAGS: usize = 10_000;
/// Attempts a scan job gets before it is failed for good.
pub const MAX_ATTEMPTS: u32 = 3;

/// One image to scan: a tag's platform, and the manifest digest a scan of it records.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: ImageKey,
    pub digest: Digest,
}

/// What listing found, and the first error that left something out.
#[derive(Debug, Default)]
struct Listing {
    candidates: Vec<Candidate>,
    error: Option<String>,
}

/// Pulls the integration now (schedule, API or webhook), records how it went, and wakes the
/// workers. `only` limits the pull to the given repository and tag (a push event).
pub async fn pull(
    state: &Arc<AppState>,
    row: &RegistryRow,
    reason: JobReason,
    only: Option<(String, String)>,
) -> ApiResult<PullResult> {
    let integration = from_row(row)?;
    let access = access(&state.sealing, row, &integration)?;
    let walked = integration.clone();
    let listing = tokio::task::spawn_blocking(move || match only {
        Some((repository, tag)) => list_one(&walked, &access, &repository, &tag),
        None => list_all(&walked, &access),
    })
    .await
    .map_err(|e| ApiError::internal("the registry listing task", &e))?;
    let reason = if integration.wire.auto_pull_rescan && reason == JobReason::Poll {
        JobReason::Rescan
    } else {
        reason
    };
    let mut result = PullResult {
        registry: integration.name.clone(),
        status: PullStatus {
            at: crate::routes::rfc3339(OffsetDateTime::now_utc()),
            queued: 0,
            known: 0,
            error: listing.error,
        },
        jobs: Vec::new(),
    };
    for candidate in listing.candidates {
        if result.status.queued >= integration.pull_max {
            break;
        }
        queue(state, &candidate, reason, &mut result).await?;
    }
    let status = serde_json::to_string(&result.status)
        .map_err(|e| ApiError::internal("encoding a pull status", &e))?;
    state
        .store
        .set_registry_pull(&integration.name, &status)
        .await?;
    if result.status.queued > 0 {
        state.jobs_ready.notify_waiters();
    }
    Ok(result)
}

async fn queue(
    state: &Arc<AppState>,
    candidate: &Candidate,
    reason: JobReason,
    result: &mut PullResult,
) -> ApiResult<()> {
    let job = NewJob {
        image: candidate.key.clone(),
        digest: Some(candidate.digest.clone()),
        reason,
        max_attempts: MAX_ATTEMPTS,
    };
    match state
        .store
        .enqueue_job(&job, OffsetDateTime::now_utc())
        .await?
    {
        Enqueued::Queued(id) => {
            result.status.queued += 1;
            result.jobs.push(id.0);
        }
        Enqueued::AlreadyQueued(id) => result.jobs.push(id.0),
        Enqueued::Skipped(_) => {
            result.status.known += 1;
            super::worker::point_at_stored_scan(state, &candidate.key, &candidate.digest).await?;
        }
    }
    Ok(())
}

/// Requests a walk keeps in flight: a registry answers a manifest in milliseconds on
/// loopback but tens of milliseconds across a network, and a walk makes one per tag.
const WALK_THREADS: usize = 8;

/// Every selected repository's selected tags, [`WALK_THREADS`] requests at a time, in the
/// catalog's and the tag list's order.
fn list_all(integration: &Integration, access: &RegistryAccess) -> Listing {
    let repositories = match repositories(integration, access) {
        Ok(repositories) => repositories,
        Err(e) => {
            return Listing {
                candidates: Vec::new(),
                error: Some(e),
            };
        }
    };
    let walk = || -> Vec<Listing> {
        repositories
            .par_iter()
            .map(|repository| list_repository(integration, access, repository))
            .collect()
    };
    let listings = match rayon::ThreadPoolBuilder::new()
        .num_threads(WALK_THREADS)
        .build()
    {
        Ok(pool) => pool.install(walk),
        Err(_) => walk(),
    };
    let mut all = Listing::default();
    for listing in listings {
        all.candidates.extend(listing.candidates);
        if let Some(error) = listing.error {
            all.error.get_or_insert(error);
        }
    }
    all
}

/// One repository's selected tags.
fn list_repository(
    integration: &Integration,
    access: &RegistryAccess,
    repository: &str,
) -> Listing {
    let mut listing = Listing::default();
    let reference = match reference(integration, repository, None) {
        Ok(reference) => reference,
        Err(e) => {
            listing.error = Some(e);
            return listing;
        }
    };
    let all = match list_tags(&reference, &access.options, DEFAULT_PAGE_SIZE, MAX_TAGS) {
        Ok(all) => all,
        Err(e) => {
            listing.error = Some(format!("{repository}: {}", chain(&e)));
            return listing;
        }
    };
    let tags: Vec<Listing> = integration
        .selection
        .tags(&all)
        .par_iter()
        .map(|tag| {
            let mut one = Listing::default();
            add_tag(integration, access, repository, tag, &mut one);
            one
        })
        .collect();
    for one in tags {
        listing.candidates.extend(one.candidates);
        if let Some(error) = one.error {
            listing.error.get_or_insert(error);
        }
    }
    listing
}

/// One pushed tag, when the integration selects it.
fn list_one(
    integration: &Integration,
    access: &RegistryAccess,
    repository: &str,
    tag: &str,
) -> Listing {
    let mut listing = Listing::default();
    let repository_owned = [repository.to_owned()];
    let tags = [tag.to_owned()];
    let selected = !integration
        .selection
        .repositories(&repository_owned)
        .is_empty()
        && !integration.selection.tags(&tags).is_empty();
    if selected {
        add_tag(integration, access, repository, tag, &mut listing);
    }
    listing
}

fn add_tag(
    integration: &Integration,
    access: &RegistryAccess,
    repository: &str,
    tag: &str,
    listing: &mut Listing,
) {
    let found = reference(integration, repository, Some(tag)).and_then(|reference| {
        platform_manifests(&reference, &access.options, &integration.platforms)
            .map_err(|e| chain(&e))
    });
    match found {
        Ok(platforms) => {
            for (platform, digest) in platforms {
                listing.candidates.push(Candidate {
                    key: ImageKey {
                        registry: integration.host.clone(),
                        repository: repository.to_owned(),
                        tag: platform_tag(integration, tag, &platform),
                    },
                    digest,
                });
            }
        }
        Err(e) => {
            listing
                .error
                .get_or_insert(format!("{repository}:{tag}: {e}"));
        }
    }
}

/// The selected repositories: from the catalog, or, where the registry has none (Docker Hub,
/// or a catalog the credentials may not read), the repository patterns that name one
/// repository each.
fn repositories(integration: &Integration, access: &RegistryAccess) -> Result<Vec<String>, String> {
    let literal: Vec<String> = integration
        .wire
        .pull_repo_patterns
        .iter()
        .filter(|p| !p.contains(['*', '?', '[', '{']))
        .cloned()
        .collect();
    if integration.wire.registry_type == "HUB" {
        return if literal.is_empty() {
            Err("Docker Hub has no catalog: name the repositories in pull_repo_patterns".into())
        } else {
            Ok(literal)
        };
    }
    match list_repositories(
        &integration.host,
        &access.options,
        DEFAULT_PAGE_SIZE,
        MAX_REPOSITORIES,
    ) {
        Ok(all) => Ok(integration
            .selection
            .repositories(&all)
            .into_iter()
            .map(str::to_owned)
            .collect()),
        Err(SourceError::RegistryStatus {
            status: 401 | 403 | 404,
            ..
        }) if !literal.is_empty() => Ok(literal),
        Err(e) => Err(format!("catalog: {}", chain(&e))),
    }
}

fn reference(
    integration: &Integration,
    repository: &str,
    tag: Option<&str>,
) -> Result<ImageReference, String> {
    let text = match tag {
        Some(tag) => format!("{}/{repository}:{tag}", integration.host),
        None => format!("{}/{repository}", integration.host),
    };
    ImageReference::parse(&text).map_err(|e| format!("{text}: {e}"))
}
