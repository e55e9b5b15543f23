//! Generator output for one small spec per construct, compared with the
//! files in `tests/snapshots/`. Those files are also compiled against the
//! real runtime by the `snapshot-check` crate.
//!
//! After an intended change: `UPDATE_SNAPSHOTS=1 cargo test -p codegen`.

use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &[&str] = &[
    "arrays",
    "enums",
    "inline",
    "maps",
    "multipart",
    "nullables",
    "objects",
    "operations",
    "refs",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn check(name: &str) {
    let fixture = dir().join("fixtures").join(name);
    let spec = fs::read_to_string(fixture.join("openapi.yaml")).unwrap();
    let config = fs::read_to_string(fixture.join("generate.yaml")).unwrap();
    let library = format!("crate::{name}");
    let generated = codegen::generate(&spec, &config, &library)
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let files = [
        ("models.rs", &generated.library["models.rs"]),
        ("resources.rs", &generated.library["resources.rs"]),
        ("commands.rs", &generated.cli["commands.rs"]),
    ];
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (file, text) in files {
        let path = dir().join("snapshots").join(name).join(file);
        let old = fs::read_to_string(&path).unwrap_or_default();
        if old == *text {
            continue;
        }
        if update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
        } else {
            let diff = similar::TextDiff::from_lines(&old, text);
            stale.push(format!(
                "{}\n{}",
                path.display(),
                diff.unified_diff().context_radius(2)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 to accept):\n{}",
        stale.join("\n")
    );
}

macro_rules! snapshot_tests {
    ($($name:ident),*) => {
        $(#[test] fn $name() { check(stringify!($name)); })*
    };
}

snapshot_tests!(
    arrays, enums, inline, maps, multipart, nullables, objects, operations, refs
);

#[test]
fn every_fixture_is_compiled() {
    let check_crate = dir().join("../snapshot-check/src/lib.rs");
    let text = fs::read_to_string(check_crate).unwrap();
    let on_disk: Vec<String> = fs::read_dir(dir().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &on_disk {
        assert!(
            FIXTURES.contains(&name.as_str()),
            "fixture {name} has no snapshot test"
        );
        assert!(
            text.contains(&format!("fixture!({name});")),
            "snapshot-check does not compile the {name} snapshots"
        );
    }
}

#[test]
fn output_is_deterministic() {
    let fixture = dir().join("fixtures/operations");
    let spec = fs::read_to_string(fixture.join("openapi.yaml")).unwrap();
    let config = fs::read_to_string(fixture.join("generate.yaml")).unwrap();
    let first = codegen::generate(&spec, &config, "x").unwrap();
    for _ in 0..5 {
        assert_eq!(codegen::generate(&spec, &config, "x").unwrap(), first);
    }
}
