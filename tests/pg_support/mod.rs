//! What the PostgreSQL tests share: the server's URL, a schema of their own, and a raw
//! connection for what the store does not show. Included by each `tests/pg_*.rs` as
//! `mod pg_support;`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use cpor::store::PgStore;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

/// The server's URL, or `None` (after a note on stderr) if `CPOR_PG_URL` is unset.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("CPOR_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("CPOR_PG_URL is unset: skipping the PostgreSQL test {test}");
            None
        }
    }
}

/// Returns early from a test (it passes) when `CPOR_PG_URL` is unset.
#[macro_export]
macro_rules! url_or_skip {
    ($test:expr) => {
        match pg_support::pg_url($test) {
            Some(url) => url,
            None => return,
        }
    };
}

/// A schema name no other test uses, in this run or another.
pub fn unique_schema() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("cpor_test_{}_{nanos}_{n}", std::process::id())
}

/// A raw blocking connection, for what the store does not show: `tokio-postgres` on a
/// runtime of its own. Not for use inside an async test (use `tokio_postgres` there).
pub struct Raw {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Raw {
    pub fn connect(url: &str) -> Result<Self, tokio_postgres::Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (client, connection) =
            runtime.block_on(url.parse::<tokio_postgres::Config>()?.connect(NoTls))?;
        runtime.spawn(connection);
        Ok(Self { runtime, client })
    }

    pub fn batch_execute(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.runtime.block_on(self.client.batch_execute(sql))
    }

    pub fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        self.runtime.block_on(self.client.execute(sql, params))
    }

    pub fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.runtime.block_on(self.client.query(sql, params))
    }

    pub fn query_one(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, tokio_postgres::Error> {
        self.runtime.block_on(self.client.query_one(sql, params))
    }
}

/// A raw connection (blocking) whose `search_path` is `schema`.
pub fn raw_in(url: &str, schema: &str) -> Raw {
    let client = Raw::connect(url).unwrap();
    client
        .batch_execute(&format!("SET search_path TO \"{schema}\""))
        .unwrap();
    client
}

/// A schema of its own, dropped (with everything in it) when the value is dropped, on a
/// thread of its own so that it may be dropped inside an async test too.
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Schema {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            name: unique_schema(),
        }
    }

    pub fn store(&self) -> PgStore {
        PgStore::connect_in_schema(&self.url, &self.name).unwrap()
    }

    pub fn client(&self) -> Raw {
        raw_in(&self.url, &self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(client) = Raw::connect(&url) {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
            }
        })
        .join();
    }
}
