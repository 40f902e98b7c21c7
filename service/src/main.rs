//! `cpor-service`: the reference HTTP service over cpor. See the crate's README.

use std::io::IsTerminal;
use std::process::ExitCode;

use cpor_service::config::{Config, USAGE};
use tracing::Level;

fn main() -> ExitCode {
    let config = match Config::parse(std::env::args().skip(1), |var| std::env::var(var).ok()) {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("cpor-service: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // RUST_LOG names a level (error, warn, info, debug, trace); info by default.
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<Level>().ok())
        .unwrap_or(Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cpor-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cpor_service::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "cpor-service could not start");
            ExitCode::FAILURE
        }
    }
}
