//! Spec + config -> IR. Every check on the input happens here, so rendering
//! can trust the IR.

mod schema;
mod union;

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use crate::config::{self, Config, ResourceConfig};
use crate::error::{Error, Pointer, Result};
use crate::ir::*;
use crate::names::{camel, kebab, snake};

const SCHEMA_REF: &str = "#/components/schemas/";
const PARAMETER_REF: &str = "#/components/parameters/";
const BODY_REF: &str = "#/components/requestBodies/";

/// Keywords whose meaning the generator would silently lose.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "if",
    "then",
    "else",
    "prefixItems",
    "patternProperties",
    "dependentSchemas",
    "unevaluatedProperties",
];

/// Headers the client sets itself; no parameter may take one over.
const OWN_HEADERS: &[&str] = &[
    "authorization",
    "openai-organization",
    "openai-project",
    "content-type",
    "content-length",
    "accept",
    "user-agent",
    "host",
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
        in_progress: Vec::new(),
        in_multipart: false,
        warnings: BTreeSet::new(),
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
    let warnings = std::mem::take(&mut lowerer.warnings).into_iter().collect();
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
        warnings,
        models_from: None,
    };
    crate::plan_fields::plan(&mut api);
    crate::plan_paging::plan(&mut api);
    crate::plan_cli::plan(&mut api)?;
    crate::plan_modules::plan(&mut api);
    crate::plan_parts::plan(&mut api);
    Ok(api)
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
    /// Component schemas being lowered, outermost first: a reference to one
    /// is a cycle.
    in_progress: Vec<String>,
    /// Set while lowering a multipart body, where `format: binary` is a file.
    in_multipart: bool,
    /// Spec bugs worked around, each once.
    warnings: BTreeSet<Warning>,
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
            commands: Vec::new(),
        };
        let key = match parent_key {
            Some(parent_key) => format!("{parent_key}.{api_name}"),
            None => api_name.to_owned(),
        };
        let mut members: BTreeMap<String, String> = BTreeMap::new();
        let mut tag_doc = None;
        for (method_name, method) in &config.methods {
            let at = pointer.join("methods").join(method_name);
            let rust = snake(method_name);
            if let Some(other) = members.insert(rust.clone(), method_name.clone()) {
                return Err(at.error(format!(
                    "method `{method_name}` and `{other}` are both `{rust}` in Rust"
                )));
            }
            let (mut operation, tag) = self.operation(
                method_name,
                method.endpoint(),
                &resource,
                &format!("{key}.{method_name}"),
                &at,
            )?;
            // Our line from generate.yaml is the summary; the spec's
            // description, where it has one, stays the longer doc.
            operation.cli.aliases = method.aliases().iter().map(|a| kebab(a)).collect();
            if let Some(doc) = method.doc() {
                operation.summary = Some(doc.to_owned());
                operation.doc.get_or_insert_with(|| doc.to_owned());
            }
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
        resource.doc = match (&config.doc, parent, tag_doc) {
            (Some(doc), _, _) => doc.clone(),
            (None, None, Some(doc)) => doc,
            _ => format!("Operations on {words}."),
        };
        resource.commands = config
            .commands
            .iter()
            .map(|(name, doc)| HandWritten {
                name: kebab(name),
                doc: doc.clone(),
            })
            .collect();
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
        // A path key may carry a fixed query (`/responses?beta=true`): the
        // template is what comes before it.
        let (template, fixed_query) = match path.split_once('?') {
            Some((template, query)) => (template.to_owned(), fixed_query(query)),
            None => (path.clone(), Vec::new()),
        };

        let declared = self.parameters(path_item, &item_at, op, &at, &prefix)?;
        let segments = parse_template(&template, &declared, &at)?;
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
        for (param_at, param) in &declared {
            if param.kind == ParamKind::Query
                && fixed_query.iter().any(|(key, _)| *key == param.api_name)
            {
                return Err(param_at.error(format!(
                    "query parameter `{}` is also fixed by the path key `{path}`",
                    param.api_name
                )));
            }
        }
        let mut struct_of = |kind: ParamKind| -> Result<Option<String>> {
            let members: Vec<&(Pointer, Parameter)> =
                declared.iter().filter(|(_, p)| p.kind == kind).collect();
            if members.is_empty() {
                return Ok(None);
            }
            let (suffix, what, struct_kind) = match kind {
                ParamKind::Query => ("Query", "Query", StructKind::Query),
                _ => ("Headers", "Header", StructKind::Headers),
            };
            let name = format!("{prefix}{suffix}");
            let fields = members.iter().map(|(_, p)| Field::of_param(p)).collect();
            let def = TypeDef::Struct(StructDef {
                name: name.clone(),
                doc: Some(format!(
                    "{what} parameters of `{} {template}`.",
                    method.constant()
                )),
                fields,
                kind: struct_kind,
            });
            self.register(def, &at.join("parameters"))?;
            params.extend(members.iter().map(|(_, p)| p.clone()));
            Ok(Some(name))
        };
        let query_type = struct_of(ParamKind::Query)?;
        let headers_type = struct_of(ParamKind::Header)?;

        let body = match get(op, "requestBody") {
            Some(body) => Some(self.body(body, &at.join("requestBody"), &prefix)?),
            None => None,
        };
        let response = self.response(op, &at, &prefix)?;
        let stream = self.event_stream(op, &at, &prefix, body.as_ref())?;
        let admin = get(op, "security")
            .and_then(Value::as_sequence)
            .is_some_and(|list| list.iter().any(|s| get(s, "AdminApiKeyAuth").is_some()));
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
            group: resource.cli.official_name.clone(),
            aliases: Vec::new(),
            constants: Vec::new(),
            name: cli_name.clone(),
            // Filled in by `plan_cli` once every type is known.
            flags: Vec::new(),
            reads_stdin: false,
        };
        let retry_conflicts = !is_state_transition(method, &segments);
        Ok((
            Operation {
                key: key.to_owned(),
                name: snake(method_name),
                resource_type: resource_type.to_owned(),
                chain: resource.chain.clone(),
                method,
                path: template,
                segments,
                params,
                query_type,
                fixed_query,
                headers_type,
                body,
                response,
                retry_conflicts,
                admin,
                stream,
                // Planned with the types (`plan_paging`).
                paging: None,
                page_item: None,
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
        path_item: &'s Value,
        item_at: &Pointer,
        op: &'s Value,
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

    fn parameter(&mut self, param: &'s Value, at: &Pointer, prefix: &str) -> Result<Parameter> {
        let api_name = get(param, "name")
            .and_then(Value::as_str)
            .ok_or_else(|| at.error("a parameter needs a `name`"))?;
        let location = get(param, "in").and_then(Value::as_str).unwrap_or("");
        let kind = match location {
            "path" => ParamKind::Path,
            "query" => ParamKind::Query,
            "header" => ParamKind::Header,
            other => {
                return Err(at.join("in").error(format!(
                    "`in: {other}` parameters are not supported; only `path`, `query` and `header`"
                )));
            }
        };
        let schema =
            get(param, "schema").ok_or_else(|| at.error("a parameter needs a `schema`"))?;
        let schema_at = at.join("schema");
        // A header's Rust name: the SDKs' (`x-stainless-param: betas` for
        // `openai-beta`), else the header's own.
        let rust_name = get(param, "x-stainless-param")
            .or_else(|| get(schema, "x-stainless-param"))
            .and_then(Value::as_str)
            .filter(|_| kind == ParamKind::Header)
            .unwrap_or(api_name);
        if kind == ParamKind::Header {
            self.check_header(param, api_name, at)?;
        }
        let ty = self.schema(schema, &schema_at, &format!("{prefix}{}", camel(rust_name)))?;
        let scalar = |ty: &TypeRef| {
            matches!(
                ty,
                TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean
            ) || matches!(ty, TypeRef::Named(n) if matches!(
                self.types.get(n),
                Some((TypeDef::Enum(_) | TypeDef::Const(_), _))
            ))
        };
        if kind == ParamKind::Path
            && !matches!(
                ty,
                TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean
            )
        {
            return Err(
                schema_at.error("a path parameter must be a string, integer, number or boolean")
            );
        }
        if kind == ParamKind::Header {
            let plain = match ty.non_null() {
                TypeRef::Array(item) => scalar(item),
                other => scalar(other),
            };
            if !plain {
                return Err(schema_at.error(
                    "a header parameter must be a string, number, boolean, enum or a list of those",
                ));
            }
        }
        let required = kind == ParamKind::Path
            || get(param, "required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let mut facts = self.facts(schema);
        if let Some(own) = get(param, "example").and_then(|v| serde_json::to_value(v).ok()) {
            facts.example = Some(own);
        }
        Ok(Parameter {
            name: snake(rust_name),
            api_name: api_name.to_owned(),
            kind,
            required,
            ty,
            doc: text(param, "description").or_else(|| text(schema, "description")),
            facts,
        })
    }

    /// A header parameter must be one the client leaves to the caller, sent
    /// the plain way (`style: simple`, lists joined by commas).
    fn check_header(&self, param: &Value, name: &str, at: &Pointer) -> Result<()> {
        if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(at.join("name").error(format!(
                "the header `{name}` is set by the client itself and cannot be a parameter"
            )));
        }
        if reqwest_header_name(name).is_none() {
            return Err(at
                .join("name")
                .error(format!("`{name}` is not a valid header name")));
        }
        match get(param, "style").and_then(Value::as_str) {
            None | Some("simple") => {}
            Some(other) => {
                return Err(at.join("style").error(format!(
                    "header parameters of `style: {other}` are not supported; only `simple`"
                )));
            }
        }
        if get(param, "explode").and_then(Value::as_bool) == Some(true) {
            return Err(at
                .join("explode")
                .error("`explode: true` header parameters are not supported"));
        }
        Ok(())
    }

    fn body(&mut self, body: &'s Value, at: &Pointer, prefix: &str) -> Result<Body> {
        let (body, at) = self.resolve(body, at.clone(), BODY_REF, "requestBodies")?;
        let content_at = at.join("content");
        let content = get(body, "content")
            .and_then(Value::as_mapping)
            .ok_or_else(|| content_at.error("a request body needs `content`"))?;
        let schema_of = |media: &str| content.get(media).and_then(|m| get(m, "schema"));
        let multipart_at = content_at.join("multipart/form-data").join("schema");
        let multipart_file = match schema_of("multipart/form-data") {
            Some(schema) => self.carries_file(schema, &multipart_at)?,
            None => false,
        };
        // Multipart when it carries a file (the JSON form then takes URLs or
        // ids instead); else JSON when offered.
        let (media, kind) = if multipart_file {
            ("multipart/form-data", BodyKind::Multipart)
        } else if content.contains_key("application/json") {
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
        let schema =
            schema_of(media).ok_or_else(|| media_at.error("a request body needs a `schema`"))?;
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
                    "multipart field `{}` nests a file; only top-level file fields, lists of files and unions with a file are supported",
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

    /// Whether a multipart schema has a file: `format: binary` in a
    /// property, its items, or a branch of its union.
    fn carries_file(&self, schema: &'s Value, at: &Pointer) -> Result<bool> {
        let (schema, at, _) = self.deref(schema, at)?;
        let merged = self.merge_one(schema, &at)?;
        for prop in &merged.props {
            let (decl, decl_at) = prop.last();
            if self.has_file(decl, decl_at, 0)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn has_file(&self, schema: &'s Value, at: &Pointer, depth: usize) -> Result<bool> {
        if depth > 4 {
            return Ok(false);
        }
        let (schema, at, _) = self.deref(schema, at)?;
        if get(schema, "format").and_then(Value::as_str) == Some("binary") {
            return Ok(true);
        }
        if let Some(items) = get(schema, "items")
            && self.has_file(items, &at.join("items"), depth + 1)?
        {
            return Ok(true);
        }
        for (i, branch) in self.real_branches(schema) {
            if self.has_file(branch, &at.join("anyOf").join(&i.to_string()), depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn response(&mut self, op: &'s Value, at: &Pointer, prefix: &str) -> Result<Response> {
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
        let content_at = reply_at.join("content");
        let Some(content) = get(reply, "content")
            .and_then(Value::as_mapping)
            .filter(|c| !c.is_empty())
        else {
            return Ok(Response::NoBody);
        };
        let media: Vec<&str> = content.keys().filter_map(Value::as_str).collect();
        let accept = media
            .iter()
            .filter(|m| !m.starts_with("text/event-stream"))
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let json = content
            .get("application/json")
            .and_then(|j| get(j, "schema"));
        let json_at = content_at.join("application/json").join("schema");
        if let Some(schema) = json
            && !bare_string(schema)
        {
            // Any `text/event-stream` beside it waits for streaming support.
            let hint = format!("{prefix}Response");
            return Ok(Response::Json(self.schema(schema, &json_at, &hint)?));
        }
        let binary = content.iter().any(|(media, value)| {
            let media = media.as_str().unwrap_or_default();
            let file = get(value, "schema")
                .and_then(|s| get(s, "format"))
                .and_then(Value::as_str)
                == Some("binary");
            file || !(is_json(media) || is_text(media) || media.starts_with("text/event-stream"))
        });
        if binary {
            return Ok(Response::Binary { accept });
        }
        if json.is_some() {
            self.warn(
                &json_at,
                "a JSON reply whose schema is a bare string is taken as a file download",
            );
            return Ok(Response::Binary { accept });
        }
        if media.iter().any(|m| is_text(m)) {
            return Ok(Response::Text { accept });
        }
        if media.iter().any(|m| m.starts_with("text/event-stream")) {
            return Err(
                content_at.error("streaming replies (`text/event-stream`) are not supported yet")
            );
        }
        Ok(Response::Binary { accept })
    }

    /// The events of an operation that can stream: its 2xx reply offers
    /// `text/event-stream`. The body's boolean `stream` field, when it has
    /// one, turns streaming on.
    fn event_stream(
        &mut self,
        op: &'s Value,
        at: &Pointer,
        prefix: &str,
        body: Option<&Body>,
    ) -> Result<Option<EventStream>> {
        let Some((code, content)) =
            get(op, "responses")
                .and_then(Value::as_mapping)
                .and_then(|responses| {
                    responses.iter().find_map(|(code, reply)| {
                        let code = key_text(code)?;
                        code.starts_with('2')
                            .then(|| get(reply, "content").map(|c| (code, c)))
                            .flatten()
                    })
                })
        else {
            return Ok(None);
        };
        let Some((media, events)) = content.as_mapping().and_then(|c| {
            c.iter().find_map(|(media, value)| {
                let media = media.as_str()?;
                media
                    .starts_with("text/event-stream")
                    .then_some((media, value))
            })
        }) else {
            return Ok(None);
        };
        let schema_at = at
            .join("responses")
            .join(&code)
            .join("content")
            .join(media)
            .join("schema");
        let event = match get(events, "schema") {
            Some(schema) => self.schema(schema, &schema_at, &format!("{prefix}Event"))?,
            None => TypeRef::Any,
        };
        let switch = body.and_then(|body| match self.types.get(&body.type_name) {
            Some((TypeDef::Struct(def), _)) => def
                .fields
                .iter()
                .find(|f| f.api_name == "stream")
                .map(|f| f.api_name.clone()),
            _ => None,
        });
        Ok(Some(EventStream { event, switch }))
    }

    /// Follows a `$ref` to `#/components/<kind>/X`, if `value` is one.
    fn resolve(
        &self,
        value: &'s Value,
        at: Pointer,
        prefix: &str,
        kind: &str,
    ) -> Result<(&'s Value, Pointer)> {
        let Some(reference) = get(value, "$ref") else {
            return Ok((value, at));
        };
        let reference = reference.as_str().unwrap_or_default();
        let name = reference.strip_prefix(prefix).ok_or_else(|| {
            at.join("$ref").error(format!(
                "only references to `{prefix}...` are supported here"
            ))
        })?;
        let name = Pointer::unescape(name);
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

    /// Notes a spec bug the lowering worked around.
    fn warn(&mut self, at: &Pointer, message: impl Into<String>) {
        self.warnings.insert(Warning {
            pointer: at.as_str().to_owned(),
            message: message.into(),
        });
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

/// `k=v&k2=v2` (a path key's fixed query) as pairs, in order.
fn fixed_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

/// A header name as HTTP allows it: visible ASCII token characters.
fn reqwest_header_name(name: &str) -> Option<&str> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    (!name.is_empty() && name.chars().all(token)).then_some(name)
}

/// `{type: string}` and nothing that makes it a typed string: what the
/// document says of a download it calls JSON.
fn bare_string(schema: &Value) -> bool {
    schema.as_mapping().is_some_and(|m| {
        m.get("type").and_then(Value::as_str) == Some("string")
            && !m.contains_key("enum")
            && !m.contains_key("const")
            && !m.contains_key("format")
    })
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Text that is not JSON or an event stream (`text/plain`, `application/sdp`).
fn is_text(media: &str) -> bool {
    (media.starts_with("text/") && !media.starts_with("text/event-stream"))
        || media == "application/sdp"
}

/// A `POST` to a path ending in the literal `cancel` or `complete`: it moves
/// an object to a final state, so a 409 (the object is not in the state the
/// call needs) never heals and is not retried.
fn is_state_transition(method: HttpMethod, segments: &[Segment]) -> bool {
    let last_word = match segments.last() {
        Some(Segment::Literal(text)) => text.trim_end_matches('/').rsplit('/').next(),
        _ => None,
    };
    method == HttpMethod::Post && matches!(last_word, Some("cancel" | "complete"))
}

#[cfg(test)]
mod tests {
    use super::{HttpMethod, Segment, is_state_transition};

    #[test]
    fn cancel_and_complete_are_state_transitions() {
        let path = |last: &str| {
            vec![
                Segment::Literal("/uploads/".into()),
                Segment::Param("upload_id".into()),
                Segment::Literal(last.into()),
            ]
        };
        assert!(is_state_transition(HttpMethod::Post, &path("/cancel")));
        assert!(is_state_transition(HttpMethod::Post, &path("/complete")));
        assert!(!is_state_transition(HttpMethod::Post, &path("/parts")));
        assert!(!is_state_transition(HttpMethod::Get, &path("/cancel")));
        assert!(!is_state_transition(
            HttpMethod::Post,
            &path("/cancelled_jobs")
        ));
        assert!(!is_state_transition(
            HttpMethod::Post,
            &[Segment::Literal("/uploads".into())]
        ));
    }
}
