//! `oneOf`/`anyOf` of several schemas -> one open string enum (strings
//! only), or a union enum the runtime's `union` module decodes: tagged by a
//! constant property when every branch has one, else tried by shape, most
//! specific first. Variants are named from the spec (titles, `$ref` names,
//! tag values, constants), never by position.

use std::cmp::Reverse;

use serde_yaml::Value;

use super::schema::{branches_of, constraint_only, is_null_schema};
use super::*;

/// Titles that name a JSON type, not a variant (`title: array`).
const TYPE_TITLES: &[&str] = &[
    "string", "number", "integer", "boolean", "array", "object", "null",
];

/// What a branch is, judged from its top level (through `$ref`s).
#[derive(Debug, Clone)]
enum Probe {
    Null,
    Any,
    /// A string; `values` are the listed ones (none: any string);
    /// `constant` when it is a one-value constant.
    Str {
        values: Vec<String>,
        constant: bool,
    },
    /// `format: binary`: a file, in multipart bodies.
    File,
    Int,
    Num,
    Bool,
    /// An array, with its items and their name (title or `$ref`), if any.
    Array(Box<Probe>, Option<String>),
    Object(ObjectInfo),
    /// A union: its branches.
    Union(Vec<Probe>),
}

/// An object branch, as far as telling it apart goes.
#[derive(Debug, Clone, Default)]
struct ObjectInfo {
    /// Required properties (deprecated ones excepted: the model does not
    /// require them either).
    required: Vec<String>,
    /// Every property, with its string values when they are a finite list.
    props: Vec<(String, Option<Vec<String>>)>,
}

impl ObjectInfo {
    fn values(&self, name: &str) -> Option<&Vec<String>> {
        self.props
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    fn closed(&self) -> Vec<(String, Vec<String>)> {
        self.props
            .iter()
            .filter_map(|(n, v)| Some((n.clone(), v.clone()?)))
            .collect()
    }
}

impl Probe {
    /// The branch itself, or the leaves of a nested union.
    fn leaves(&self) -> Vec<&Probe> {
        match self {
            Probe::Union(branches) => branches.iter().flat_map(Probe::leaves).collect(),
            other => vec![other],
        }
    }

    /// How specific a value of this kind is; smaller is tried first.
    fn order(&self) -> (u8, Reverse<usize>, Reverse<usize>, Reverse<usize>) {
        let class = |c| (c, Reverse(0), Reverse(0), Reverse(0));
        match self {
            Probe::Str { constant: true, .. } => class(0),
            Probe::Int => class(1),
            Probe::Num => class(2),
            Probe::Bool => class(3),
            Probe::Null => class(4),
            Probe::Str { .. } => class(5),
            Probe::Array(..) => class(6),
            Probe::Object(info) => (
                7,
                Reverse(info.required.len()),
                Reverse(info.closed().len()),
                Reverse(info.props.len()),
            ),
            Probe::File => class(8),
            Probe::Any => class(9),
            Probe::Union(branches) => branches
                .iter()
                .map(Probe::order)
                .min()
                .unwrap_or_else(|| class(9)),
        }
    }

    /// A name from the kind of value (`String`, `IntegerArray`).
    fn type_name(&self) -> String {
        match self {
            Probe::Null => "Null".to_owned(),
            Probe::Any => "Value".to_owned(),
            Probe::Str { .. } => "String".to_owned(),
            Probe::File => "File".to_owned(),
            Probe::Int => "Integer".to_owned(),
            Probe::Num => "Number".to_owned(),
            Probe::Bool => "Boolean".to_owned(),
            Probe::Array(item, name) => format!(
                "{}Array",
                name.as_deref().map_or_else(|| item.type_name(), camel)
            ),
            Probe::Object(_) => "Object".to_owned(),
            Probe::Union(_) => "Choice".to_owned(),
        }
    }
}

/// One branch of the union being lowered.
struct Branch<'s> {
    schema: &'s Value,
    at: Pointer,
    probe: Probe,
    /// Name candidates, best first (title, `$ref` name, ...).
    names: Vec<String>,
    doc: Option<String>,
}

/// A variant being planned: its branch, what it holds, and how it is named.
struct Planned {
    /// The branch it comes from (an inline enum gives several variants).
    branch: usize,
    keyword: Option<String>,
    names: Vec<String>,
    /// Index into `names` of the current choice.
    choice: usize,
    shape: ShapeDef,
    order: (u8, Reverse<usize>, Reverse<usize>, Reverse<usize>),
    /// Tag values (tagged unions), and whether the tag may be absent.
    tag_values: Vec<String>,
    tag_optional: bool,
}

impl Planned {
    fn name(&self) -> &str {
        &self.names[self.choice]
    }
}

impl<'s> Lowerer<'s> {
    /// A `oneOf`/`anyOf` (`keyword`) at `at`.
    pub(super) fn union(
        &mut self,
        schema: &'s Value,
        keyword: &str,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        let union_at = at.join(keyword);
        let items = get(schema, keyword)
            .and_then(Value::as_sequence)
            .ok_or_else(|| union_at.error(format!("`{keyword}` must be a list")))?;
        let nullable = items.iter().any(is_null_schema);
        let real: Vec<(usize, &'s Value)> = items
            .iter()
            .enumerate()
            .filter(|(_, b)| !is_null_schema(b) && !constraint_only(b))
            .collect();
        let ty = match real[..] {
            // Only validation rules (`required`): the host's own type.
            [] => return self.schema_with(schema, at, hint, false),
            [(i, branch)] => self.schema(branch, &union_at.join(&i.to_string()), hint)?,
            _ => {
                if get(schema, "properties").is_some() {
                    return Err(
                        union_at.error(format!("`{keyword}` beside `properties` is not supported"))
                    );
                }
                let mut branches = Vec::new();
                for (i, branch) in real {
                    branches.push(self.branch(branch, union_at.join(&i.to_string()))?);
                }
                self.union_of(schema, branches, at, hint)?
            }
        };
        Ok(if nullable { ty.nullable() } else { ty })
    }

    fn branch(&self, schema: &'s Value, at: Pointer) -> Result<Branch<'s>> {
        let probe = self.probe(schema, &at, 0)?;
        let (target, _, ref_name) = self.deref(schema, &at)?;
        let title = text(schema, "title").or_else(|| text(target, "title"));
        let mut names = Vec::new();
        if let Some(title) = title.filter(|t| usable_title(t)) {
            names.push(camel(&title));
        }
        if let Some(name) = &ref_name {
            names.push(camel(name));
        }
        let doc = text(schema, "description").or_else(|| text(target, "description"));
        Ok(Branch {
            schema,
            at,
            probe,
            names,
            doc,
        })
    }

    /// What `schema` is, from its top level.
    fn probe(&self, schema: &'s Value, at: &Pointer, depth: usize) -> Result<Probe> {
        if depth > 12 || schema.as_bool() == Some(true) {
            return Ok(Probe::Any);
        }
        let (schema, at, _) = self.deref(schema, at)?;
        let Some(map) = schema.as_mapping() else {
            return Ok(Probe::Any);
        };
        if map.contains_key("allOf") {
            let merged = self.merge_one(schema, &at)?;
            return Ok(Probe::Object(self.object_info(&merged)));
        }
        if let Some(items) = branches_of(schema) {
            let real: Vec<(usize, &'s Value)> = items
                .iter()
                .enumerate()
                .filter(|(_, b)| !is_null_schema(b) && !constraint_only(b))
                .collect();
            let keyword = if map.contains_key("anyOf") {
                "anyOf"
            } else {
                "oneOf"
            };
            match real[..] {
                [] => {}
                [(i, one)] => {
                    return self.probe(one, &at.join(keyword).join(&i.to_string()), depth + 1);
                }
                _ => {
                    let mut branches = Vec::new();
                    for (i, branch) in real {
                        let branch_at = at.join(keyword).join(&i.to_string());
                        branches.push(self.probe(branch, &branch_at, depth + 1)?);
                    }
                    return Ok(Probe::Union(branches));
                }
            }
        }
        if let Some(value) = map.get("const").and_then(Value::as_str) {
            return Ok(Probe::Str {
                values: vec![value.to_owned()],
                constant: true,
            });
        }
        let (ty, _) = schema_type(schema, &at)?;
        if let Some(values) = map.get("enum").and_then(Value::as_sequence) {
            if ty == Some("integer") {
                return Ok(Probe::Int);
            }
            let values: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            let constant = values.len() == 1
                && get(schema, "x-stainless-const").and_then(Value::as_bool) == Some(true);
            return Ok(Probe::Str { values, constant });
        }
        Ok(match ty {
            Some("string") if get(schema, "format").and_then(Value::as_str) == Some("binary") => {
                Probe::File
            }
            Some("string") => Probe::Str {
                values: Vec::new(),
                constant: false,
            },
            Some("integer") => Probe::Int,
            Some("number") => Probe::Num,
            Some("boolean") => Probe::Bool,
            Some("null") => Probe::Null,
            Some("array") => match map.get("items") {
                Some(items) => {
                    let items_at = at.join("items");
                    let item = self.probe(items, &items_at, depth + 1)?;
                    let (target, _, ref_name) = self.deref(items, &items_at)?;
                    let name = text(items, "title")
                        .or_else(|| text(target, "title"))
                        .filter(|t| usable_title(t))
                        .or(ref_name);
                    Probe::Array(Box::new(item), name)
                }
                None => Probe::Array(Box::new(Probe::Any), None),
            },
            Some("object") => Probe::Object(self.object_info(&self.merge_one(schema, &at)?)),
            None if map.contains_key("properties") => {
                Probe::Object(self.object_info(&self.merge_one(schema, &at)?))
            }
            _ => Probe::Any,
        })
    }

    fn object_info(&self, merged: &schema::Merged<'s>) -> ObjectInfo {
        let mut info = ObjectInfo::default();
        for prop in &merged.props {
            let (decl, at) = prop.last();
            info.props
                .push((prop.name.clone(), self.string_values(decl, at)));
        }
        for (name, _) in &merged.required {
            let declared = merged.props.iter().find(|p| p.name == *name);
            let deprecated = declared.is_some_and(|p| {
                p.decls.iter().any(|(d, _)| {
                    get(d, "deprecated").and_then(Value::as_bool) == Some(true)
                        || self.deref(d, &Pointer::root("#")).is_ok_and(|(t, _, _)| {
                            get(t, "deprecated").and_then(Value::as_bool) == Some(true)
                        })
                })
            });
            if declared.is_some() && !deprecated && !info.required.contains(name) {
                info.required.push(name.clone());
            }
        }
        info
    }

    /// The finite list of strings a property may hold (a constant or a
    /// string enum, maybe nullable or behind a `$ref`), if it is one.
    fn string_values(&self, schema: &'s Value, at: &Pointer) -> Option<Vec<String>> {
        let (schema, at, _) = self.deref(schema, at).ok()?;
        let schema = match self.non_null_branch(schema) {
            Some(inner) => self.deref(inner, &at).ok()?.0,
            None => schema,
        };
        let schema = match get(schema, "allOf").and_then(Value::as_sequence) {
            Some(items) => {
                let real: Vec<&Value> =
                    items.iter().filter(|i| !schema::modifier_only(i)).collect();
                match real[..] {
                    [one] => self.deref(one, &at).ok()?.0,
                    _ => return None,
                }
            }
            None => schema,
        };
        if let Some(value) = get(schema, "const").and_then(Value::as_str) {
            return Some(vec![value.to_owned()]);
        }
        let values = get(schema, "enum")?.as_sequence()?;
        values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    /// A union of two or more branches.
    fn union_of(
        &mut self,
        schema: &'s Value,
        branches: Vec<Branch<'s>>,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        let leaves: Vec<&Probe> = branches.iter().flat_map(|b| b.probe.leaves()).collect();
        let doc = text(schema, "description");

        // Strings only: one open enum of every listed value.
        if leaves.iter().all(|l| matches!(l, Probe::Str { .. })) {
            let mut values: Vec<(usize, String)> = Vec::new();
            for leaf in &leaves {
                if let Probe::Str { values: listed, .. } = leaf {
                    for value in listed {
                        if !values.iter().any(|(_, v)| v == value) {
                            values.push((values.len(), value.clone()));
                        }
                    }
                }
            }
            if values.is_empty() {
                return Ok(TypeRef::String);
            }
            let enum_at = at.join("enum");
            let def = self.enum_def(hint, doc, EnumRepr::String, &values, &enum_at)?;
            return self.register(TypeDef::Enum(def), at);
        }

        let multipart = self.in_multipart && leaves.iter().any(|l| matches!(l, Probe::File));
        let objects = leaves.iter().all(|l| matches!(l, Probe::Object(_)));
        let tag = if objects && !multipart {
            self.find_tag(schema, &branches, at)
        } else {
            None
        };
        let mut planned = match &tag {
            Some(tag) => tagged_plan(&branches, tag),
            None => untagged_plan(&branches),
        };
        if !multipart {
            // Stable: ties keep the spec's order.
            planned.sort_by_key(|p| p.order);
        }
        resolve_names(&mut planned, hint);
        let taken: Vec<String> = planned.iter().map(|p| p.name().to_owned()).collect();
        let catch_all = catch_all(|n| taken.iter().any(|t| t == n));

        let mut variants = Vec::new();
        let mut nullable = false;
        for plan in &planned {
            let branch = &branches[plan.branch];
            let name = plan.name().to_owned();
            let (payload, nested_union) = match &plan.keyword {
                Some(keyword) => (Payload::Keyword(keyword.clone()), false),
                None => {
                    let mut ty =
                        self.schema(branch.schema, &branch.at, &format!("{hint}{name}"))?;
                    if let TypeRef::Nullable(inner) = ty {
                        nullable = true;
                        ty = *inner;
                    }
                    let nested = matches!(ty.non_null(), TypeRef::Named(n)
                        if matches!(self.types.get(n), Some((TypeDef::Union(_), _))));
                    (Payload::Type(ty), nested)
                }
            };
            let doc = match &plan.keyword {
                Some(keyword) => Some(format!("`{keyword}`")),
                None => branch.doc.clone(),
            };
            variants.push(UnionVariant {
                name,
                doc,
                payload,
                shape: plan.shape.clone(),
                nested_union,
            });
        }
        let dispatch = match tag {
            Some(property) => {
                let mut values: Vec<(String, Vec<usize>)> = Vec::new();
                for (index, plan) in planned.iter().enumerate() {
                    for value in &plan.tag_values {
                        match values.iter_mut().find(|(v, _)| v == value) {
                            Some((_, indices)) => indices.push(index),
                            None => values.push((value.clone(), vec![index])),
                        }
                    }
                }
                let absent = planned
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.tag_optional)
                    .map(|(i, _)| i)
                    .collect();
                UnionDispatch::Tagged {
                    property,
                    values,
                    absent,
                }
            }
            None => UnionDispatch::Untagged,
        };
        let def = TypeDef::Union(UnionDef {
            name: hint.to_owned(),
            doc,
            dispatch,
            variants,
            catch_all,
            multipart,
        });
        let ty = self.register(def, at)?;
        Ok(if nullable { ty.nullable() } else { ty })
    }

    /// The property that tells the branches apart: the `discriminator`, else
    /// `type`, else the first (by name) that every branch has as a constant.
    fn find_tag(
        &mut self,
        schema: &Value,
        branches: &[Branch<'s>],
        at: &Pointer,
    ) -> Option<String> {
        let qualifies = |property: &str| {
            branches.iter().all(|b| {
                b.probe.leaves().iter().all(|leaf| match leaf {
                    Probe::Object(info) => info.values(property).is_some(),
                    _ => false,
                })
            })
        };
        let discriminator = get(schema, "discriminator").and_then(|d| text(d, "propertyName"));
        if let Some(property) = discriminator {
            if qualifies(&property) {
                return Some(property);
            }
            self.warn(
                &at.join("discriminator"),
                format!(
                    "discriminator property `{property}` is not a constant in every branch; the union is untagged"
                ),
            );
            return None;
        }
        if qualifies("type") {
            return Some("type".to_owned());
        }
        let first = branches.first()?.probe.leaves();
        let Some(Probe::Object(info)) = first.first() else {
            return None;
        };
        let mut names: Vec<&str> = info.props.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.into_iter().find(|n| qualifies(n)).map(str::to_owned)
    }
}

/// Variants of a tagged union: one per branch.
fn tagged_plan(branches: &[Branch<'_>], tag: &str) -> Vec<Planned> {
    branches
        .iter()
        .enumerate()
        .map(|(index, branch)| {
            let leaves = branch.probe.leaves();
            let infos: Vec<&ObjectInfo> = leaves
                .iter()
                .filter_map(|l| match l {
                    Probe::Object(info) => Some(info),
                    _ => None,
                })
                .collect();
            let mut tag_values: Vec<String> = Vec::new();
            for info in &infos {
                for value in info.values(tag).into_iter().flatten() {
                    if !tag_values.contains(value) {
                        tag_values.push(value.clone());
                    }
                }
            }
            let tag_optional = infos
                .iter()
                .any(|info| !info.required.iter().any(|r| r == tag));
            let mut names = branch.names.clone();
            if let [one] = &tag_values[..] {
                names.push(camel(one));
            }
            names.push(branch.probe.type_name());
            Planned {
                branch: index,
                keyword: None,
                names,
                choice: 0,
                shape: common_shape(&infos),
                order: branch.probe.order(),
                tag_values,
                tag_optional,
            }
        })
        .collect()
}

/// Variants of an untagged union: one per branch, or one per value of an
/// inline, untitled string enum (`none | auto | required | {object}`).
fn untagged_plan(branches: &[Branch<'_>]) -> Vec<Planned> {
    let mut planned = Vec::new();
    for (index, branch) in branches.iter().enumerate() {
        let plain = |keyword: Option<String>, names: Vec<String>, shape: ShapeDef, order| Planned {
            branch: index,
            keyword,
            names,
            choice: 0,
            shape,
            order,
            tag_values: Vec::new(),
            tag_optional: false,
        };
        let mut names = branch.names.clone();
        let order = branch.probe.order();
        match &branch.probe {
            Probe::Str { values, constant } if *constant || branch.names.is_empty() => {
                if values.is_empty() {
                    names.push("String".to_owned());
                    planned.push(plain(None, names, ShapeDef::String, order));
                    continue;
                }
                for value in values {
                    let mut names = if *constant { names.clone() } else { Vec::new() };
                    names.push(camel(value));
                    planned.push(plain(
                        Some(value.clone()),
                        names,
                        ShapeDef::StringIn(vec![value.clone()]),
                        Probe::Str {
                            values: Vec::new(),
                            constant: true,
                        }
                        .order(),
                    ));
                }
            }
            probe => {
                names.push(probe.type_name());
                planned.push(plain(None, names, shape_of(probe), order));
            }
        }
    }
    planned
}

/// The shape of a branch in an untagged union.
fn shape_of(probe: &Probe) -> ShapeDef {
    match probe {
        Probe::Null => ShapeDef::Null,
        Probe::Any | Probe::File => ShapeDef::Any,
        Probe::Str { .. } => ShapeDef::String,
        Probe::Int => ShapeDef::Integer,
        Probe::Num => ShapeDef::Number,
        Probe::Bool => ShapeDef::Boolean,
        Probe::Array(..) => ShapeDef::Array,
        Probe::Object(info) => common_shape(&[info]),
        Probe::Union(_) => {
            let leaves = probe.leaves();
            let infos: Vec<&ObjectInfo> = leaves
                .iter()
                .filter_map(|l| match l {
                    Probe::Object(info) => Some(info),
                    _ => None,
                })
                .collect();
            if infos.len() == leaves.len() {
                common_shape(&infos)
            } else if leaves.iter().all(|l| matches!(l, Probe::Str { .. })) {
                ShapeDef::String
            } else {
                ShapeDef::Any
            }
        }
    }
}

/// The object shape every one of `infos` matches: the keys all require,
/// and the closed string properties all have (values joined).
fn common_shape(infos: &[&ObjectInfo]) -> ShapeDef {
    let Some((first, rest)) = infos.split_first() else {
        return ShapeDef::Any;
    };
    let required = first
        .required
        .iter()
        .filter(|r| rest.iter().all(|i| i.required.contains(r)))
        .cloned()
        .collect();
    let closed = first
        .closed()
        .into_iter()
        .filter_map(|(name, mut values)| {
            for info in rest {
                for value in info.values(&name)? {
                    if !values.contains(value) {
                        values.push(value.clone());
                    }
                }
            }
            Some((name, values))
        })
        .collect();
    ShapeDef::Object { required, closed }
}

/// Picks each variant's name: variants that would share a name move on to
/// their next candidate, together, until none do; the enum's own name is
/// stripped from the start or end (clippy's `enum_variant_names`) where
/// that leaves a unique name.
fn resolve_names(planned: &mut [Planned], union: &str) {
    for _ in 0..8 {
        let mut moved = false;
        for i in 0..planned.len() {
            let clash: Vec<usize> = (0..planned.len())
                .filter(|&j| planned[j].name() == planned[i].name())
                .collect();
            if clash.len() < 2 {
                continue;
            }
            for j in clash {
                if planned[j].choice + 1 < planned[j].names.len() {
                    planned[j].choice += 1;
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    // Still clashing after every candidate: number them, 1-based.
    let names: Vec<String> = planned.iter().map(|p| p.name().to_owned()).collect();
    for (i, name) in names.iter().enumerate() {
        let clash: Vec<usize> = (0..names.len()).filter(|&j| names[j] == *name).collect();
        if clash.len() > 1 {
            let position = clash.iter().position(|&j| j == i).expect("in the list") + 1;
            let numbered = format!("{name}{position}");
            planned[i].names.push(numbered);
            planned[i].choice = planned[i].names.len() - 1;
        }
    }
    for i in 0..planned.len() {
        let stripped = strip_enum_name(planned[i].name(), union);
        if let Some(stripped) = stripped
            && !planned.iter().any(|p| p.name() == stripped)
        {
            planned[i].names.push(stripped);
            planned[i].choice = planned[i].names.len() - 1;
        }
    }
}

/// `name` without the enum's name at its start or end (`McpTool` in `Tool`
/// -> `Mcp`), when it has it there on a word boundary.
fn strip_enum_name(name: &str, union: &str) -> Option<String> {
    if name == union || union.is_empty() {
        return None;
    }
    if let Some(rest) = name.strip_prefix(union)
        && rest.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Some(rest.to_owned());
    }
    if let Some(rest) = name.strip_suffix(union)
        && !rest.is_empty()
        && !rest.ends_with(|c: char| c.is_ascii_digit())
        && union.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Some(rest.to_owned());
    }
    None
}

/// Whether a title can name a variant: not a JSON type name, not a sentence.
fn usable_title(title: &str) -> bool {
    !TYPE_TITLES.contains(&title.to_ascii_lowercase().as_str())
        && title.split_whitespace().count() <= 6
        && !title.contains(',')
        && !camel(title).is_empty()
}
