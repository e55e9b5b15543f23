//! Checks of `spec/generate.yaml` against `spec/openapi.yaml` and, where a
//! maintainer has it, the official CLI's command table.
//!
//! `generate.yaml` is walked as plain YAML rather than through
//! `codegen::Config`, so these checks hold whichever shape a method entry
//! takes (`op` + `doc`, or the older bare `<method> <path>`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use codegen::Spec;
use serde_yaml::Value;

use crate::util;

/// The operations of an OpenAPI document as `method path`.
fn spec_operations(document: &Value) -> Vec<String> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut found = Vec::new();
    if let Some(Value::Mapping(paths)) = document.get("paths") {
        for (path, item) in paths {
            let path = path.as_str().expect("paths are strings");
            for method in METHODS {
                if item.get(method).is_some() {
                    found.push(format!("{method} {path}"));
                }
            }
        }
    }
    found
}

/// One method of `generate.yaml`.
#[derive(Debug)]
struct Method {
    /// `beta:threads:runs create`: the command the CLI gives it.
    command: String,
    /// `post /threads/{thread_id}/runs`.
    op: String,
    doc: Option<String>,
}

/// Every method of `generate.yaml`, and the resources without a `doc`.
fn methods(config: &Value) -> (Vec<Method>, Vec<String>) {
    fn walk(
        resources: &Value,
        at: &mut Vec<String>,
        found: &mut Vec<Method>,
        undocumented: &mut Vec<String>,
    ) {
        let Some(resources) = resources.as_mapping() else {
            return;
        };
        for (key, resource) in resources {
            at.push(key.as_str().expect("resource keys are strings").to_owned());
            let name = at.join(":").replace('_', "-");
            if resource
                .get("doc")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                undocumented.push(name.clone());
            }
            if let Some(Value::Mapping(list)) = resource.get("methods") {
                for (method, entry) in list {
                    let method = method.as_str().expect("method keys are strings");
                    let (op, doc) = match entry {
                        Value::String(op) => (op.clone(), None),
                        entry => (
                            entry["op"].as_str().unwrap_or_default().to_owned(),
                            entry.get("doc").and_then(Value::as_str).map(str::to_owned),
                        ),
                    };
                    found.push(Method {
                        command: format!("{name} {}", method.replace('_', "-")),
                        op,
                        doc,
                    });
                }
            }
            if let Some(subresources) = resource.get("subresources") {
                walk(subresources, at, found, undocumented);
            }
            at.pop();
        }
    }
    let mut found = Vec::new();
    let mut undocumented = Vec::new();
    walk(
        &config["resources"],
        &mut Vec::new(),
        &mut found,
        &mut undocumented,
    );
    (found, undocumented)
}

fn read(path: &str) -> String {
    let path = util::root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn checked_in() -> (Vec<String>, Vec<Method>, Vec<String>) {
    let spec = Spec::parse(&read("spec/openapi.yaml")).unwrap();
    let config: Value = serde_yaml::from_str(&read("spec/generate.yaml")).unwrap();
    let (methods, undocumented) = methods(&config);
    (spec_operations(spec.value()), methods, undocumented)
}

#[test]
fn every_operation_of_the_spec_is_named_exactly_once() {
    let (operations, methods, undocumented) = checked_in();
    let mut named: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for method in &methods {
        named.entry(&method.op).or_default().push(&method.command);
    }
    let unnamed: Vec<&String> = operations
        .iter()
        .filter(|op| !named.contains_key(op.as_str()))
        .collect();
    assert!(unnamed.is_empty(), "not in generate.yaml: {unnamed:?}");
    let twice: Vec<_> = named.iter().filter(|(_, names)| names.len() > 1).collect();
    assert!(twice.is_empty(), "named more than once: {twice:?}");
    let unknown: Vec<&&str> = named
        .keys()
        .filter(|op| !operations.iter().any(|known| known == *op))
        .collect();
    assert!(unknown.is_empty(), "not in openapi.yaml: {unknown:?}");
    assert_eq!(methods.len(), operations.len());
    assert!(
        undocumented.is_empty(),
        "resources without a doc: {undocumented:?}"
    );
    let bare: Vec<&str> = methods
        .iter()
        .filter(|m| m.doc.as_deref().is_none_or(str::is_empty))
        .map(|m| m.command.as_str())
        .collect();
    assert!(bare.is_empty(), "methods without a doc: {bare:?}");
}

/// The official CLI's command for each operation, kept beside the project
/// (`../shared/reference/`) by maintainers only; CI has no copy.
fn official_table() -> Option<String> {
    let path: PathBuf = util::root()
        .parent()?
        .join("shared/reference/openai-cli-commands.tsv");
    std::fs::read_to_string(path).ok()
}

#[test]
fn commands_are_the_official_clis() {
    let Some(table) = official_table() else {
        eprintln!("skipped: ../shared/reference/openai-cli-commands.tsv is absent");
        return;
    };
    let (_, methods, _) = checked_in();
    let ours: BTreeMap<String, &str> = methods
        .iter()
        .map(|m| (m.op.clone(), m.command.as_str()))
        .collect();
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in table.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [method, path, _, _, official] = fields[..] else {
            continue;
        };
        if line.starts_with('#') || method == "method" {
            continue;
        }
        rows += 1;
        let op = format!("{} {path}", method.to_ascii_lowercase());
        let Some(command) = ours.get(&op) else {
            wrong.push(format!("{op}: not in generate.yaml"));
            continue;
        };
        if official == "NOT IN CLI" {
            continue;
        }
        // A few operations have two official commands; ours is one of them.
        if !official.split(';').any(|o| o.trim() == *command) {
            wrong.push(format!("{op}: ours `{command}`, official `{official}`"));
        }
    }
    assert!(rows > 0, "the table has no rows");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn commands_follow_the_resource_tree() {
    let config: Value = serde_yaml::from_str(
        "resources:\n  fine_tuning:\n    doc: d\n    subresources:\n      jobs:\n        doc: d\n        methods:\n          list_events:\n            op: get /fine_tuning/jobs/{id}/events\n            doc: d\n",
    )
    .unwrap();
    let (methods, undocumented) = methods(&config);
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].command, "fine-tuning:jobs list-events");
    assert_eq!(methods[0].op, "get /fine_tuning/jobs/{id}/events");
    assert!(undocumented.is_empty());
}
