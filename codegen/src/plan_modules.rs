//! Which module each model goes in, and what each module imports.
//!
//! Model modules nest like the resources. A model goes in the module of the
//! deepest resource whose subtree holds every operation that uses it
//! (through parameters, bodies and replies, directly or nested): a model of
//! `uploads parts` alone is in `uploads::parts`, one that `uploads` and
//! `uploads parts` both use is in `uploads`. A model that several top-level
//! resources use goes in [`SHARED_MODULE`]. What a model refers to is used
//! at least as widely, so it sits in the same module, an ancestor, or the
//! shared one; every module imports what it needs from the models' root,
//! which re-exports everything flat.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::*;

pub fn plan(api: &mut Api) {
    // The resources (by module path) whose own operations use each model.
    let mut users: BTreeMap<String, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut stack: Vec<&mut Resource> = api.resources.iter_mut().collect();
    while let Some(resource) = stack.pop() {
        let mut roots = BTreeSet::new();
        for op in &resource.operations {
            if let Response::Json(ty) = &op.response {
                roots.extend(ty.names().into_iter().map(str::to_owned));
            }
            roots.extend(op.query_type.iter().cloned());
            roots.extend(op.headers_type.iter().cloned());
            roots.extend(op.body.iter().map(|b| b.type_name.clone()));
            if let Some(item) = &op.page_item {
                roots.extend(item.names().into_iter().map(str::to_owned));
            }
            if let Some(stream) = &op.stream {
                roots.extend(stream.event.names().into_iter().map(str::to_owned));
            }
        }
        for name in closure(&api.types, &roots) {
            users
                .entry(name)
                .or_default()
                .insert(resource.module_path.clone());
        }
        resource.uses = roots.into_iter().collect();
        stack.extend(resource.subresources.iter_mut());
    }

    let shared = vec![SHARED_MODULE.to_owned()];
    let mut members: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for name in api.types.keys() {
        let path = users
            .get(name)
            .map(common_prefix)
            .filter(|path| !path.is_empty())
            .unwrap_or_else(|| shared.clone());
        members.entry(path).or_default().push(name.clone());
    }
    let home: BTreeMap<&str, &Vec<String>> = members
        .iter()
        .flat_map(|(path, names)| names.iter().map(move |n| (n.as_str(), path)))
        .collect();

    // Every resource whose subtree holds models has a module, in resource
    // order; then the shared one.
    let mut paths: Vec<Vec<String>> = Vec::new();
    for resource in api.all_resources() {
        let has_models = members
            .keys()
            .any(|path| path.starts_with(&resource.module_path));
        if has_models {
            paths.push(resource.module_path.clone());
        }
    }
    if members.contains_key(&shared) {
        paths.push(shared.clone());
    }
    let mut modules = Vec::new();
    for path in &paths {
        let types = members.get(path).cloned().unwrap_or_default();
        let mut imports = BTreeSet::new();
        for name in &types {
            for used in referenced(&api.types[name]) {
                if home[used] != path {
                    imports.insert(used.to_owned());
                }
            }
        }
        let submodules = paths
            .iter()
            .filter(|p| p.len() == path.len() + 1 && p.starts_with(path))
            .map(|p| p[path.len()].clone())
            .collect();
        let doc = if *path == shared {
            "Models that more than one resource uses.".to_owned()
        } else {
            let words = path.join(" ").replace('_', " ");
            format!("Models of the {words} resource.")
        };
        modules.push(ModelModule {
            path: path.clone(),
            doc,
            types,
            imports: imports.into_iter().collect(),
            submodules,
            // Decided by `plan_parts`.
            parts: Vec::new(),
        });
    }
    api.model_modules = modules;
}

/// The longest path every chain starts with.
fn common_prefix(chains: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut chains = chains.iter();
    let Some(first) = chains.next() else {
        return Vec::new();
    };
    let mut prefix = first.clone();
    for chain in chains {
        let same = prefix.iter().zip(chain).take_while(|(a, b)| a == b).count();
        prefix.truncate(same);
    }
    prefix
}

/// `roots` and every type they refer to, transitively.
fn closure(types: &BTreeMap<String, TypeDef>, roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = roots.iter().map(String::as_str).collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.to_owned()) {
            continue;
        }
        if let Some(def) = types.get(name) {
            stack.extend(referenced(def));
        }
    }
    seen
}

/// The types a model names.
fn referenced(def: &TypeDef) -> Vec<&str> {
    def.referenced()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_prefix_of_chains() {
        let chains = |list: &[&[&str]]| -> BTreeSet<Vec<String>> {
            list.iter()
                .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
                .collect()
        };
        assert_eq!(
            common_prefix(&chains(&[&["uploads", "parts"], &["uploads"]])),
            ["uploads"]
        );
        assert_eq!(
            common_prefix(&chains(&[&["uploads", "parts"]])),
            ["uploads", "parts"]
        );
        assert!(common_prefix(&chains(&[&["uploads"], &["files"]])).is_empty());
    }
}
