//! `cargo xtask gen [--check]`.

pub fn run(_check: bool) -> Result<(), String> {
    Err("not yet".into())
}
