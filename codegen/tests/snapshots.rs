//! Generator output for one small spec per construct, compared with the
//! files in `tests/snapshots/`. Those files are also compiled against the
//! real runtime by the `snapshot-check` crate.
//!
//! After an intended change: `UPDATE_SNAPSHOTS=1 cargo test -p codegen`.

use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &[&str] = &[
    "all_of",
    "arrays",
    "binary_reply",
    "bodiless_reply",
    "boolean_exclusive_minimum",
    "deprecated_required",
    "docs",
    "enums",
    "event_stream_beside_json",
    "header_parameter",
    "inline",
    "integer_enum",
    "json_and_multipart",
    "maps",
    "multipart",
    "nested_union",
    "nullables",
    "objects",
    "open_enum_or_string",
    "operations",
    "out_of_range_minimum",
    "recursive_union",
    "refs",
    "required_absent",
    "scalar_or_array",
    "shared",
    "string_or_object",
    "tagged_union",
    "text_reply",
    "unknown_enum_value",
    "untagged_union",
    "validation_only_union",
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
    let root = dir().join("snapshots").join(name);
    // The spec bugs the generator worked around, reviewed like code.
    let warnings: String = generated
        .warnings
        .iter()
        .map(|w| format!("{w}\n"))
        .collect();
    let mut files: Vec<(PathBuf, &String)> = Vec::new();
    files.extend(
        generated
            .library
            .iter()
            .map(|(p, t)| (root.join("library").join(p), t)),
    );
    files.extend(
        generated
            .cli
            .iter()
            .map(|(p, t)| (root.join("cli").join(p), t)),
    );
    if !warnings.is_empty() {
        files.push((root.join("warnings.txt"), &warnings));
    }
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (path, text) in &files {
        let old = fs::read_to_string(path).unwrap_or_default();
        if old == **text {
            continue;
        }
        if update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        } else {
            let diff = similar::TextDiff::from_lines(&old, text.as_str());
            stale.push(format!(
                "{}\n{}",
                path.display(),
                diff.unified_diff().context_radius(2)
            ));
        }
    }
    for extra in files_under(&root) {
        if files.iter().any(|(path, _)| *path == extra) {
            continue;
        }
        if update {
            fs::remove_file(&extra).unwrap();
        } else {
            stale.push(format!("{}: not generated any more", extra.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 to accept):\n{}",
        stale.join("\n")
    );
}

/// Every file below `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

macro_rules! snapshot_tests {
    ($($name:ident),*) => {
        $(#[test] fn $name() { check(stringify!($name)); })*
    };
}

snapshot_tests!(
    all_of,
    arrays,
    binary_reply,
    bodiless_reply,
    boolean_exclusive_minimum,
    deprecated_required,
    docs,
    enums,
    event_stream_beside_json,
    header_parameter,
    inline,
    integer_enum,
    json_and_multipart,
    maps,
    multipart,
    nested_union,
    nullables,
    objects,
    open_enum_or_string,
    operations,
    out_of_range_minimum,
    recursive_union,
    refs,
    required_absent,
    scalar_or_array,
    shared,
    string_or_object,
    tagged_union,
    text_reply,
    unknown_enum_value,
    untagged_union,
    validation_only_union
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
            text.contains(&format!("\"../../tests/snapshots/{name}/library/mod.rs\""))
                && text.contains(&format!("\"../../tests/snapshots/{name}/cli/mod.rs\"")),
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

fn lower_fixture(name: &str) -> codegen::ir::Api {
    let fixture = dir().join("fixtures").join(name);
    let spec = fs::read_to_string(fixture.join("openapi.yaml")).unwrap();
    let config = fs::read_to_string(fixture.join("generate.yaml")).unwrap();
    codegen::lower(&spec, &config).unwrap()
}

#[test]
fn a_schema_two_resources_share_lands_in_the_shared_module_once() {
    let api = lower_fixture("shared");
    let holding_file: Vec<&codegen::ir::ModelModule> = api
        .model_modules
        .iter()
        .filter(|m| m.types.iter().any(|t| t == "File"))
        .collect();
    assert_eq!(holding_file.len(), 1, "{:#?}", api.model_modules);
    assert_eq!(holding_file[0].path, ["shared"]);
    assert_eq!(api.module_of("FileStatus").unwrap().path, ["shared"]);
    // Used by batches alone (its body and its reply): the batches module.
    assert_eq!(api.module_of("Priority").unwrap().path, ["batches"]);
    let batches = api.module_of("Batch").unwrap();
    assert_eq!(batches.imports, ["File"]);
    let generated = codegen::generate(
        &fs::read_to_string(dir().join("fixtures/shared/openapi.yaml")).unwrap(),
        &fs::read_to_string(dir().join("fixtures/shared/generate.yaml")).unwrap(),
        "crate::shared",
    )
    .unwrap();
    let defined = generated
        .library
        .values()
        .filter(|text| text.contains("pub struct File {"))
        .count();
    assert_eq!(defined, 1);
}

#[test]
fn the_flag_plan_is_in_the_ir() {
    use codegen::ir::{FlagTarget, FlagValue, ParamKind};
    let api = lower_fixture("operations");
    let create = api
        .operations()
        .find(|op| op.key == "stores.create")
        .unwrap();
    let flag = |long: &str| {
        create
            .cli
            .flags
            .iter()
            .find(|f| f.long == long)
            .unwrap_or_else(|| panic!("no --{long}"))
    };
    assert!(flag("name").required && flag("name").from_stdin);
    assert!(!flag("size").required);
    assert!(flag("file-id").repeated);
    let FlagValue::Enum { values, .. } = &flag("mode").value else {
        panic!("--mode is an open enum")
    };
    assert_eq!(values, &["fast", "safe"]);
    let FlagValue::Object { fields } = &flag("expires-after").value else {
        panic!("--expires-after is an object")
    };
    let dotted: Vec<&str> = fields.iter().map(|f| f.long.as_str()).collect();
    assert_eq!(dotted, ["expires-after.anchor", "expires-after.days"]);
    assert!(matches!(flag("metadata").value, FlagValue::Object { .. }));

    let cancel = api
        .operations()
        .find(|op| op.key == "stores.file_batches.cancel")
        .unwrap();
    let ids: Vec<(&str, bool, FlagTarget)> = cancel
        .cli
        .flags
        .iter()
        .map(|f| (f.long.as_str(), f.positional, f.target))
        .collect();
    let path = FlagTarget::Param(ParamKind::Path);
    assert_eq!(ids, [("store-id", true, path), ("batch-id", true, path)]);
    assert!(cancel.cli.reads_stdin);
    assert_eq!(cancel.cli.usage, "openai stores file-batches cancel");
}
