//! The service's settings, from the command line and the environment.
//!
//! | Flag | Variable | Default | What |
//! |---|---|---|---|
//! | `--listen ADDR` | `CPOR_LISTEN` | `127.0.0.1:8080` | the address to listen on |
//! | `--db PATH` | `CPOR_DB` | `cpor.db` | the SQLite file (the default store) |
//! | `--pg URL` | `DATABASE_URL` | none | use PostgreSQL at this URL instead of SQLite |
//! | `--memory` | | off | use the in-memory store (lost on exit; for trying the API) |
//! | `--facts PATH` | `CPOR_FACTS` | permissive demo facts | the eligibility facts, a JSON file ([`crate::facts`]) |
//! | `--webhook URL` | `CPOR_WEBHOOK` | none: events go to the log | an `http://` URL to POST each event to |
//! | `--sweep-every SECS` | `CPOR_SWEEP_EVERY` | `5` | how often the timer's sweep runs |
//! | `--deliver-every SECS` | `CPOR_DELIVER_EVERY` | `1` | how long delivery waits when the outbox is empty |
//!
//! `CPOR_PG_URL` is deliberately not read: it is the variable of the library's test suite.
//! A flag wins over its variable. Seconds may have a fraction (`0.5`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the claims are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by URL or `key=value` connection string.
    Postgres(String),
    /// The in-memory store: everything is lost when the service stops.
    Memory,
}

/// Where delivered events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkConfig {
    /// A log line per event (tracing, `info`).
    Log,
    /// A POST per event to this `http://` URL.
    Webhook(String),
}

/// How often the background loops run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// The time between two sweeps.
    pub sweep_every: Duration,
    /// How long delivery waits after an empty batch.
    pub deliver_every: Duration,
    /// How long a delivery batch is leased: an event not acknowledged by then comes back.
    pub lease: Duration,
    /// The most events one delivery batch takes.
    pub batch: usize,
}

impl Default for Intervals {
    fn default() -> Self {
        Self {
            sweep_every: Duration::from_secs(5),
            deliver_every: Duration::from_secs(1),
            lease: cpor::store::DEFAULT_LEASE,
            batch: 100,
        }
    }
}

/// Everything [`serve`](crate::serve) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The store.
    pub store: StoreConfig,
    /// The facts file, or `None` for the permissive demo facts.
    pub facts: Option<PathBuf>,
    /// Where events are delivered.
    pub sink: SinkConfig,
    /// The loops' intervals.
    pub intervals: Intervals,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store: StoreConfig::Sqlite(PathBuf::from("cpor.db")),
            facts: None,
            sink: SinkConfig::Log,
            intervals: Intervals::default(),
        }
    }
}

/// The usage text of the binary.
pub const USAGE: &str = "\
cpor-service: a reference HTTP service over cpor (no authentication: see the README)

usage: cpor-service [--listen ADDR] [--db PATH | --pg URL | --memory] [--facts PATH]
                    [--webhook URL] [--sweep-every SECS] [--deliver-every SECS]

  --listen ADDR         address to listen on (CPOR_LISTEN; default 127.0.0.1:8080)
  --db PATH             SQLite file (CPOR_DB; default cpor.db)
  --pg URL              PostgreSQL instead of SQLite (DATABASE_URL)
  --memory              in-memory store, lost on exit
  --facts PATH          eligibility facts, JSON (CPOR_FACTS; default: permissive demo facts)
  --webhook URL         POST each event to this http:// URL (CPOR_WEBHOOK; default: log it)
  --sweep-every SECS    timer sweep interval (CPOR_SWEEP_EVERY; default 5)
  --deliver-every SECS  outbox poll interval when idle (CPOR_DELIVER_EVERY; default 1)
";

/// A setting that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the settings from the arguments (without the program's name) and the
    /// environment (`env` answers a variable's value). `Ok(None)` for `--help`.
    ///
    /// # Errors
    ///
    /// An unknown flag, a flag without its value, or a value that does not parse.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let mut config = Self::default();
        let mut flags: Vec<(String, Option<String>)> = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => return Ok(None),
                "--memory" => flags.push((arg, None)),
                "--listen" | "--db" | "--pg" | "--facts" | "--webhook" | "--sweep-every"
                | "--deliver-every" => {
                    let value = args
                        .next()
                        .ok_or_else(|| ConfigError(format!("{arg} needs a value")))?;
                    flags.push((arg, Some(value)));
                }
                other => match other.split_once('=') {
                    Some((flag, value)) if flag.starts_with("--") => {
                        flags.push((flag.to_owned(), Some(value.to_owned())));
                    }
                    _ => return Err(ConfigError(format!("unknown argument {other:?}"))),
                },
            }
        }
        let flag = |name: &str| {
            flags
                .iter()
                .rev()
                .find(|(f, _)| f == name)
                .and_then(|(_, v)| v.clone())
        };
        let setting = |name: &str, var: &str| flag(name).or_else(|| env(var));
        for (name, _) in &flags {
            let known = [
                "--memory",
                "--listen",
                "--db",
                "--pg",
                "--facts",
                "--webhook",
                "--sweep-every",
                "--deliver-every",
            ];
            if !known.contains(&name.as_str()) {
                return Err(ConfigError(format!("unknown flag {name}")));
            }
        }

        if let Some(listen) = setting("--listen", "CPOR_LISTEN") {
            config.listen = listen
                .parse()
                .map_err(|_| ConfigError(format!("--listen: {listen:?} is not an address")))?;
        }
        let memory = flags.iter().any(|(f, _)| f == "--memory");
        let pg = flag("--pg");
        let db = flag("--db");
        config.store = match (memory, pg, db) {
            (true, None, None) => StoreConfig::Memory,
            (false, Some(url), None) => StoreConfig::Postgres(url),
            (false, None, Some(path)) => StoreConfig::Sqlite(PathBuf::from(path)),
            (false, None, None) => match (env("DATABASE_URL"), env("CPOR_DB")) {
                (Some(url), None) if !url.is_empty() => StoreConfig::Postgres(url),
                (_, Some(path)) => StoreConfig::Sqlite(PathBuf::from(path)),
                _ => StoreConfig::Sqlite(PathBuf::from("cpor.db")),
            },
            _ => {
                return Err(ConfigError(
                    "give one store: --db, --pg or --memory".to_owned(),
                ));
            }
        };
        config.facts = setting("--facts", "CPOR_FACTS").map(PathBuf::from);
        if let Some(url) = setting("--webhook", "CPOR_WEBHOOK") {
            if !url.starts_with("http://") {
                return Err(ConfigError(format!(
                    "--webhook: {url:?} is not an http:// URL (this service speaks no TLS)"
                )));
            }
            config.sink = SinkConfig::Webhook(url);
        }
        if let Some(secs) = setting("--sweep-every", "CPOR_SWEEP_EVERY") {
            config.intervals.sweep_every = seconds("--sweep-every", &secs)?;
        }
        if let Some(secs) = setting("--deliver-every", "CPOR_DELIVER_EVERY") {
            config.intervals.deliver_every = seconds("--deliver-every", &secs)?;
        }
        Ok(Some(config))
    }
}

/// A positive number of seconds, at most a day.
fn seconds(flag: &str, text: &str) -> Result<Duration, ConfigError> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ConfigError(format!("{flag}: {text:?} is not a number of seconds")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Option<Config>, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::parse(args.iter().map(|a| (*a).to_owned()), |var| {
            env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_to_a_sqlite_file_and_the_log() {
        let config = parse(&[], &[]).unwrap().unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.store, StoreConfig::Sqlite("cpor.db".into()));
    }

    #[test]
    fn flags_win_over_the_environment() {
        let config = parse(
            &["--db", "/tmp/x.db", "--sweep-every=0.5"],
            &[("DATABASE_URL", "postgres://x"), ("CPOR_SWEEP_EVERY", "9")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(config.store, StoreConfig::Sqlite("/tmp/x.db".into()));
        assert_eq!(config.intervals.sweep_every, Duration::from_millis(500));
        let pg = parse(
            &[],
            &[("DATABASE_URL", "postgres://x"), ("CPOR_PG_URL", "y")],
        )
        .unwrap()
        .unwrap();
        assert_eq!(pg.store, StoreConfig::Postgres("postgres://x".into()));
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(parse(&["--nope"], &[]).is_err());
        assert!(parse(&["--db"], &[]).is_err());
        assert!(parse(&["--db", "a", "--memory"], &[]).is_err());
        assert!(parse(&["--webhook", "https://x"], &[]).is_err());
        assert!(parse(&["--sweep-every", "0"], &[]).is_err());
        assert!(parse(&["--help"], &[]).unwrap().is_none());
    }
}
