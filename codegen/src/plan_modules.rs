//! Which module each model goes in, and what each module imports.
//!
//! A model used by one top-level resource (through its operations'
//! parameters, bodies and replies, directly or nested) goes in that
//! resource's module; a model several use goes in [`SHARED_MODULE`]. What a
//! shared model refers to is used at least as widely, so it is shared too,
//! and a resource's models refer only to their own module and the shared one.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::*;

pub fn plan(api: &mut Api) {
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for resource in &mut api.resources {
        let mut roots = BTreeSet::new();
        let mut stack: Vec<&Resource> = vec![resource];
        while let Some(r) = stack.pop() {
            for op in &r.operations {
                if let Response::Json(ty) = &op.response {
                    roots.extend(ty.names().into_iter().map(str::to_owned));
                }
                roots.extend(op.query_type.iter().cloned());
                roots.extend(op.body.iter().map(|b| b.type_name.clone()));
            }
            stack.extend(&r.subresources);
        }
        for name in closure(&api.types, &roots) {
            users
                .entry(name)
                .or_default()
                .insert(resource.module.clone());
        }
        resource.uses = roots.into_iter().collect();
    }

    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in api.types.keys() {
        let module = match users.get(name) {
            Some(users) if users.len() == 1 => users.first().expect("one").clone(),
            _ => SHARED_MODULE.to_owned(),
        };
        members.entry(module).or_default().push(name.clone());
    }
    let home: BTreeMap<&str, &str> = members
        .iter()
        .flat_map(|(module, names)| names.iter().map(move |n| (n.as_str(), module.as_str())))
        .collect();

    let mut order: Vec<String> = api.resources.iter().map(|r| r.module.clone()).collect();
    order.push(SHARED_MODULE.to_owned());
    let mut modules = Vec::new();
    for module in order {
        let Some(types) = members.get(&module) else {
            continue;
        };
        let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for name in types {
            for used in referenced(&api.types[name]) {
                let there = home[used];
                if there != module {
                    imports
                        .entry(there.to_owned())
                        .or_default()
                        .insert(used.to_owned());
                }
            }
        }
        let doc = if module == SHARED_MODULE {
            "Models that more than one resource uses.".to_owned()
        } else {
            let words = api
                .resources
                .iter()
                .find(|r| r.module == module)
                .map_or(module.replace('_', " "), |r| r.api_name.replace('_', " "));
            format!("Models of the {words} resource.")
        };
        modules.push(ModelModule {
            name: module,
            doc,
            types: types.clone(),
            imports: imports
                .into_iter()
                .map(|(module, names)| (module, names.into_iter().collect()))
                .collect(),
        });
    }
    api.model_modules = modules;
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

/// The types a model's fields name.
fn referenced(def: &TypeDef) -> Vec<&str> {
    match def {
        TypeDef::Struct(s) => s.fields.iter().flat_map(|f| f.ty.names()).collect(),
        TypeDef::Enum(_) | TypeDef::Const(_) => Vec::new(),
    }
}
