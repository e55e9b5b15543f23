//! The crate layout's promise, checked on the real workspace: a program
//! that depends on one resource crate compiles no other resource crate,
//! and the facade reaches every one.

use std::collections::BTreeSet;

use crate::util;

/// The workspace's packages that `package` depends on (normal
/// dependencies, transitively), by name.
fn dependencies(package: &str) -> BTreeSet<String> {
    let args = [
        "tree", "-q", "-e", "normal", "--prefix", "none", "-p", package,
    ];
    let output = util::cargo(args).output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with("openai-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_program_using_uploads_compiles_no_other_resource_crate() {
    let ours = dependencies("openai-uploads");
    assert_eq!(
        ours,
        BTreeSet::from(["openai-uploads", "openai-runtime", "openai-types"].map(str::to_owned)),
    );
}

#[test]
fn a_resource_crate_needs_only_the_runtime_and_the_shared_models() {
    let ours = dependencies("openai-batches");
    assert_eq!(
        ours,
        BTreeSet::from(["openai-batches", "openai-runtime", "openai-types"].map(str::to_owned)),
    );
}

#[test]
fn the_facade_reaches_every_resource_crate() {
    let all = dependencies("openai-api");
    let generated = std::fs::read_dir(util::root().join(codegen::render_crates::CRATES_DIR))
        .expect("generated/")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect::<BTreeSet<_>>();
    for krate in generated.iter().chain(["openai-uploads".to_owned()].iter()) {
        assert!(
            all.contains(krate),
            "openai-api does not reach {krate}: {all:?}"
        );
    }
}
