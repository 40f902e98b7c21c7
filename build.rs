//! Tells the tests whether a PostgreSQL server was named when they were built: `cpor_pg` is
//! set when `CPOR_PG_URL` is set and not empty. The `PgStore` tests are marked ignored
//! without it, so `cargo test` reports them as ignored, with the reason, rather than passing
//! them silently. Nothing in the library depends on it.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(cpor_pg)");
    println!("cargo::rerun-if-env-changed=CPOR_PG_URL");
    if std::env::var("CPOR_PG_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=cpor_pg");
    }
}
