//! Schemas -> types: references, `allOf` merges, objects, enums, constants
//! and scalars. Unions are in [`super::union`].

use serde_yaml::{Mapping, Value};

use super::*;

/// Numeric keywords whose values the generator reads (and warns about when
/// they cannot be what they say).
const NUMERIC_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "default",
    "const",
];

/// 2^63, just beyond `i64::MAX` (-2^63 is `i64::MIN`, but the spec's
/// `-9223372036854776000` arrives as a float and is reported too).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// An object schema with its `allOf` members merged: what a struct is made of.
pub(super) struct Merged<'s> {
    /// Properties in first-appearance order, each with every declaration.
    pub props: Vec<Prop<'s>>,
    /// Every member's `required` names, with their pointers.
    pub required: Vec<(String, Pointer)>,
    /// `additionalProperties` schemas, with their pointers.
    pub extra: Vec<(&'s Value, Pointer)>,
}

/// One property of a merged object.
pub(super) struct Prop<'s> {
    pub name: String,
    /// Its declarations, in member order; the last one wins.
    pub decls: Vec<(&'s Value, Pointer)>,
}

impl<'s> Prop<'s> {
    /// The declaration that counts.
    pub fn last(&self) -> (&'s Value, &Pointer) {
        let (schema, at) = self.decls.last().expect("a property has a declaration");
        (*schema, at)
    }
}

/// What an `allOf` amounts to.
enum AllOf<'s> {
    /// One schema plus modifiers: that schema's type.
    Single {
        schema: &'s Value,
        at: Pointer,
        nullable: bool,
    },
    /// Several objects: one struct.
    Object(Merged<'s>),
}

impl<'s> Lowerer<'s> {
    /// A schema where it is used. `hint` names the type if it is an inline
    /// struct, enum, constant or union.
    pub(super) fn schema(
        &mut self,
        schema: &'s Value,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        self.schema_with(schema, at, hint, true)
    }

    /// [`Self::schema`]; without `unions`, `anyOf`/`oneOf` are not looked at
    /// (they were found to be validation rules only).
    pub(super) fn schema_with(
        &mut self,
        schema: &'s Value,
        at: &Pointer,
        hint: &str,
        unions: bool,
    ) -> Result<TypeRef> {
        if schema.as_bool() == Some(true) {
            return Ok(TypeRef::Any);
        }
        let Some(map) = schema.as_mapping() else {
            return Err(at.error("expected a schema (a mapping)"));
        };
        for keyword in UNSUPPORTED_KEYWORDS {
            if map.contains_key(*keyword) {
                return Err(at
                    .join(keyword)
                    .error(format!("`{keyword}` is not supported")));
            }
        }
        if let Some(not) = map.get("not")
            && !constraint_only(not)
        {
            return Err(at
                .join("not")
                .error("`not` is supported only around `required` (a validation rule)"));
        }
        self.check_numbers(map, at);
        let nullable = get(schema, "nullable").and_then(Value::as_bool) == Some(true);
        let ty = self.schema_inner(schema, map, at, hint, unions)?;
        Ok(if nullable { ty.nullable() } else { ty })
    }

    fn schema_inner(
        &mut self,
        schema: &'s Value,
        map: &'s Mapping,
        at: &Pointer,
        hint: &str,
        unions: bool,
    ) -> Result<TypeRef> {
        if let Some(reference) = map.get("$ref") {
            return self.reference(reference, &at.join("$ref"));
        }
        if map.contains_key("$recursiveRef") {
            let (name, _) = self.recursive_target(map, at)?;
            return self.component(&name, &at.join("$recursiveRef"));
        }
        if map.contains_key("allOf") {
            return self.all_of(schema, at, hint);
        }
        if unions {
            for keyword in ["anyOf", "oneOf"] {
                if map.contains_key(keyword) {
                    return self.union(schema, keyword, at, hint);
                }
            }
        }
        let (ty, nullable) = schema_type(schema, at)?;
        let lowered = if let Some(value) = map.get("const") {
            let value = value.as_str().ok_or_else(|| {
                at.join("const")
                    .error("only string constants are supported")
            })?;
            self.constant(value, schema, at, hint)?
        } else if let Some(values) = map.get("enum") {
            self.enumeration(values, ty, schema, &at.join("enum"), at, hint)?
        } else {
            match ty {
                Some("string") => match get(schema, "format").and_then(Value::as_str) {
                    Some("binary") if self.in_multipart => TypeRef::Binary,
                    Some("binary") => {
                        return Err(at.join("format").error(
                            "`format: binary` is only supported in multipart/form-data bodies",
                        ));
                    }
                    _ => TypeRef::String,
                },
                Some("integer") => TypeRef::Integer,
                Some("number") => TypeRef::Number,
                Some("boolean") => TypeRef::Boolean,
                Some("array") => match map.get("items") {
                    Some(items) => TypeRef::Array(Box::new(
                        self.schema(items, &at.join("items"), &format!("{hint}Item"))?
                            .unboxed(),
                    )),
                    None => TypeRef::Array(Box::new(TypeRef::Any)),
                },
                Some("object") => self.object(schema, at, hint)?,
                None if map.contains_key("properties")
                    || map.contains_key("additionalProperties") =>
                {
                    self.object(schema, at, hint)?
                }
                None => TypeRef::Any,
                Some("null") => TypeRef::Any.nullable(),
                Some(other) => {
                    return Err(at
                        .join("type")
                        .error(format!("type `{other}` is not supported")));
                }
            }
        };
        Ok(if nullable {
            lowered.nullable()
        } else {
            lowered
        })
    }

    fn reference(&mut self, reference: &Value, at: &Pointer) -> Result<TypeRef> {
        let name = self.reference_name(reference, at)?;
        self.component(&name, at)
    }

    /// The component a `$ref` names (`#/components/schemas/X` -> `X`).
    pub(super) fn reference_name(&self, reference: &Value, at: &Pointer) -> Result<String> {
        let text = reference
            .as_str()
            .ok_or_else(|| at.error("`$ref` must be a string"))?;
        let name = text.strip_prefix(SCHEMA_REF).ok_or_else(|| {
            at.error(format!(
                "only references to `{SCHEMA_REF}...` are supported, not `{text}`"
            ))
        })?;
        let name = Pointer::unescape(name);
        if self.component_schema(&name).is_none() {
            return Err(at.error(format!("`{text}` does not exist")));
        }
        Ok(name)
    }

    /// `#/components/schemas/<name>`, if it exists.
    pub(super) fn component_schema(&self, name: &str) -> Option<&'s Value> {
        get(self.spec, "components")
            .and_then(|c| get(c, "schemas"))
            .and_then(|s| get(s, name))
    }

    /// The type of the component schema `name`, lowered once.
    fn component(&mut self, name: &str, at: &Pointer) -> Result<TypeRef> {
        if let Some(ty) = self.components.get(name) {
            return Ok(ty.clone());
        }
        let rust = camel(name);
        if self.in_progress.iter().any(|n| n == name) {
            return Ok(TypeRef::Boxed(Box::new(TypeRef::Named(rust))));
        }
        let target = self
            .component_schema(name)
            .ok_or_else(|| at.error(format!("`{SCHEMA_REF}{name}` does not exist")))?;
        let target_at = component_pointer(name);
        self.in_progress.push(name.to_owned());
        let ty = self.schema(target, &target_at, &rust);
        self.in_progress.pop();
        let ty = ty?;
        self.components.insert(name.to_owned(), ty.clone());
        Ok(ty)
    }

    /// The component a `$recursiveRef: "#"` stands for: the nearest one
    /// being lowered that carries `$recursiveAnchor: true`, else the
    /// innermost one (JSON Schema 2019-09; 2020-12 calls it
    /// `$dynamicRef`). Warns, since a 3.1 document should not use it.
    pub(super) fn recursive_target(
        &mut self,
        map: &Mapping,
        at: &Pointer,
    ) -> Result<(String, Pointer)> {
        let at = at.join("$recursiveRef");
        if map.get("$recursiveRef").and_then(Value::as_str) != Some("#") {
            return Err(at.error("only `$recursiveRef: \"#\"` is supported"));
        }
        let anchored = self.in_progress.iter().rev().find(|name| {
            self.component_schema(name)
                .and_then(|s| get(s, "$recursiveAnchor"))
                .and_then(Value::as_bool)
                == Some(true)
        });
        let Some(name) = anchored.or(self.in_progress.last()).cloned() else {
            return Err(at.error("`$recursiveRef` outside of a component schema"));
        };
        let target = component_pointer(&name);
        let anchor = if anchored.is_some() {
            ", which carries `$recursiveAnchor: true`"
        } else {
            ", the enclosing schema"
        };
        self.warn(
            &at,
            format!(
                "`$recursiveRef` is JSON Schema 2019-09, not 2020-12; read as a reference to `{target}`{anchor}"
            ),
        );
        Ok((name, target))
    }

    /// Follows `$ref`s (and `$recursiveRef`s) to the schema they name.
    /// Returns it with its pointer and the first component named on the way.
    pub(super) fn deref(
        &self,
        schema: &'s Value,
        at: &Pointer,
    ) -> Result<(&'s Value, Pointer, Option<String>)> {
        let mut current = (schema, at.clone());
        let mut first = None;
        for _ in 0..32 {
            let (schema, at) = &current;
            let name = if let Some(reference) = get(schema, "$ref") {
                self.reference_name(reference, &at.join("$ref"))?
            } else if get(schema, "$recursiveRef").is_some() {
                let anchored = self.in_progress.iter().rev().find(|name| {
                    self.component_schema(name)
                        .and_then(|s| get(s, "$recursiveAnchor"))
                        .and_then(Value::as_bool)
                        == Some(true)
                });
                match anchored.or(self.in_progress.last()) {
                    Some(name) => name.clone(),
                    None => return Ok((schema, at.clone(), first)),
                }
            } else {
                return Ok((schema, at.clone(), first));
            };
            let target = self.component_schema(&name).expect("checked");
            first.get_or_insert_with(|| name.clone());
            current = (target, component_pointer(&name));
        }
        Err(at.error("`$ref` chain too long (a loop?)"))
    }

    /// Warns about integer bounds beyond `i64` and 3.0-style boolean
    /// `exclusiveMinimum`/`exclusiveMaximum`. Neither changes a type.
    fn check_numbers(&mut self, map: &Mapping, at: &Pointer) {
        let integer = map.get("type").and_then(Value::as_str) == Some("integer");
        for keyword in NUMERIC_KEYWORDS {
            let Some(value) = map.get(*keyword) else {
                continue;
            };
            if let (Some(flag), Some(bound)) = (
                value.as_bool(),
                match *keyword {
                    "exclusiveMinimum" => Some("minimum"),
                    "exclusiveMaximum" => Some("maximum"),
                    _ => None,
                },
            ) {
                let read = match (flag, map.get(bound).and_then(number_text)) {
                    (true, Some(limit)) => format!("read as `{keyword}: {limit}`"),
                    (true, None) => format!("ignored, as there is no `{bound}`"),
                    (false, _) => "ignored".to_owned(),
                };
                self.warn(
                    &at.join(keyword),
                    format!("boolean `{keyword}` is OpenAPI 3.0 style; {read}"),
                );
                continue;
            }
            let Value::Number(number) = value else {
                continue;
            };
            if !integer || number.as_i64().is_some() {
                continue;
            }
            let shown = number_text(value).unwrap_or_default();
            let (read, name) = match number.as_u64() {
                Some(_) => (i64::MAX, "i64::MAX"),
                None => match number.as_f64() {
                    Some(f) if f >= TWO_POW_63 => (i64::MAX, "i64::MAX"),
                    Some(f) if f <= -TWO_POW_63 => (i64::MIN, "i64::MIN"),
                    // A fraction within range: not an integer, but no range problem.
                    _ => continue,
                },
            };
            self.warn(
                &at.join(keyword),
                format!("{shown} is outside the 64-bit integer range; read as {read} ({name})"),
            );
        }
    }

    fn all_of(&mut self, schema: &'s Value, at: &Pointer, hint: &str) -> Result<TypeRef> {
        match self.merge_all_of(schema, at)? {
            AllOf::Single {
                schema: item,
                at: item_at,
                nullable,
            } => {
                let ty = self.schema(item, &item_at, hint)?;
                Ok(if nullable { ty.nullable() } else { ty })
            }
            AllOf::Object(merged) => self.merged_object(merged, schema, at, hint),
        }
    }

    /// Flattens an `allOf` into its members: one schema, or objects to merge.
    fn merge_all_of(&self, schema: &'s Value, at: &Pointer) -> Result<AllOf<'s>> {
        let items = get(schema, "allOf")
            .and_then(Value::as_sequence)
            .ok_or_else(|| at.join("allOf").error("`allOf` must be a list"))?;
        let host_object = has_own_fields(schema);
        let mut nullable = false;
        let real: Vec<(usize, &'s Value)> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| {
                if modifier_only(item) {
                    nullable |= get(item, "nullable").and_then(Value::as_bool) == Some(true);
                    false
                } else {
                    true
                }
            })
            .collect();
        if let ([(i, item)], false) = (&real[..], host_object) {
            return Ok(AllOf::Single {
                schema: item,
                at: at.join("allOf").join(&i.to_string()),
                nullable,
            });
        }
        let mut members = Vec::new();
        self.flatten(schema, at, &mut members, 0)?;
        Ok(AllOf::Object(self.merge(members)?))
    }

    /// The object members of an `allOf`, depth first, with the host's own
    /// `properties`/`required` last.
    fn flatten(
        &self,
        schema: &'s Value,
        at: &Pointer,
        out: &mut Vec<(&'s Value, Pointer)>,
        depth: usize,
    ) -> Result<()> {
        if depth > 16 {
            return Err(at.error("`allOf` nested too deeply (a loop?)"));
        }
        let items = get(schema, "allOf")
            .and_then(Value::as_sequence)
            .ok_or_else(|| at.join("allOf").error("`allOf` must be a list"))?;
        for (i, item) in items.iter().enumerate() {
            if modifier_only(item) {
                continue;
            }
            let item_at = at.join("allOf").join(&i.to_string());
            let (target, target_at, _) = self.deref(item, &item_at)?;
            if get(target, "allOf").is_some() {
                self.flatten(target, &target_at, out, depth + 1)?;
                continue;
            }
            if self.real_branches(target).len() > 1 {
                return Err(item_at.error("`allOf` with a union member is not supported"));
            }
            if !object_like(target) {
                return Err(
                    item_at.error("`allOf` merges objects only; this member is not an object")
                );
            }
            out.push((target, target_at));
        }
        if has_own_fields(schema) {
            out.push((schema, at.clone()));
        }
        Ok(())
    }

    /// Merges object members: properties in first-appearance order, the
    /// last declaration winning; `required` from every member.
    fn merge(&self, members: Vec<(&'s Value, Pointer)>) -> Result<Merged<'s>> {
        let mut merged = Merged {
            props: Vec::new(),
            required: Vec::new(),
            extra: Vec::new(),
        };
        for (member, at) in members {
            if let Some(properties) = get(member, "properties") {
                let properties = properties.as_mapping().ok_or_else(|| {
                    at.join("properties")
                        .error("`properties` must be a mapping")
                })?;
                for (key, property) in properties {
                    let name = key_text(key).ok_or_else(|| {
                        at.join("properties")
                            .error("property names must be strings")
                    })?;
                    let prop_at = at.join("properties").join(&name);
                    match merged.props.iter_mut().find(|p| p.name == name) {
                        Some(prop) => prop.decls.push((property, prop_at)),
                        None => merged.props.push(Prop {
                            name,
                            decls: vec![(property, prop_at)],
                        }),
                    }
                }
            }
            if let Some(list) = get(member, "required") {
                let list = list
                    .as_sequence()
                    .ok_or_else(|| at.join("required").error("`required` must be a list"))?;
                for (i, name) in list.iter().enumerate() {
                    let name = scalar_text(name).ok_or_else(|| {
                        at.join("required")
                            .join(&i.to_string())
                            .error("`required` must list property names")
                    })?;
                    merged
                        .required
                        .push((name, at.join("required").join(&i.to_string())));
                }
            }
            if let Some(extra) = get(member, "additionalProperties") {
                merged.extra.push((extra, at.join("additionalProperties")));
            }
        }
        Ok(merged)
    }

    /// The merged members of an object schema (itself, if it has no `allOf`).
    pub(super) fn merge_one(&self, schema: &'s Value, at: &Pointer) -> Result<Merged<'s>> {
        if get(schema, "allOf").is_none() {
            return self.merge(vec![(schema, at.clone())]);
        }
        match self.merge_all_of(schema, at)? {
            AllOf::Object(merged) => Ok(merged),
            AllOf::Single { schema, at, .. } => {
                let (target, target_at, _) = self.deref(schema, &at)?;
                self.merge_one(target, &target_at)
            }
        }
    }

    fn object(&mut self, schema: &'s Value, at: &Pointer, hint: &str) -> Result<TypeRef> {
        let merged = self.merge(vec![(schema, at.clone())])?;
        self.merged_object(merged, schema, at, hint)
    }

    /// A struct from merged members, or a map when there are no properties.
    fn merged_object(
        &mut self,
        merged: Merged<'s>,
        schema: &'s Value,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        // `additionalProperties: false` only forbids what we never send; `{}`
        // and `true` say nothing beside properties.
        let extra_schema = merged
            .extra
            .iter()
            .find(|(e, _)| e.as_mapping().is_some_and(|m| !m.is_empty()));
        if merged.props.is_empty() {
            return Ok(match extra_schema {
                Some((value, extra_at)) => TypeRef::Map(Box::new(
                    self.schema(value, extra_at, &format!("{hint}Value"))?
                        .unboxed(),
                )),
                None => TypeRef::Map(Box::new(TypeRef::Any)),
            });
        }
        if let Some((_, extra_at)) = extra_schema {
            return Err(
                extra_at.error("`additionalProperties` next to `properties` is not supported")
            );
        }
        let mut required: Vec<&str> = Vec::new();
        for (name, name_at) in &merged.required {
            if merged.props.iter().any(|p| p.name == *name) {
                required.push(name);
            } else {
                self.warn(
                    name_at,
                    format!("required property `{name}` is not in `properties`; ignored"),
                );
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        for prop in &merged.props {
            let (property, field_at) = prop.last();
            if sdk_only(property) {
                continue;
            }
            let api_name = prop.name.clone();
            let name = snake(&api_name);
            if let Some(other) = fields.iter().find(|f| f.name == name) {
                return Err(field_at.error(format!(
                    "properties `{}` and `{api_name}` are both the field `{name}`",
                    other.api_name
                )));
            }
            if prop.decls.len() > 1 {
                self.check_redeclared(prop);
            }
            let field_at = field_at.clone();
            let mut ty =
                self.schema(property, &field_at, &format!("{hint}{}", camel(&api_name)))?;
            if prop.decls.iter().any(|(d, _)| self.nullable_decl(d)) {
                ty = ty.nullable();
            }
            let deprecated = prop.decls.iter().any(|(d, _)| self.deprecated_decl(d));
            let listed = required.contains(&api_name.as_str());
            if listed && deprecated {
                self.warn(
                    &field_at,
                    format!(
                        "required property `{api_name}` is deprecated; it is optional in the model so that replies without it still decode"
                    ),
                );
            }
            let doc = prop
                .decls
                .iter()
                .rev()
                .find_map(|(d, _)| description(d).or_else(|| self.referenced_description(d)));
            fields.push(Field {
                name,
                required: listed && !deprecated,
                api_name,
                ty,
                doc,
                deprecated,
                // Planned once every type is known (`plan_fields.rs`).
                kind: FieldKind::Json,
                default_when_absent: false,
                facts: self.facts(property),
            });
        }
        let def = TypeDef::Struct(StructDef {
            name: hint.to_owned(),
            doc: text(schema, "description"),
            fields,
            kind: StructKind::Json,
        });
        self.register(def, at)
    }

    /// W7: a property several `allOf` members declare differently.
    fn check_redeclared(&mut self, prop: &Prop<'s>) {
        let signatures: Vec<(Option<String>, Option<Vec<String>>)> = prop
            .decls
            .iter()
            .map(|(d, at)| self.signature(d, at))
            .collect();
        let (last, last_at) = prop.last();
        let (last_type, last_values) = self.signature(last, last_at);
        for ((earlier_type, earlier_values), (_, earlier_at)) in
            signatures.iter().zip(&prop.decls).rev().skip(1)
        {
            let what = match (earlier_type, &last_type, earlier_values, &last_values) {
                (Some(a), Some(b), _, _) if a != b => "types",
                (_, _, Some(a), Some(b)) if a != b => "values",
                _ => continue,
            };
            let message = format!(
                "property `{}` is declared with different {what} in allOf members ({earlier_at}); using the later one",
                prop.name
            );
            let last_at = last_at.clone();
            self.warn(&last_at, message);
            return;
        }
    }

    /// A declaration's JSON type and, for a string enum, its sorted values.
    fn signature(&self, schema: &'s Value, at: &Pointer) -> (Option<String>, Option<Vec<String>>) {
        let Ok((schema, _, _)) = self.deref(schema, at) else {
            return (None, None);
        };
        let schema = self.non_null_branch(schema).unwrap_or(schema);
        let Ok((schema, _, _)) = self.deref(schema, at) else {
            return (None, None);
        };
        let ty = match get(schema, "type") {
            Some(Value::String(t)) => Some(t.clone()),
            _ if get(schema, "properties").is_some() => Some("object".to_owned()),
            _ => None,
        };
        let values = get(schema, "enum").and_then(Value::as_sequence).map(|v| {
            let mut values: Vec<String> = v.iter().filter_map(scalar_text).collect();
            values.sort();
            values
        });
        (ty, values)
    }

    /// `X` of `anyOf: [X, {type: null}]` (or `oneOf`).
    pub(super) fn non_null_branch(&self, schema: &'s Value) -> Option<&'s Value> {
        let branches = self.real_branches(schema);
        match branches[..] {
            [(_, one)] if branches_of(schema).is_some_and(|all| all.len() > 1) => Some(one),
            _ => None,
        }
    }

    /// Whether a declaration allows `null`: `nullable: true`, a `null`
    /// branch, or `type: [X, "null"]`, here or beside a `$ref`.
    fn nullable_decl(&self, schema: &'s Value) -> bool {
        get(schema, "nullable").and_then(Value::as_bool) == Some(true)
            || branches_of(schema).is_some_and(|b| b.iter().any(is_null_schema))
            || get(schema, "type")
                .and_then(Value::as_sequence)
                .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("null")))
            || get(schema, "allOf")
                .and_then(Value::as_sequence)
                .is_some_and(|items| {
                    items.iter().any(|i| {
                        modifier_only(i)
                            && get(i, "nullable").and_then(Value::as_bool) == Some(true)
                    })
                })
    }

    /// Whether a declaration is deprecated: on itself, beside its `$ref`,
    /// or on the schema it refers to.
    fn deprecated_decl(&self, schema: &'s Value) -> bool {
        let flag = |s: &Value| get(s, "deprecated").and_then(Value::as_bool) == Some(true);
        flag(schema)
            || self
                .deref(schema, &Pointer::root("#"))
                .is_ok_and(|(target, _, _)| flag(target))
    }

    pub(super) fn enumeration(
        &mut self,
        values: &Value,
        ty: Option<&str>,
        schema: &Value,
        enum_at: &Pointer,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        let list = values
            .as_sequence()
            .ok_or_else(|| enum_at.error("`enum` must be a list"))?;
        let integer = match ty {
            None | Some("string") => false,
            Some("integer") => true,
            Some(_) => return Err(enum_at.error("only string and integer enums are supported")),
        };
        let mut listed: Vec<(usize, String)> = Vec::new();
        let mut nullable = false;
        for (i, value) in list.iter().enumerate() {
            match value {
                Value::Null => nullable = true,
                Value::String(s) if !integer => listed.push((i, s.clone())),
                Value::Number(n) if integer && n.as_i64().is_some() => {
                    listed.push((i, n.to_string()));
                }
                _ => {
                    let what = if integer { "integer" } else { "string" };
                    return Err(enum_at.join(&i.to_string()).error(format!(
                        "every value of this enum must be a {what}; mixed enums are not supported"
                    )));
                }
            }
        }
        let constant =
            get(schema, "x-stainless-const").and_then(Value::as_bool) == Some(true) && !integer;
        let lowered = match &listed[..] {
            [] => return Err(enum_at.error("`enum` lists no values")),
            // A one-value enum is a constant only where the spec says so: an
            // open enum keeps a second value the API may add later.
            [(_, one)] if constant => self.constant(one, schema, at, hint)?,
            _ => {
                let repr = if integer {
                    EnumRepr::Integer
                } else {
                    EnumRepr::String
                };
                let def =
                    self.enum_def(hint, text(schema, "description"), repr, &listed, enum_at)?;
                self.register(TypeDef::Enum(def), at)?
            }
        };
        Ok(if nullable {
            lowered.nullable()
        } else {
            lowered
        })
    }

    /// An open enum of `values` (each with its index in the spec's list).
    pub(super) fn enum_def(
        &mut self,
        name: &str,
        doc: Option<String>,
        repr: EnumRepr,
        values: &[(usize, String)],
        enum_at: &Pointer,
    ) -> Result<EnumDef> {
        let mut variants: Vec<Variant> = Vec::new();
        let mut unknown_at = None;
        for (i, value) in values {
            let variant = camel(value);
            if let Some(other) = variants.iter().find(|v| v.name == variant) {
                if other.value == *value {
                    continue;
                }
                return Err(enum_at.join(&i.to_string()).error(format!(
                    "values `{}` and `{value}` are both the variant `{variant}`",
                    other.value
                )));
            }
            if variant == "Unknown" {
                unknown_at = Some((enum_at.join(&i.to_string()), value.clone()));
            }
            variants.push(Variant {
                name: variant,
                value: value.clone(),
            });
        }
        let other = catch_all(|n| variants.iter().any(|v| v.name == n));
        if let Some((value_at, value)) = unknown_at {
            self.warn(
                &value_at,
                format!(
                    "the value `{value}` is the variant `Unknown`; the variant for unlisted values is named `{other}`"
                ),
            );
        }
        Ok(EnumDef {
            name: name.to_owned(),
            doc,
            repr,
            variants,
            other,
        })
    }

    pub(super) fn constant(
        &mut self,
        value: &str,
        schema: &Value,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        let def = TypeDef::Const(ConstDef {
            name: hint.to_owned(),
            doc: text(schema, "description"),
            value: value.to_owned(),
        });
        self.register(def, at)
    }

    /// The description of the schema a property refers to, for a property
    /// that has none of its own.
    pub(super) fn referenced_description(&self, property: &'s Value) -> Option<String> {
        let reference = get(property, "$ref").or_else(|| {
            get(property, "allOf")?
                .as_sequence()?
                .iter()
                .find_map(|item| get(item, "$ref"))
        })?;
        let name = Pointer::unescape(reference.as_str()?.strip_prefix(SCHEMA_REF)?);
        text(self.component_schema(&name)?, "description")
    }

    /// What `schema` says its value must be: its own keywords first, then
    /// those of what it refers to, of its `allOf` members, and of the one
    /// schema of a union with `null`.
    pub(super) fn facts(&self, schema: &'s Value) -> Facts {
        let mut facts = Facts::default();
        self.collect_facts(schema, &mut facts, 0);
        facts
    }

    fn collect_facts(&self, schema: &'s Value, facts: &mut Facts, depth: usize) {
        if depth > 16 {
            return;
        }
        let number = |key: &str| get(schema, key).and_then(Value::as_f64);
        let count = |key: &str| get(schema, key).and_then(Value::as_u64);
        let flag = |key: &str| get(schema, key).and_then(Value::as_bool) == Some(true);
        let json = |key: &str| get(schema, key).and_then(|v| serde_json::to_value(v).ok());
        let bound = |plain: &str, exclusive: &str| match number(exclusive) {
            Some(limit) => Some((limit, true)),
            None => number(plain).map(|limit| (limit, flag(exclusive))),
        };
        facts.minimum = facts.minimum.or(bound("minimum", "exclusiveMinimum"));
        facts.maximum = facts.maximum.or(bound("maximum", "exclusiveMaximum"));
        facts.min_length = facts.min_length.or(count("minLength"));
        facts.max_length = facts.max_length.or(count("maxLength"));
        facts.min_items = facts.min_items.or(count("minItems"));
        facts.max_items = facts.max_items.or(count("maxItems"));
        if facts.pattern.is_none() {
            facts.pattern = text(schema, "pattern");
        }
        if facts.format.is_none() {
            facts.format = text(schema, "format");
        }
        if facts.example.is_none() {
            facts.example = json("example").or_else(|| {
                get(schema, "examples")
                    .and_then(Value::as_sequence)
                    .and_then(|all| all.first())
                    .and_then(|v| serde_json::to_value(v).ok())
            });
        }
        if facts.default.is_none() {
            facts.default = json("default");
        }
        if let Ok((target, _, _)) = self.deref(schema, &Pointer::root("#"))
            && !std::ptr::eq(target, schema)
        {
            self.collect_facts(target, facts, depth + 1);
        }
        if let Some(members) = get(schema, "allOf").and_then(Value::as_sequence) {
            for member in members {
                self.collect_facts(member, facts, depth + 1);
            }
        }
        if let [(_, only)] = self.real_branches(schema).as_slice() {
            self.collect_facts(only, facts, depth + 1);
        }
    }

    /// The branches of a `oneOf`/`anyOf` that are schemas: not `null`, not
    /// only a validation rule (`required`), with their indices.
    pub(super) fn real_branches(&self, schema: &'s Value) -> Vec<(usize, &'s Value)> {
        branches_of(schema)
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| !is_null_schema(b) && !constraint_only(b))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `#/components/schemas/<name>`.
pub(super) fn component_pointer(name: &str) -> Pointer {
    Pointer::root("#")
        .join("components")
        .join("schemas")
        .join(name)
}

/// The list of `anyOf` or `oneOf`, whichever the schema has.
pub(super) fn branches_of(schema: &Value) -> Option<&Vec<Value>> {
    get(schema, "anyOf")
        .or_else(|| get(schema, "oneOf"))
        .and_then(Value::as_sequence)
}

/// `{type: "null"}`, maybe with a description or title.
pub(super) fn is_null_schema(schema: &Value) -> bool {
    get(schema, "type").and_then(Value::as_str) == Some("null")
}

/// A schema that only states a validation rule: `required`, `not` around
/// one, or a union of such (plus words). It adds no type.
pub(super) fn constraint_only(schema: &Value) -> bool {
    let Some(map) = schema.as_mapping() else {
        return false;
    };
    let mut rule = false;
    for (key, value) in map {
        match key.as_str() {
            Some("required") => rule = true,
            Some("description" | "title") => {}
            Some("not") if constraint_only(value) => rule = true,
            Some("anyOf" | "oneOf")
                if value
                    .as_sequence()
                    .is_some_and(|items| items.iter().all(constraint_only)) =>
            {
                rule = true;
            }
            _ => return false,
        }
    }
    rule
}

/// An `allOf` item that only adds words or `nullable`.
pub(super) fn modifier_only(item: &Value) -> bool {
    item.as_mapping().is_some_and(|m| {
        m.keys()
            .all(|k| k.as_str().is_some_and(|k| MODIFIER_KEYS.contains(&k)))
    })
}

/// Whether the host of an `allOf` declares fields of its own.
fn has_own_fields(schema: &Value) -> bool {
    get(schema, "properties")
        .and_then(Value::as_mapping)
        .is_some_and(|p| !p.is_empty())
        || get(schema, "required").is_some()
}

/// A schema an `allOf` can merge: properties, `type: object`, or only a
/// validation rule.
fn object_like(schema: &Value) -> bool {
    get(schema, "properties").is_some()
        || get(schema, "type").and_then(Value::as_str) == Some("object")
        || get(schema, "additionalProperties").is_some()
        || constraint_only(schema)
}

/// A property the spec marks as computed by some SDKs
/// (`x-oaiSupportedSDKs`): the API never sends it.
fn sdk_only(property: &Value) -> bool {
    get(property, "x-oaiSupportedSDKs").is_some()
        || branches_of(property)
            .is_some_and(|b| b.iter().any(|b| get(b, "x-oaiSupportedSDKs").is_some()))
}

/// A number as the spec wrote it (beyond-`i64` integers arrive as `f64`,
/// which Rust prints in full: `-9223372036854776000`).
fn number_text(value: &Value) -> Option<String> {
    let Value::Number(n) = value else {
        return None;
    };
    Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) => f.to_string(),
        _ => n.to_string(),
    })
}
