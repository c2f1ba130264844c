//! Header blobs from rpm's SQLite database (`rpmdb.sqlite`, rpm 4.16 and later): one row per
//! package in `Packages(hnum, blob)`.

use std::ptr::NonNull;

use rusqlite::serialize::OwnedData;
use rusqlite::{Connection, DatabaseName, OpenFlags};

use super::RpmError;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `content` starts like an SQLite database.
pub fn is_sqlite(content: &[u8]) -> bool {
    content.starts_with(SQLITE_MAGIC)
}

/// Every header blob of the `Packages` table, in `hnum` order.
pub fn header_blobs(content: &[u8]) -> Result<Vec<Result<Vec<u8>, RpmError>>, RpmError> {
    let db = open_from_bytes(content)?;
    let sql_error = |e: rusqlite::Error| RpmError::Sqlite(e.to_string());
    check_packages_is_plain_table(&db)?;
    // A corrupt database can claim rows far larger than itself; their length is read from
    // the record header, so such rows are refused before anything is copied, and the rows
    // together may not add up to more than the file either.
    let limit = i64::try_from(content.len()).unwrap_or(i64::MAX);
    let mut statement = db
        .prepare(
            "SELECT CASE WHEN length(blob) <= ?1 THEN blob END, length(blob) \
             FROM Packages ORDER BY hnum",
        )
        .map_err(sql_error)?;
    let rows = statement
        .query_map([limit], |row| {
            Ok((row.get::<_, Option<Vec<u8>>>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(sql_error)?;
    let mut total = 0usize;
    let mut blobs = Vec::new();
    for row in rows {
        let blob = match row.map_err(sql_error)? {
            (Some(bytes), _) => bytes,
            (None, len) => {
                blobs.push(Err(RpmError::Sqlite(format!(
                    "a {len}-byte package blob in a {}-byte file",
                    content.len()
                ))));
                continue;
            }
        };
        total = total.saturating_add(blob.len());
        if total > content.len() {
            return Err(RpmError::Sqlite(format!(
                "package blobs add up to more than the {}-byte file",
                content.len()
            )));
        }
        blobs.push(Ok(blob));
    }
    Ok(blobs)
}

/// The database comes from the image, so its schema is untrusted: a `Packages` view,
/// virtual table or generated column could make one `SELECT` run or allocate without bound.
/// rpm creates a plain table; accept nothing else.
fn check_packages_is_plain_table(db: &Connection) -> Result<(), RpmError> {
    let sql_error = |e: rusqlite::Error| RpmError::Sqlite(e.to_string());
    let schema: Option<String> = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'Packages'",
            [],
            |row| row.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => RpmError::Sqlite("no `Packages` table".into()),
            other => sql_error(other),
        })?;
    let plain = schema.is_some_and(|sql| {
        sql.trim_start()
            .get(..12)
            .is_some_and(|head| head.eq_ignore_ascii_case("CREATE TABLE"))
    });
    let generated: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden != 0",
            [],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    if !plain || generated != 0 {
        return Err(RpmError::Sqlite(
            "`Packages` is not a plain table as rpm creates it".into(),
        ));
    }
    Ok(())
}

/// Opens a read-only, in-memory copy of the database bytes (no temporary file).
fn open_from_bytes(content: &[u8]) -> Result<Connection, RpmError> {
    if !is_sqlite(content) || content.len() < 100 {
        return Err(RpmError::Sqlite("not an SQLite database".into()));
    }
    let mut bytes = content.to_vec();
    // rpm keeps its database in WAL mode (header bytes 18 and 19 are 2). An in-memory
    // database cannot use a WAL, and the image holds no -wal file worth reading after
    // rpm's last checkpoint, so read it as a rollback-journal database.
    bytes[18] = 1;
    bytes[19] = 1;
    let mut db = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| RpmError::Sqlite(e.to_string()))?;
    db.deserialize(DatabaseName::Main, sqlite_owned_copy(&bytes)?, true)
        .map_err(|e| RpmError::Sqlite(e.to_string()))?;
    Ok(db)
}

/// Copies `bytes` into memory from `sqlite3_malloc64`, which `deserialize` takes ownership of.
/// rusqlite 0.32 offers no safe constructor for [`OwnedData`]; this is the only unsafe code
/// in the crate and it only allocates and copies.
#[allow(unsafe_code)]
fn sqlite_owned_copy(bytes: &[u8]) -> Result<OwnedData, RpmError> {
    let len = bytes.len();
    // SAFETY: sqlite3_malloc64 returns either null or a block of at least `len` bytes.
    let raw = unsafe { rusqlite::ffi::sqlite3_malloc64(len as u64) }.cast::<u8>();
    let ptr = NonNull::new(raw)
        .ok_or_else(|| RpmError::Sqlite(format!("cannot allocate {len} bytes")))?;
    // SAFETY: `ptr` points at `len` writable bytes just allocated, disjoint from `bytes`;
    // OwnedData takes ownership of exactly that sqlite allocation and size.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), len);
        Ok(OwnedData::from_raw_nonnull(ptr, len))
    }
}

#[cfg(test)]
pub(crate) fn build_db(blobs: &[Vec<u8>]) -> Vec<u8> {
    let db = Connection::open_in_memory().expect("memory db");
    db.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .expect("schema");
    for blob in blobs {
        db.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
            .expect("insert");
    }
    db.serialize(DatabaseName::Main)
        .expect("serialize")
        .to_vec()
}

#[cfg(test)]
mod tests {
    use super::super::header::sample_blob;
    use super::*;

    #[test]
    fn reads_packages_table_from_bytes() {
        let blobs = vec![
            sample_blob("a", None, "1", "1"),
            sample_blob("b", None, "2", "1"),
        ];
        let got: Vec<Vec<u8>> = header_blobs(&build_db(&blobs))
            .expect("db")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(got, blobs);
    }

    #[test]
    fn packages_must_be_a_plain_table() {
        for schema in [
            "CREATE TABLE Other (blob BLOB);",
            "CREATE VIEW Packages AS SELECT randomblob(100) AS blob, 1 AS hnum;",
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, \
             blob BLOB GENERATED ALWAYS AS (zeroblob(100000000)));",
        ] {
            let db = Connection::open_in_memory().expect("memory db");
            db.execute_batch(schema).expect("schema");
            let bytes = db
                .serialize(DatabaseName::Main)
                .expect("serialize")
                .to_vec();
            assert!(header_blobs(&bytes).is_err(), "{schema}");
        }
    }

    #[test]
    fn garbage_and_truncated_databases_are_errors() {
        assert!(header_blobs(b"not a database").is_err());
        let db = build_db(&[sample_blob("a", None, "1", "1")]);
        assert!(header_blobs(&db[..200]).is_err());
    }
}
