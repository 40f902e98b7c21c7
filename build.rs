//! Tells the tests whether a PostgreSQL server was named when they were built: `cpor_pg` is
//! set when `CPOR_PG_URL` is set and not empty. The `PgStore` tests are marked ignored
//! without it, so `cargo test` reports them as ignored, with the reason, rather than passing
//! them silently. `cpor_pg_restart` is set when `CPOR_PG_RESTART` (a shell command that
//! restarts that server) is set too: the restart fault test needs it. Nothing in the library
//! depends on either.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cpor_pg)");
    println!("cargo::rustc-check-cfg=cfg(cpor_pg_restart)");
    println!("cargo::rerun-if-env-changed=CPOR_PG_URL");
    println!("cargo::rerun-if-env-changed=CPOR_PG_RESTART");
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.is_empty());
    if set("CPOR_PG_URL") {
        println!("cargo::rustc-cfg=cpor_pg");
        if set("CPOR_PG_RESTART") {
            println!("cargo::rustc-cfg=cpor_pg_restart");
        }
    }
}
