//! Spec + config -> IR. Every check on the input happens here, so rendering
//! can trust the IR.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};

use crate::config::{self, Config, ResourceConfig};
use crate::error::{Error, Pointer, Result};
use crate::ir::*;
use crate::names::{camel, kebab, snake};

const SCHEMA_REF: &str = "#/components/schemas/";
const PARAMETER_REF: &str = "#/components/parameters/";
const BODY_REF: &str = "#/components/requestBodies/";

/// Keywords whose meaning the generator would silently lose.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "prefixItems",
    "patternProperties",
    "dependentSchemas",
    "unevaluatedProperties",
];

/// Keys that may sit next to a `$ref` in an `allOf` without adding a schema.
const MODIFIER_KEYS: &[&str] = &[
    "nullable",
    "description",
    "title",
    "deprecated",
    "default",
    "example",
    "examples",
    "readOnly",
    "writeOnly",
];

pub fn lower(spec: &Value, config: &Config) -> Result<Api> {
    if !spec.is_mapping() {
        return Err(Error::new("#", "the spec must be a YAML mapping"));
    }
    match get(spec, "openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.") => {}
        Some(version) => {
            return Err(Error::new(
                "#/openapi",
                format!("OpenAPI {version} is not supported; use 3.0 or 3.1"),
            ));
        }
        None => return Err(Error::new("#/openapi", "missing the `openapi` version")),
    }
    let mut lowerer = Lowerer {
        spec,
        types: BTreeMap::new(),
        components: BTreeMap::new(),
        in_progress: BTreeSet::new(),
        in_multipart: false,
    };
    let root = Pointer::root(&format!("{}#/resources", config::FILE));
    let mut resources = Vec::new();
    for (name, resource) in &config.resources {
        if snake(name) == SHARED_MODULE {
            return Err(root.join(name).error(format!(
                "a top-level resource cannot be named `{SHARED_MODULE}`: that module holds the models several resources share"
            )));
        }
        resources.push(lowerer.resource(name, resource, None, None, &root.join(name))?);
    }
    let types: BTreeMap<String, TypeDef> = lowerer
        .types
        .into_iter()
        .map(|(name, (def, _))| (name, def))
        .collect();
    name_handles(&mut resources, &types, &root)?;
    let mut api = Api {
        resources,
        types,
        model_modules: Vec::new(),
    };
    crate::plan_cli::plan(&mut api)?;
    crate::plan_modules::plan(&mut api);
    Ok(api)
}

/// The pointer into `generate.yaml` of the method `key`
/// (`uploads.parts.create`).
pub(crate) fn method_pointer(key: &str) -> Pointer {
    let mut at = Pointer::root(&format!("{}#/resources", config::FILE));
    let words: Vec<&str> = key.split('.').collect();
    if let [resources @ .., method] = &words[..] {
        for (i, resource) in resources.iter().enumerate() {
            if i > 0 {
                at = at.join("subresources");
            }
            at = at.join(resource);
        }
        at = at.join("methods").join(method);
    }
    at
}

/// Handles and models share the crate root, so their names must not meet:
/// a handle named like a model becomes `<Name>Handle`
/// (`client.organization().data_retention()` is an
/// `OrganizationDataRetentionHandle` beside the `OrganizationDataRetention`
/// model). Two handles with one name are an error.
fn name_handles(
    resources: &mut [Resource],
    types: &BTreeMap<String, TypeDef>,
    root: &Pointer,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(&mut Resource, Pointer)> = resources
        .iter_mut()
        .map(|r| {
            let at = root.join(&r.api_name);
            (r, at)
        })
        .collect();
    while let Some((resource, pointer)) = stack.pop() {
        if types.contains_key(&resource.type_name) {
            let name = format!("{}Handle", resource.type_name);
            resource.cli.command_type = format!("{name}Command");
            resource.cli.official_variant = name.clone();
            for op in &mut resource.operations {
                op.resource_type = name.clone();
            }
            resource.type_name = name;
        }
        if types.contains_key(&resource.type_name) || !seen.insert(resource.type_name.clone()) {
            return Err(pointer.error(format!(
                "two resources or a resource and a model are all named `{}` in Rust; rename the resource",
                resource.type_name
            )));
        }
        for sub in &mut resource.subresources {
            let at = pointer.join("subresources").join(&sub.api_name);
            stack.push((sub, at));
        }
    }
    Ok(())
}

struct Lowerer<'s> {
    spec: &'s Value,
    /// Models by Rust name, with the pointer they came from (to report
    /// collisions).
    types: BTreeMap<String, (TypeDef, String)>,
    /// Component schemas already lowered, by spec name.
    components: BTreeMap<String, TypeRef>,
    /// Component schemas being lowered: a reference to one is a cycle.
    in_progress: BTreeSet<String>,
    /// Set while lowering a multipart body, where `format: binary` is a file.
    in_multipart: bool,
}

impl<'s> Lowerer<'s> {
    fn resource(
        &mut self,
        api_name: &str,
        config: &ResourceConfig,
        parent: Option<&Resource>,
        parent_key: Option<&str>,
        pointer: &Pointer,
    ) -> Result<Resource> {
        if api_name.is_empty()
            || !api_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(pointer.error(format!(
                "resource name `{api_name}` must be snake_case letters, digits and `_`"
            )));
        }
        let name = snake(api_name);
        let type_name = format!(
            "{}{}",
            parent.map_or("", |p| p.type_name.as_str()),
            camel(api_name)
        );
        let cli_name = kebab(api_name);
        let official_name = match parent {
            Some(p) => format!("{}:{cli_name}", p.cli.official_name),
            None => cli_name.clone(),
        };
        let mut chain = parent.map(|p| p.chain.clone()).unwrap_or_default();
        chain.push(name.clone());
        let repeats = match parent {
            None => ["models", "resources", "commands"].contains(&name.as_str()),
            Some(p) => p.module == name,
        };
        let module = if repeats {
            format!("{name}_resource")
        } else {
            name.clone()
        };
        let mut module_path = parent.map(|p| p.module_path.clone()).unwrap_or_default();
        module_path.push(module.clone());
        let mut resource = Resource {
            api_name: api_name.to_owned(),
            name: name.clone(),
            doc: String::new(),
            chain,
            module,
            module_path,
            uses: Vec::new(),
            cli: CliGroup {
                variant: camel(api_name),
                official_variant: type_name.clone(),
                command_type: format!("{type_name}Command"),
                name: cli_name,
                official_name,
            },
            type_name,
            operations: Vec::new(),
            subresources: Vec::new(),
        };
        let key = match parent_key {
            Some(parent_key) => format!("{parent_key}.{api_name}"),
            None => api_name.to_owned(),
        };
        let mut members: BTreeMap<String, String> = BTreeMap::new();
        let mut tag_doc = None;
        for (method_name, endpoint) in &config.methods {
            let at = pointer.join("methods").join(method_name);
            let rust = snake(method_name);
            if let Some(other) = members.insert(rust.clone(), method_name.clone()) {
                return Err(at.error(format!(
                    "method `{method_name}` and `{other}` are both `{rust}` in Rust"
                )));
            }
            let (operation, tag) = self.operation(
                method_name,
                endpoint,
                &resource,
                &format!("{key}.{method_name}"),
                &at,
            )?;
            tag_doc = tag_doc.or(tag);
            resource.operations.push(operation);
        }
        for (sub_name, sub) in &config.subresources {
            let at = pointer.join("subresources").join(sub_name);
            let rust = snake(sub_name);
            if let Some(other) = members.insert(rust.clone(), sub_name.clone()) {
                return Err(at.error(format!(
                    "subresource `{sub_name}` and `{other}` are both `{rust}` in Rust"
                )));
            }
            let sub = self.resource(sub_name, sub, Some(&resource), Some(&key), &at)?;
            resource.subresources.push(sub);
        }
        if resource.operations.is_empty() && resource.subresources.is_empty() {
            return Err(pointer.error(format!(
                "resource `{api_name}` has no methods and no subresources"
            )));
        }
        let words = api_name.replace('_', " ");
        resource.doc = match (parent, tag_doc) {
            (None, Some(doc)) => doc,
            _ => format!("Operations on {words}."),
        };
        Ok(resource)
    }

    /// One configured method. Also returns the description of its first tag.
    fn operation(
        &mut self,
        method_name: &str,
        endpoint: &str,
        resource: &Resource,
        key: &str,
        config_at: &Pointer,
    ) -> Result<(Operation, Option<String>)> {
        let resource_type = resource.type_name.as_str();
        let (method, path) = config::parse_endpoint(endpoint, config_at.as_str())?;
        let spec = self.spec;
        let path_item = get(spec, "paths")
            .and_then(|paths| get(paths, &path))
            .ok_or_else(|| config_at.error(format!("the spec has no path `{path}`")))?;
        let item_at = Pointer::root("#").join("paths").join(&path);
        let op = get(path_item, method.key()).ok_or_else(|| {
            config_at.error(format!(
                "the spec has no `{}` operation at `{path}`",
                method.key()
            ))
        })?;
        let at = item_at.join(method.key());
        let prefix = format!("{resource_type}{}", camel(method_name));

        let declared = self.parameters(path_item, &item_at, op, &at, &prefix)?;
        let segments = parse_template(&path, &declared, &at)?;
        let mut params: Vec<Parameter> = Vec::new();
        for segment in &segments {
            if let Segment::Param(name) = segment {
                let (_, param) = declared
                    .iter()
                    .find(|(_, p)| &p.name == name)
                    .expect("checked");
                params.push(param.clone());
            }
        }
        let query: Vec<&(Pointer, Parameter)> = declared
            .iter()
            .filter(|(_, p)| p.kind == ParamKind::Query)
            .collect();
        let query_type = if query.is_empty() {
            None
        } else {
            let name = format!("{prefix}Query");
            let fields = query
                .iter()
                .map(|(_, p)| Field {
                    name: p.name.clone(),
                    api_name: p.api_name.clone(),
                    ty: p.ty.clone(),
                    required: p.required,
                    doc: p.doc.clone(),
                })
                .collect();
            let def = TypeDef::Struct(StructDef {
                name: name.clone(),
                doc: Some(format!(
                    "Query parameters of `{} {path}`.",
                    method.constant()
                )),
                fields,
                kind: StructKind::Query,
            });
            self.register(def, &at.join("parameters"))?;
            params.extend(query.iter().map(|(_, p)| p.clone()));
            Some(name)
        };

        let body = match get(op, "requestBody") {
            Some(body) => Some(self.body(body, &at.join("requestBody"), &prefix)?),
            None => None,
        };
        let response = self.response(op, &at, &prefix)?;
        let doc = text(op, "description").or_else(|| text(op, "summary"));
        let summary = text(op, "summary").filter(|s| !s.contains('\n'));
        let tag = get(op, "tags")
            .and_then(Value::as_sequence)
            .and_then(|tags| tags.first())
            .and_then(Value::as_str)
            .and_then(|tag| self.tag_description(tag));
        let mut usage: Vec<&str> = vec!["openai"];
        usage.extend(resource.cli.official_name.split(':'));
        let cli_name = kebab(method_name);
        usage.push(&cli_name);
        let cli = CliCommand {
            variant: camel(method_name),
            args_type: format!("{resource_type}{}Args", camel(method_name)),
            usage: usage.join(" "),
            name: cli_name.clone(),
            // Filled in by `plan_cli` once every type is known.
            flags: Vec::new(),
            reads_stdin: false,
        };
        Ok((
            Operation {
                key: key.to_owned(),
                name: snake(method_name),
                resource_type: resource_type.to_owned(),
                chain: resource.chain.clone(),
                method,
                path,
                segments,
                params,
                query_type,
                body,
                response,
                doc,
                summary,
                cli,
            },
            tag,
        ))
    }

    fn tag_description(&self, tag: &str) -> Option<String> {
        get(self.spec, "tags")?
            .as_sequence()?
            .iter()
            .find(|t| get(t, "name").and_then(Value::as_str) == Some(tag))
            .and_then(|t| text(t, "description"))
    }

    /// Path-item and operation parameters, the operation's winning on a
    /// clash, in declaration order.
    fn parameters(
        &mut self,
        path_item: &Value,
        item_at: &Pointer,
        op: &Value,
        op_at: &Pointer,
        prefix: &str,
    ) -> Result<Vec<(Pointer, Parameter)>> {
        let mut all: Vec<(Pointer, Parameter)> = Vec::new();
        for (owner, owner_at) in [(path_item, item_at), (op, op_at)] {
            let Some(list) = get(owner, "parameters") else {
                continue;
            };
            let list_at = owner_at.join("parameters");
            let items = list
                .as_sequence()
                .ok_or_else(|| list_at.error("`parameters` must be a list"))?;
            for (i, item) in items.iter().enumerate() {
                let at = list_at.join(&i.to_string());
                let (param, at) = self.resolve(item, at, PARAMETER_REF, "parameters")?;
                let param = self.parameter(param, &at, prefix)?;
                all.retain(|(_, p)| !(p.api_name == param.api_name && p.kind == param.kind));
                if let Some((other, _)) = all.iter().find(|(_, p)| p.name == param.name) {
                    return Err(at.error(format!(
                        "parameter `{}` has the same Rust name as the one at {other}",
                        param.api_name
                    )));
                }
                all.push((at, param));
            }
        }
        Ok(all)
    }

    fn parameter(&mut self, param: &Value, at: &Pointer, prefix: &str) -> Result<Parameter> {
        let api_name = get(param, "name")
            .and_then(Value::as_str)
            .ok_or_else(|| at.error("a parameter needs a `name`"))?;
        let location = get(param, "in").and_then(Value::as_str).unwrap_or("");
        let kind = match location {
            "path" => ParamKind::Path,
            "query" => ParamKind::Query,
            // `ParamKind::Header` waits for the runtime to send per-request headers.
            other => {
                return Err(at.join("in").error(format!(
                    "`in: {other}` parameters are not supported; only `path` and `query`"
                )));
            }
        };
        let schema =
            get(param, "schema").ok_or_else(|| at.error("a parameter needs a `schema`"))?;
        let schema_at = at.join("schema");
        let ty = self.schema(schema, &schema_at, &format!("{prefix}{}", camel(api_name)))?;
        let scalar = matches!(
            ty,
            TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean
        );
        if kind == ParamKind::Path && !scalar {
            return Err(
                schema_at.error("a path parameter must be a string, integer, number or boolean")
            );
        }
        let required = kind == ParamKind::Path
            || get(param, "required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let example = get(param, "example")
            .or_else(|| get(schema, "example"))
            .and_then(scalar_text);
        Ok(Parameter {
            name: snake(api_name),
            api_name: api_name.to_owned(),
            kind,
            required,
            ty,
            doc: text(param, "description").or_else(|| text(schema, "description")),
            example,
        })
    }

    fn body(&mut self, body: &Value, at: &Pointer, prefix: &str) -> Result<Body> {
        let (body, at) = self.resolve(body, at.clone(), BODY_REF, "requestBodies")?;
        let content_at = at.join("content");
        let content = get(body, "content")
            .and_then(Value::as_mapping)
            .ok_or_else(|| content_at.error("a request body needs `content`"))?;
        let (media, kind) = if content.contains_key("application/json") {
            ("application/json", BodyKind::Json)
        } else if content.contains_key("multipart/form-data") {
            ("multipart/form-data", BodyKind::Multipart)
        } else {
            let types: Vec<&str> = content.keys().filter_map(Value::as_str).collect();
            return Err(content_at.error(format!(
                "request bodies of type {types:?} are not supported; only application/json and multipart/form-data"
            )));
        };
        let media_at = content_at.join(media);
        let schema = get(&content[media], "schema")
            .ok_or_else(|| media_at.error("a request body needs a `schema`"))?;
        let schema_at = media_at.join("schema");
        self.in_multipart = kind == BodyKind::Multipart;
        let lowered = self.schema(schema, &schema_at, &format!("{prefix}Params"));
        self.in_multipart = false;
        let TypeRef::Named(name) = lowered? else {
            return Err(schema_at.error("a request body must be an object with `properties`"));
        };
        let Some((TypeDef::Struct(def), _)) = self.types.get_mut(&name) else {
            return Err(schema_at.error("a request body must be an object with `properties`"));
        };
        if kind == BodyKind::Multipart {
            def.kind = StructKind::Multipart;
            if let Some(field) = def.fields.iter().find(|f| nested_binary(&f.ty)) {
                return Err(schema_at.error(format!(
                    "multipart field `{}` nests a file; only top-level file fields are supported",
                    field.api_name
                )));
            }
        } else if def.kind == StructKind::Multipart {
            return Err(schema_at.error(format!(
                "`{name}` is already a multipart body and cannot also be a JSON body"
            )));
        }
        Ok(Body {
            kind,
            type_name: name,
            required: get(body, "required").and_then(Value::as_bool) == Some(true),
        })
    }

    fn response(&mut self, op: &Value, at: &Pointer, prefix: &str) -> Result<Response> {
        let responses_at = at.join("responses");
        let responses = get(op, "responses")
            .and_then(Value::as_mapping)
            .ok_or_else(|| responses_at.error("an operation needs `responses`"))?;
        let success = responses.iter().find_map(|(code, reply)| {
            let code = key_text(code)?;
            code.starts_with('2').then_some((code, reply))
        });
        let Some((code, reply)) = success else {
            return Err(responses_at.error("an operation needs a 2xx response"));
        };
        let reply_at = responses_at.join(&code);
        let content = get(reply, "content").and_then(Value::as_mapping);
        let json = content.and_then(|c| c.get("application/json"));
        let response = match (content, json.and_then(|j| get(j, "schema"))) {
            (_, Some(schema)) => {
                let schema_at = reply_at
                    .join("content")
                    .join("application/json")
                    .join("schema");
                Response::Json(self.schema(schema, &schema_at, &format!("{prefix}Response"))?)
            }
            (Some(content), None) if !content.is_empty() && json.is_none() => Response::Binary,
            _ => Response::NoBody,
        };
        match response {
            Response::Json(_) => Ok(response),
            // Both wait for the runtime (a reply without a body, a streamed download).
            Response::NoBody | Response::Binary => {
                Err(reply_at.error("only responses with an application/json schema are supported"))
            }
        }
    }

    /// Follows a `$ref` to `#/components/<kind>/X`, if `value` is one.
    fn resolve<'v>(
        &self,
        value: &'v Value,
        at: Pointer,
        prefix: &str,
        kind: &str,
    ) -> Result<(&'v Value, Pointer)>
    where
        's: 'v,
    {
        let Some(reference) = get(value, "$ref") else {
            return Ok((value, at));
        };
        let reference = reference.as_str().unwrap_or_default();
        let name = reference.strip_prefix(prefix).ok_or_else(|| {
            at.join("$ref").error(format!(
                "only references to `{prefix}...` are supported here"
            ))
        })?;
        let name = unescape(name);
        let target = get(self.spec, "components")
            .and_then(|c| get(c, kind))
            .and_then(|c| get(c, &name))
            .ok_or_else(|| {
                at.join("$ref")
                    .error(format!("`{reference}` does not exist"))
            })?;
        Ok((
            target,
            Pointer::root("#").join("components").join(kind).join(&name),
        ))
    }

    /// A schema where it is used. `hint` names the type if it is an inline
    /// struct, enum or constant.
    fn schema(&mut self, schema: &Value, at: &Pointer, hint: &str) -> Result<TypeRef> {
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
        let nullable = get(schema, "nullable").and_then(Value::as_bool) == Some(true);
        let ty = self.schema_inner(schema, map, at, hint)?;
        Ok(if nullable { ty.nullable() } else { ty })
    }

    fn schema_inner(
        &mut self,
        schema: &Value,
        map: &Mapping,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        if let Some(reference) = map.get("$ref") {
            return self.reference(reference, &at.join("$ref"));
        }
        if let Some(all) = map.get("allOf") {
            return self.all_of(all, &at.join("allOf"), hint);
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(any) = map.get(keyword) {
                return self.any_of(any, &at.join(keyword), keyword, hint);
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
                Some("object") => self.object(schema, map, at, hint)?,
                None if map.contains_key("properties")
                    || map.contains_key("additionalProperties") =>
                {
                    self.object(schema, map, at, hint)?
                }
                None => TypeRef::Any,
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
        let text = reference
            .as_str()
            .ok_or_else(|| at.error("`$ref` must be a string"))?;
        let name = text.strip_prefix(SCHEMA_REF).ok_or_else(|| {
            at.error(format!(
                "only references to `{SCHEMA_REF}...` are supported, not `{text}`"
            ))
        })?;
        let name = unescape(name);
        if let Some(ty) = self.components.get(&name) {
            return Ok(ty.clone());
        }
        let rust = camel(&name);
        if self.in_progress.contains(&name) {
            return Ok(TypeRef::Boxed(Box::new(TypeRef::Named(rust))));
        }
        let target = get(self.spec, "components")
            .and_then(|c| get(c, "schemas"))
            .and_then(|s| get(s, &name))
            .ok_or_else(|| at.error(format!("`{text}` does not exist")))?;
        let target_at = Pointer::root("#")
            .join("components")
            .join("schemas")
            .join(&name);
        self.in_progress.insert(name.clone());
        let ty = self.schema(target, &target_at, &rust);
        self.in_progress.remove(&name);
        let ty = ty?;
        self.components.insert(name, ty.clone());
        Ok(ty)
    }

    fn all_of(&mut self, all: &Value, at: &Pointer, hint: &str) -> Result<TypeRef> {
        let items = all
            .as_sequence()
            .ok_or_else(|| at.error("`allOf` must be a list"))?;
        let mut nullable = false;
        let mut schemas = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_mapping() {
                Some(m)
                    if m.keys()
                        .all(|k| k.as_str().is_some_and(|k| MODIFIER_KEYS.contains(&k))) =>
                {
                    nullable |= get(item, "nullable").and_then(Value::as_bool) == Some(true);
                }
                _ => schemas.push((i, item)),
            }
        }
        let [(i, item)] = schemas[..] else {
            return Err(at.error(format!(
                "`allOf` is supported only as one schema plus `nullable`; this one merges {} schemas",
                schemas.len()
            )));
        };
        let ty = self.schema(item, &at.join(&i.to_string()), hint)?;
        Ok(if nullable { ty.nullable() } else { ty })
    }

    fn any_of(&mut self, any: &Value, at: &Pointer, keyword: &str, hint: &str) -> Result<TypeRef> {
        let items = any
            .as_sequence()
            .ok_or_else(|| at.error(format!("`{keyword}` must be a list")))?;
        let is_null = |s: &Value| get(s, "type").and_then(Value::as_str) == Some("null");
        let others: Vec<(usize, &Value)> = items
            .iter()
            .enumerate()
            .filter(|(_, s)| !is_null(s))
            .collect();
        let [(i, item)] = others[..] else {
            return Err(at.error(format!(
                "`{keyword}` of {} schemas is not supported; only `{keyword}: [X, {{type: \"null\"}}]`",
                others.len()
            )));
        };
        let ty = self.schema(item, &at.join(&i.to_string()), hint)?;
        Ok(if others.len() < items.len() {
            ty.nullable()
        } else {
            ty
        })
    }

    fn enumeration(
        &mut self,
        values: &Value,
        ty: Option<&str>,
        schema: &Value,
        enum_at: &Pointer,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        if !matches!(ty, None | Some("string")) {
            return Err(enum_at.error("only string enums are supported"));
        }
        let list = values
            .as_sequence()
            .ok_or_else(|| enum_at.error("`enum` must be a list"))?;
        let mut strings = Vec::new();
        let mut nullable = false;
        for (i, value) in list.iter().enumerate() {
            match value {
                Value::Null => nullable = true,
                Value::String(s) => strings.push(s.clone()),
                _ => {
                    return Err(enum_at
                        .join(&i.to_string())
                        .error("only string enum values are supported"));
                }
            }
        }
        let lowered = match &strings[..] {
            [] => return Err(enum_at.error("`enum` lists no values")),
            [one] => self.constant(one, schema, at, hint)?,
            _ => {
                let mut variants: Vec<Variant> = Vec::new();
                for (i, value) in strings.iter().enumerate() {
                    let name = camel(value);
                    if name == "Unknown" {
                        return Err(enum_at.join(&i.to_string()).error(
                            "the value `unknown` collides with the variant that keeps unlisted values",
                        ));
                    }
                    if let Some(other) = variants.iter().find(|v| v.name == name) {
                        return Err(enum_at.join(&i.to_string()).error(format!(
                            "values `{}` and `{value}` are both the variant `{name}`",
                            other.value
                        )));
                    }
                    variants.push(Variant {
                        name,
                        value: value.clone(),
                    });
                }
                let def = TypeDef::Enum(EnumDef {
                    name: hint.to_owned(),
                    doc: text(schema, "description"),
                    variants,
                    other: "Unknown".to_owned(),
                });
                self.register(def, at)?
            }
        };
        Ok(if nullable {
            lowered.nullable()
        } else {
            lowered
        })
    }

    fn constant(
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

    fn object(
        &mut self,
        schema: &Value,
        map: &Mapping,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef> {
        let extra = map.get("additionalProperties");
        let extra_schema = extra.filter(|e| e.is_mapping());
        let properties = match map.get("properties") {
            Some(p) => Some(p.as_mapping().ok_or_else(|| {
                at.join("properties")
                    .error("`properties` must be a mapping")
            })?),
            None => None,
        };
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            return Ok(match extra_schema {
                Some(value) => TypeRef::Map(Box::new(
                    self.schema(
                        value,
                        &at.join("additionalProperties"),
                        &format!("{hint}Value"),
                    )?
                    .unboxed(),
                )),
                None => TypeRef::Map(Box::new(TypeRef::Any)),
            });
        };
        if extra_schema.is_some_and(|e| !e.as_mapping().is_some_and(Mapping::is_empty)) {
            return Err(at
                .join("additionalProperties")
                .error("`additionalProperties` next to `properties` is not supported"));
        }
        let required = required_names(map, properties, at)?;
        let mut fields: Vec<Field> = Vec::new();
        for (key, property) in properties {
            let api_name = key_text(key).ok_or_else(|| {
                at.join("properties")
                    .error("property names must be strings")
            })?;
            let field_at = at.join("properties").join(&api_name);
            let name = snake(&api_name);
            if let Some(other) = fields.iter().find(|f| f.name == name) {
                return Err(field_at.error(format!(
                    "properties `{}` and `{api_name}` are both the field `{name}`",
                    other.api_name
                )));
            }
            let ty = self.schema(property, &field_at, &format!("{hint}{}", camel(&api_name)))?;
            fields.push(Field {
                name,
                required: required.contains(&api_name),
                api_name,
                ty,
                doc: description(property).or_else(|| self.referenced_description(property)),
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

    /// The description of the schema a property refers to, for a property
    /// that has none of its own.
    fn referenced_description(&self, property: &Value) -> Option<String> {
        let reference = get(property, "$ref").or_else(|| {
            get(property, "allOf")?
                .as_sequence()?
                .iter()
                .find_map(|item| get(item, "$ref"))
        })?;
        let name = unescape(reference.as_str()?.strip_prefix(SCHEMA_REF)?);
        let target = get(get(get(self.spec, "components")?, "schemas")?, &name)?;
        text(target, "description")
    }

    fn register(&mut self, def: TypeDef, at: &Pointer) -> Result<TypeRef> {
        let name = def.name().to_owned();
        if let Some((_, other)) = self.types.get(&name)
            && other != at.as_str()
        {
            return Err(at.error(format!(
                "the Rust type name `{name}` is already taken by {other}; rename one of them"
            )));
        }
        self.types
            .insert(name.clone(), (def, at.as_str().to_owned()));
        Ok(TypeRef::Named(name))
    }
}

/// Whether a file hides below the top level of a multipart field.
fn nested_binary(ty: &TypeRef) -> bool {
    fn contains(ty: &TypeRef) -> bool {
        match ty {
            TypeRef::Binary => true,
            TypeRef::Array(inner)
            | TypeRef::Map(inner)
            | TypeRef::Nullable(inner)
            | TypeRef::Boxed(inner) => contains(inner),
            _ => false,
        }
    }
    match ty {
        TypeRef::Binary => false,
        TypeRef::Nullable(inner) => nested_binary(inner),
        other => contains(other),
    }
}

/// Splits a path template into literals and parameters, checking it against
/// the declared path parameters in both directions.
fn parse_template(
    path: &str,
    declared: &[(Pointer, Parameter)],
    at: &Pointer,
) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut used = BTreeSet::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| at.error(format!("the path template `{path}` has an unclosed `{{`")))?;
        if open > 0 {
            segments.push(Segment::Literal(rest[..open].to_owned()));
        }
        let name = &rest[open + 1..close];
        let param = declared
            .iter()
            .find(|(_, p)| p.kind == ParamKind::Path && p.api_name == name)
            .ok_or_else(|| {
                at.error(format!(
                    "the path template `{path}` uses `{{{name}}}`, which is not a declared path parameter"
                ))
            })?;
        used.insert(name.to_owned());
        segments.push(Segment::Param(param.1.name.clone()));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(at.error(format!("the path template `{path}` has an unopened `}}`")));
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_owned()));
    }
    for (param_at, param) in declared {
        if param.kind == ParamKind::Path && !used.contains(&param.api_name) {
            return Err(param_at.error(format!(
                "path parameter `{}` is not in the path template `{path}`",
                param.api_name
            )));
        }
    }
    Ok(segments)
}

fn required_names(map: &Mapping, properties: &Mapping, at: &Pointer) -> Result<BTreeSet<String>> {
    let Some(list) = map.get("required") else {
        return Ok(BTreeSet::new());
    };
    let list = list
        .as_sequence()
        .ok_or_else(|| at.join("required").error("`required` must be a list"))?;
    let mut names = BTreeSet::new();
    for (i, name) in list.iter().enumerate() {
        let name = name
            .as_str()
            .filter(|n| properties.contains_key(*n))
            .ok_or_else(|| {
                at.join("required").join(&i.to_string()).error(format!(
                    "required property {} is not in `properties`",
                    scalar_text(name).unwrap_or_default()
                ))
            })?;
        names.insert(name.to_owned());
    }
    Ok(names)
}

/// The `type` keyword: one type name, or `[X, "null"]`.
fn schema_type<'v>(schema: &'v Value, at: &Pointer) -> Result<(Option<&'v str>, bool)> {
    match get(schema, "type") {
        None => Ok((None, false)),
        Some(Value::String(ty)) => Ok((Some(ty.as_str()), false)),
        Some(Value::Sequence(types)) => {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            let others: Vec<&str> = names.iter().copied().filter(|t| *t != "null").collect();
            match others[..] {
                [one] if names.len() == types.len() => Ok((Some(one), others.len() < names.len())),
                _ => Err(at
                    .join("type")
                    .error("a list of types is supported only as `[X, \"null\"]`")),
            }
        }
        Some(_) => Err(at.join("type").error("`type` must be a string or a list")),
    }
}

/// A field's description: its own, or the one beside the `$ref` in `allOf`.
fn description(schema: &Value) -> Option<String> {
    text(schema, "description").or_else(|| {
        get(schema, "allOf")?
            .as_sequence()?
            .iter()
            .find_map(|item| text(item, "description"))
    })
}

fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_mapping()?.get(key)
}

/// A trimmed, non-empty string value.
fn text(value: &Value, key: &str) -> Option<String> {
    let text = get(value, key)?.as_str()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Undoes JSON-pointer escaping in a `$ref` token.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}
