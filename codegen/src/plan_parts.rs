//! Splitting a model module too long to read into parts.
//!
//! A resource like OpenAI's `responses` has hundreds of models; one file
//! of them would run to 16,000 lines. A model module whose models would take
//! more than [`SPLIT_AT`] lines goes into parts of at most about
//! [`PART_LINES`] lines, each a file of its own (`models/responses/part1.rs`)
//! holding a run of the module's models in name order. The module re-exports
//! its parts flat, so nothing outside sees the split. The sizes are estimated
//! from the IR (the files are not formatted yet), generously.

use std::collections::BTreeSet;

use crate::ir::*;
use crate::render::doc_lines;

/// A module whose models would take more lines than this is split.
pub const SPLIT_AT: usize = 4000;

/// The estimated lines a part aims at (and exceeds only by one model).
pub const PART_LINES: usize = 3000;

pub fn plan(api: &mut Api) {
    for module in &mut api.model_modules {
        let sizes: Vec<usize> = module
            .types
            .iter()
            .map(|name| estimate(&api.types[name]))
            .collect();
        if sizes.iter().sum::<usize>() <= SPLIT_AT {
            continue;
        }
        let mut runs: Vec<Vec<String>> = vec![Vec::new()];
        let mut size = 0;
        for (name, lines) in module.types.iter().zip(&sizes) {
            let current = runs.last_mut().expect("one run at least");
            if size + lines > PART_LINES && !current.is_empty() {
                runs.push(Vec::new());
                size = 0;
            }
            runs.last_mut().expect("just pushed").push(name.clone());
            size += lines;
        }
        let prefix = if module.submodules.iter().any(|s| s.starts_with("part")) {
            "models_part"
        } else {
            "part"
        };
        module.parts = runs
            .into_iter()
            .enumerate()
            .map(|(i, types)| {
                // Everything a part names from elsewhere, its sibling parts
                // included, comes from the models' root, which re-exports all.
                let imports: BTreeSet<String> = types
                    .iter()
                    .flat_map(|t| api.types[t].referenced())
                    .filter(|used| !types.iter().any(|t| t == used))
                    .map(str::to_owned)
                    .collect();
                ModelPart {
                    name: format!("{prefix}{}", i + 1),
                    types,
                    imports: imports.into_iter().collect(),
                }
            })
            .collect();
    }
}

/// About how many lines a model takes once formatted (a little more, not
/// less).
fn estimate(def: &TypeDef) -> usize {
    let doc = |text: &Option<String>| text.as_deref().map_or(0, |t| doc_lines(t).len());
    match def {
        TypeDef::Struct(s) => {
            let fields: usize = s.fields.iter().map(|f| doc(&f.doc) + 3).sum();
            let extra = match s.kind {
                StructKind::Multipart | StructKind::Headers => 8 + 5 * s.fields.len(),
                StructKind::Json | StructKind::Query => 0,
            };
            doc(&s.doc) + 4 + fields + extra
        }
        TypeDef::Enum(e) => doc(&e.doc) + 10 + 3 * e.variants.len(),
        TypeDef::Const(c) => doc(&c.doc) + 6,
        TypeDef::Union(u) => {
            let variants: usize = u.variants.iter().map(|v| doc(&v.doc) + 4).sum();
            let shapes: usize = u
                .variants
                .iter()
                .map(|v| match &v.shape {
                    ShapeDef::Object { required, closed } => 4 + required.len() + 2 * closed.len(),
                    ShapeDef::StringIn(values) => 1 + values.len(),
                    _ => 1,
                })
                .sum();
            let dispatch = match &u.dispatch {
                UnionDispatch::Tagged { values, .. } => 6 + values.len(),
                UnionDispatch::Untagged => 1,
            };
            doc(&u.doc) + 50 + variants + shapes + dispatch
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A struct of `fields` string fields, each with a line of doc, and one
    /// field of type `other` when given.
    fn model(name: &str, fields: usize, other: Option<&str>) -> TypeDef {
        let mut list: Vec<Field> = (0..fields)
            .map(|i| Field {
                name: format!("f{i}"),
                api_name: format!("f{i}"),
                ty: TypeRef::String,
                required: true,
                doc: Some("A field.".into()),
                deprecated: false,
                kind: FieldKind::Text,
                default_when_absent: false,
                facts: Facts::default(),
            })
            .collect();
        if let Some(other) = other {
            list.push(Field {
                name: "other".into(),
                api_name: "other".into(),
                ty: TypeRef::Named(other.into()),
                required: true,
                doc: None,
                deprecated: false,
                kind: FieldKind::Json,
                default_when_absent: false,
                facts: Facts::default(),
            });
        }
        TypeDef::Struct(StructDef {
            name: name.into(),
            doc: None,
            fields: list,
            kind: StructKind::Json,
        })
    }

    fn api(types: Vec<TypeDef>) -> Api {
        let names: Vec<String> = types.iter().map(|t| t.name().to_owned()).collect();
        let types: BTreeMap<String, TypeDef> = types
            .into_iter()
            .map(|t| (t.name().to_owned(), t))
            .collect();
        Api {
            resources: Vec::new(),
            types,
            model_modules: vec![ModelModule {
                path: vec!["things".into()],
                doc: String::new(),
                types: names,
                imports: Vec::new(),
                submodules: Vec::new(),
                parts: Vec::new(),
            }],
            warnings: Vec::new(),
            models_from: None,
        }
    }

    #[test]
    fn a_small_module_stays_one_file() {
        let mut api = api(vec![model("A", 10, None), model("B", 10, Some("A"))]);
        plan(&mut api);
        assert!(api.model_modules[0].parts.is_empty());
    }

    #[test]
    fn a_large_module_is_split_in_name_order_with_its_imports() {
        // 60 models of about 100 lines: two parts or more.
        let types = (0..60)
            .map(|i| model(&format!("M{i:02}"), 30, (i == 59).then_some("M00")))
            .collect();
        let mut api = api(types);
        plan(&mut api);
        let parts = &api.model_modules[0].parts;
        assert!(parts.len() >= 2, "{parts:#?}");
        assert_eq!(parts[0].name, "part1");
        let all: Vec<&String> = parts.iter().flat_map(|p| &p.types).collect();
        assert_eq!(all, api.model_modules[0].types.iter().collect::<Vec<_>>());
        let last = parts.last().unwrap();
        assert!(last.types.contains(&"M59".to_owned()));
        assert_eq!(last.imports, ["M00"], "a model of another part is imported");
        assert!(parts[0].imports.is_empty());
    }
}
