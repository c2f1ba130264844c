//! What every store test file needs: a fresh store on each backend.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use kabuto_store::{Store, StoreUrl};
use sqlx::Executor;

/// A fresh store per backend; the temp dir keeps the SQLite file alive.
pub async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&StoreUrl::in_data_dir(dir.path()))
        .await
        .unwrap();
    let mut stores = vec![(sqlite, Some(dir))];
    match std::env::var("KABUTO_TEST_POSTGRES_URL") {
        Ok(admin) => stores.push((
            Store::open(&fresh_postgres(&admin).await).await.unwrap(),
            None,
        )),
        Err(_) => eprintln!(
            "note: PostgreSQL half skipped: KABUTO_TEST_POSTGRES_URL is not set \
             (scripts/test.sh starts a server with scripts/test-postgres.sh)"
        ),
    }
    stores
}

/// A new empty database on the test server.
async fn fresh_postgres(admin: &str) -> StoreUrl {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    sqlx::any::install_default_drivers();
    let name = format!(
        "kabuto_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let pool = sqlx::AnyPool::connect(admin).await.unwrap();
    pool.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap();
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    pool.close().await;
    let base = admin.rsplit_once('/').unwrap().0;
    format!("{base}/{name}").parse().unwrap()
}
