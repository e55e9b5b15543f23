//! `cargo xtask import PATH [--check]`: rewrites `spec/openapi.yaml` from
//! OpenAI's published OpenAPI document, keeping its facts and none of its
//! prose.
//!
//! Facts are everything a client needs to talk to the API: paths, methods,
//! parameters, bodies, schemas, types, formats, bounds, enums, defaults,
//! examples, discriminators and the `x-stainless-*` / `x-oai*` flags. Prose
//! is every `description` and `summary` and the `x-oaiMeta` blocks (code
//! samples, reference-page layout): it is OpenAI's writing, and the project
//! only ships its own. What the current `spec/openapi.yaml` says in its own
//! words survives an import wherever its place (the JSON pointer, with
//! parameters and tags found by name rather than position) still exists.
//!
//! `spec/additions.yaml` holds the few request fields the official CLI sends
//! and the document does not list; every import adds them back, and says
//! when the document has caught up.
//!
//! The importer is a maintainer's tool: the imported spec is committed, and
//! nothing else in the workspace needs OpenAI's document.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use codegen::Spec;
use serde_yaml::{Mapping, Value};

use crate::util;

/// The spec the importer writes, relative to the workspace root.
const SPEC: &str = "spec/openapi.yaml";

/// Facts the published document lacks, added by every import.
const ADDITIONS: &str = "spec/additions.yaml";

/// The first lines of the written spec.
const HEADER: &str = "\
# Written by `cargo xtask import` from OpenAI's published OpenAPI document,
# facts only: none of its descriptions, summaries or x-oaiMeta. Every
# `description` and `summary` here is ours, and an import keeps each one
# whose place still exists. Edit those freely; change facts by importing.
";

/// HTTP methods a path item may hold, as OpenAPI spells them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub fn run(args: &[&str]) -> Result<(), String> {
    let (path, check) = match args {
        [path] => (*path, false),
        [path, "--check"] | ["--check", path] => (*path, true),
        _ => return Err("usage: cargo xtask import PATH [--check]".into()),
    };
    // `cargo xtask` runs in the workspace root; a relative PATH means the
    // caller's directory.
    let path = std::env::current_dir()
        .map(|dir| dir.join(path))
        .unwrap_or_else(|_| PathBuf::from(path));
    let input = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let target = util::root().join(SPEC);
    let current = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {SPEC}: {e}")),
    };
    let additions = match std::fs::read_to_string(util::root().join(ADDITIONS)) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {ADDITIONS}: {e}")),
    };
    let imported = import_text(&input, current.as_deref(), additions.as_deref())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    print!("{}", imported.changes.report());
    for line in &imported.added {
        println!("{line}");
    }
    if current.as_deref() == Some(imported.text.as_str()) {
        println!("{SPEC} is up to date");
        return Ok(());
    }
    if check {
        return Err(format!(
            "{SPEC} differs from what `cargo xtask import` makes of {}",
            path.display()
        ));
    }
    std::fs::write(&target, &imported.text).map_err(|e| format!("cannot write {SPEC}: {e}"))?;
    println!("wrote {SPEC}");
    Ok(())
}

/// What an import makes of a document.
#[derive(Debug)]
pub struct Imported {
    /// The new `spec/openapi.yaml`.
    pub text: String,
    /// Its operations compared with the current spec's.
    pub changes: Changes,
    /// What `spec/additions.yaml` added, and what it no longer needs to.
    pub added: Vec<String>,
}

/// Imports `input` (OpenAPI, YAML or JSON), keeping the docs of `current`
/// (the present `spec/openapi.yaml`, if any), and adding the properties of
/// `additions` (the text of `spec/additions.yaml`).
pub fn import_text(
    input: &str,
    current: Option<&str>,
    additions: Option<&str>,
) -> Result<Imported, String> {
    let input = Spec::parse(input).map_err(|e| e.to_string())?;
    if !input.value().get("paths").is_some_and(Value::is_mapping) {
        return Err("not an OpenAPI document: it has no `paths` map".into());
    }
    let current = current
        .map(Spec::parse)
        .transpose()
        .map_err(|e| format!("{SPEC}: {e}"))?;
    let current = current.as_ref().map(Spec::value);
    let mut output = import(input.value(), current);
    let added = match additions {
        Some(text) => add(&mut output, text).map_err(|e| format!("{ADDITIONS}: {e}"))?,
        None => Vec::new(),
    };
    let body = serde_yaml::to_string(&output).map_err(|e| format!("cannot write YAML: {e}"))?;
    Ok(Imported {
        text: format!("{HEADER}{body}"),
        changes: Changes::between(current, &output),
        added,
    })
}

/// Adds the properties `additions` lists (`schemas: {Schema: {property:
/// schema}}`) to the schemas of `spec`, each one the document does not have
/// yet. These are facts from elsewhere, such as the official CLI's flags,
/// with our words. Returns a line for each: added, or no longer needed.
fn add(spec: &mut Value, additions: &str) -> Result<Vec<String>, String> {
    let additions: Value = serde_yaml::from_str(additions).map_err(|e| e.to_string())?;
    let Some(wanted) = additions.get("schemas").and_then(Value::as_mapping) else {
        return Err("expected a `schemas` map".into());
    };
    let mut lines = Vec::new();
    for (schema, properties) in wanted {
        let name = key_text(schema);
        let Some(properties) = properties.as_mapping() else {
            return Err(format!("`{name}`: expected a map of properties"));
        };
        let target = spec
            .get_mut("components")
            .and_then(|c| c.get_mut("schemas"))
            .and_then(|s| s.get_mut(schema))
            .ok_or_else(|| format!("`{name}` is not a schema of the document"))?;
        let Some(target) = target.as_mapping_mut() else {
            return Err(format!("`{name}` is not an object schema"));
        };
        let present = target
            .entry(Value::from("properties"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        let Some(present) = present.as_mapping_mut() else {
            return Err(format!("`{name}.properties` is not a map"));
        };
        for (property, definition) in properties {
            let field = key_text(property);
            if present.contains_key(property) {
                lines.push(format!(
                    "  {ADDITIONS}: the document has {name}.{field} now; drop it from there"
                ));
            } else {
                present.insert(property.clone(), definition.clone());
                lines.push(format!("  {ADDITIONS}: added {name}.{field}"));
            }
        }
    }
    Ok(lines)
}

/// The facts of `input` with the docs of `current` where their places
/// survive.
pub fn import(input: &Value, current: Option<&Value>) -> Value {
    let mut docs = Docs::new();
    if let Some(current) = current {
        collect_docs(current, &mut Vec::new(), &mut docs);
    }
    let importer = Importer {
        docs: &docs,
        used_tags: used_tags(input),
        reply_docs: true,
    };
    importer.value(input, &mut Vec::new(), Kind::Root)
}

/// One step of a logical pointer: a JSON pointer in which items of a list
/// that have a `name` (parameters, tags) are found by name and location,
/// so that our words follow a parameter when the document reorders them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Key(String),
    Index(usize),
    Named(String),
}

/// Our docs in the current spec: at each logical pointer, its `description`
/// and `summary`, in order.
type Docs = BTreeMap<Vec<Step>, Vec<(String, Value)>>;

/// How a key's value is treated.
enum Child {
    /// OpenAI's writing: dropped.
    Prose,
    /// A value taken as it stands (examples, enums, defaults, extension
    /// flags): never walked, since its keys are data, not keywords.
    Data,
    /// A map from names (properties, schemas, status codes, media types) to
    /// objects.
    Names,
    /// OAuth scopes: names whose values are prose.
    Scopes,
    /// An object, or a list of them, made of keywords.
    Object,
}

/// The one place that decides what each key holds, shared by the reading
/// of our docs and the import, so both walk the same places.
fn classify(key: &str, value: &Value) -> Child {
    match key {
        "description" | "summary" | "externalDocs" | "x-oaiMeta" => Child::Prose,
        _ if key.starts_with("x-") => Child::Data,
        "example" | "default" | "const" | "enum" | "value" | "mapping" => Child::Data,
        "scopes" if value.is_mapping() => Child::Scopes,
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas"
        | "schemas" | "responses" | "parameters" | "requestBodies" | "headers"
        | "securitySchemes" | "links" | "callbacks" | "pathItems" | "paths" | "webhooks"
        | "content" | "encoding" | "variables" | "examples"
            if value.is_mapping() =>
        {
            Child::Names
        }
        // JSON Schema's `examples` is a list of values.
        "examples" => Child::Data,
        _ => Child::Object,
    }
}

/// What an object is, where that changes its treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    Info,
    /// A Response Object, whose `description` OpenAPI requires.
    Reply,
    Other,
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// The step of the `index`th item of a list.
fn item_step(index: usize, item: &Value) -> Step {
    match item.get("name").and_then(Value::as_str) {
        Some(name) => {
            let place = item.get("in").and_then(Value::as_str).unwrap_or("");
            Step::Named(format!("{place}:{name}"))
        }
        None => Step::Index(index),
    }
}

/// The kind of the object at `key` under a map of names `map`.
fn named_kind(map: &str) -> Kind {
    if map == "responses" {
        Kind::Reply
    } else {
        Kind::Other
    }
}

fn collect_docs(value: &Value, at: &mut Vec<Step>, docs: &mut Docs) {
    match value {
        Value::Mapping(map) => {
            let mut here = Vec::new();
            for (key, child) in map {
                let key = key_text(key);
                match classify(&key, child) {
                    Child::Prose if key == "description" || key == "summary" => {
                        here.push((key, child.clone()));
                    }
                    Child::Prose | Child::Data | Child::Scopes => {}
                    Child::Names => {
                        let Value::Mapping(names) = child else {
                            continue;
                        };
                        at.push(Step::Key(key));
                        for (name, object) in names {
                            at.push(Step::Key(key_text(name)));
                            collect_docs(object, at, docs);
                            at.pop();
                        }
                        at.pop();
                    }
                    Child::Object => {
                        at.push(Step::Key(key));
                        collect_docs(child, at, docs);
                        at.pop();
                    }
                }
            }
            if !here.is_empty() {
                docs.insert(at.clone(), here);
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(item_step(i, item));
                collect_docs(item, at, docs);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The names of the tags some operation uses: the document also lists tags
/// only its reference pages use.
fn used_tags(document: &Value) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for items in ["paths", "webhooks"] {
        let Some(Value::Mapping(items)) = document.get(items) else {
            continue;
        };
        for item in items.values() {
            for method in METHODS {
                if let Some(Value::Sequence(tags)) = item.get(method).and_then(|op| op.get("tags"))
                {
                    used.extend(tags.iter().filter_map(Value::as_str).map(str::to_owned));
                }
            }
        }
    }
    used
}

struct Importer<'a> {
    docs: &'a Docs,
    used_tags: BTreeSet<String>,
    /// Whether to give each Response Object the `description` OpenAPI
    /// requires; off when comparing operations.
    reply_docs: bool,
}

impl Importer<'_> {
    fn value(&self, value: &Value, at: &mut Vec<Step>, kind: Kind) -> Value {
        match value {
            Value::Mapping(map) => Value::Mapping(self.object(map, at, kind)),
            Value::Sequence(items) => Value::Sequence(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        at.push(item_step(i, item));
                        let item = self.value(item, at, Kind::Other);
                        at.pop();
                        item
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn object(&self, map: &Mapping, at: &mut Vec<Step>, kind: Kind) -> Mapping {
        let mut ours: Vec<(String, Value)> =
            self.docs.get(at.as_slice()).cloned().unwrap_or_default();
        let mut out = Mapping::new();
        for (key, child) in map {
            let text = key_text(key);
            if kind == Kind::Info && !matches!(text.as_str(), "title" | "version" | "description") {
                continue;
            }
            match classify(&text, child) {
                Child::Prose => {
                    // Ours go where the document had its own.
                    if let Some(i) = ours.iter().position(|(k, _)| *k == text) {
                        let (k, v) = ours.remove(i);
                        out.insert(Value::String(k), v);
                    } else if text == "description" && self.needs_reply_doc(kind, map) {
                        out.insert(key.clone(), Value::String(reason_phrase(at)));
                    }
                }
                Child::Data => {
                    out.insert(key.clone(), child.clone());
                }
                Child::Scopes => {
                    let Value::Mapping(scopes) = child else {
                        continue;
                    };
                    let names = scopes
                        .keys()
                        .map(|name| (name.clone(), Value::String(String::new())))
                        .collect();
                    out.insert(key.clone(), Value::Mapping(names));
                }
                Child::Names => {
                    let Value::Mapping(names) = child else {
                        continue;
                    };
                    at.push(Step::Key(text.clone()));
                    let mut kept = Mapping::new();
                    for (name, object) in names {
                        at.push(Step::Key(key_text(name)));
                        kept.insert(name.clone(), self.value(object, at, named_kind(&text)));
                        at.pop();
                    }
                    at.pop();
                    out.insert(key.clone(), Value::Mapping(kept));
                }
                Child::Object => {
                    at.push(Step::Key(text.clone()));
                    let value = match (kind, text.as_str(), child) {
                        (Kind::Root, "info", _) => self.value(child, at, Kind::Info),
                        (Kind::Root, "tags", Value::Sequence(tags)) => {
                            let used = tags
                                .iter()
                                .filter(|tag| {
                                    tag.get("name")
                                        .and_then(Value::as_str)
                                        .is_some_and(|name| self.used_tags.contains(name))
                                })
                                .cloned()
                                .collect();
                            self.value(&Value::Sequence(used), at, Kind::Other)
                        }
                        _ => self.value(child, at, Kind::Other),
                    };
                    at.pop();
                    out.insert(key.clone(), value);
                }
            }
        }
        // Ours where the document has no words of its own.
        for (key, value) in ours {
            out.insert(Value::String(key), value);
        }
        if !out.contains_key("description") && self.needs_reply_doc(kind, map) {
            out.insert("description".into(), Value::String(reason_phrase(at)));
        }
        out
    }

    /// Whether `map` is a Response Object that needs a `description` of
    /// ours, OpenAPI requiring one.
    fn needs_reply_doc(&self, kind: Kind, map: &Mapping) -> bool {
        kind == Kind::Reply && self.reply_docs && !map.contains_key("$ref")
    }
}

/// Our `description` of a reply at `at` that has none: the reason phrase
/// of its status.
fn reason_phrase(at: &[Step]) -> String {
    let status = match at.last() {
        Some(Step::Key(key)) => key.as_str(),
        _ => "",
    };
    let phrase = match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No Content",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "Not Found",
        "409" => "Conflict",
        "422" => "Unprocessable Content",
        "429" => "Too Many Requests",
        "500" => "Internal Server Error",
        "default" => "Any other status",
        other => return format!("The `{other}` reply"),
    };
    phrase.to_owned()
}

/// Operations added, removed and changed by an import.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub before: usize,
    pub after: usize,
    /// `post /uploads`, in the order of the new document.
    pub added: Vec<String>,
    /// In the order of the current spec.
    pub removed: Vec<String>,
    /// Those whose parameters, body or replies differ, with what differs.
    pub changed: Vec<(String, Vec<&'static str>)>,
}

impl Changes {
    pub fn between(current: Option<&Value>, new: &Value) -> Self {
        let old = current.map(operations).unwrap_or_default();
        let new = operations(new);
        let new_keys: BTreeSet<&String> = new.iter().map(|(k, _)| k).collect();
        let old_facts: BTreeMap<&String, &OpFacts> = old.iter().map(|(k, f)| (k, f)).collect();
        let mut changes = Changes {
            before: old.len(),
            after: new.len(),
            ..Changes::default()
        };
        for (key, facts) in &new {
            match old_facts.get(key) {
                None => changes.added.push(key.clone()),
                Some(before) => {
                    let parts = facts.differences(before);
                    if !parts.is_empty() {
                        changes.changed.push((key.clone(), parts));
                    }
                }
            }
        }
        changes.removed = old
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !new_keys.contains(k))
            .cloned()
            .collect();
        changes
    }

    pub fn report(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "operations: {} (was {}): {} added, {} removed, {} changed",
            self.after,
            self.before,
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        );
        for key in &self.added {
            let _ = writeln!(text, "  added    {key}");
        }
        for key in &self.removed {
            let _ = writeln!(text, "  removed  {key}");
        }
        for (key, parts) in &self.changed {
            let _ = writeln!(text, "  changed  {key} ({})", parts.join(", "));
        }
        text
    }
}

/// The facts of one operation that an import compares.
#[derive(Debug, PartialEq)]
struct OpFacts {
    parameters: Value,
    body: Value,
    replies: Value,
}

impl OpFacts {
    fn differences(&self, before: &OpFacts) -> Vec<&'static str> {
        let mut parts = Vec::new();
        if self.parameters != before.parameters {
            parts.push("parameters");
        }
        if self.body != before.body {
            parts.push("request body");
        }
        if self.replies != before.replies {
            parts.push("replies");
        }
        parts
    }
}

/// Every operation of a document by `method path`, in document order, with
/// its facts stripped of all words, ours included.
fn operations(document: &Value) -> Vec<(String, OpFacts)> {
    let docs = Docs::new();
    let strip = Importer {
        docs: &docs,
        used_tags: BTreeSet::new(),
        reply_docs: false,
    };
    let clean = |value: &Value| strip.value(value, &mut Vec::new(), Kind::Other);
    let mut found = Vec::new();
    let Some(Value::Mapping(paths)) = document.get("paths") else {
        return found;
    };
    for (path, item) in paths {
        let path = key_text(path);
        let shared: Vec<Value> = match item.get("parameters") {
            Some(Value::Sequence(list)) => list.clone(),
            _ => Vec::new(),
        };
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let mut parameters = shared.clone();
            if let Some(Value::Sequence(list)) = op.get("parameters") {
                parameters.extend(list.iter().cloned());
            }
            let mut replies = Mapping::new();
            if let Some(Value::Mapping(responses)) = op.get("responses") {
                for (status, reply) in responses {
                    // A reply is its media types and schemas, or its $ref.
                    let facts = match (reply.get("$ref"), reply.get("content")) {
                        (Some(reference), _) => reference.clone(),
                        (None, Some(content)) => clean(content),
                        (None, None) => Value::Null,
                    };
                    replies.insert(status.clone(), facts);
                }
            }
            found.push((
                format!("{method} {path}"),
                OpFacts {
                    parameters: clean(&Value::Sequence(parameters)),
                    body: op.get("requestBody").map(clean).unwrap_or(Value::Null),
                    replies: Value::Mapping(replies),
                },
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document in OpenAI's style: every word of its prose says PROSE.
    const DOCUMENT: &str = r##"
openapi: 3.1.0
info:
  title: Shop API
  description: PROSE about the API.
  version: 1.2.0
  termsOfService: https://example.com/terms
servers:
  - url: https://api.example.com/v1
    description: PROSE server.
tags:
  - name: Orders
    description: PROSE tag.
  - name: Pages only
    description: PROSE tag used by no operation.
paths:
  /orders:
    post:
      operationId: createOrder
      tags: [Orders]
      summary: PROSE summary.
      description: PROSE operation.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/CreateOrder"
      responses:
        "200":
          description: PROSE reply.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Order"
      x-oaiMeta:
        name: PROSE name
        examples:
          request:
            curl: curl PROSE
  /orders/{order_id}:
    get:
      operationId: getOrder
      tags: [Orders]
      summary: PROSE summary.
      parameters:
        - name: order_id
          in: path
          required: true
          description: PROSE parameter.
          schema:
            type: string
            example: ord_123
        - name: expand
          in: query
          description: PROSE parameter.
          schema:
            type: boolean
            default: false
      responses:
        "200":
          description: PROSE reply.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Order"
components:
  schemas:
    CreateOrder:
      type: object
      description: PROSE schema.
      properties:
        description:
          type: string
          description: PROSE property.
          maxLength: 100
        summary:
          type: string
        quantity:
          type: integer
          minimum: 1
          maximum: 10
          default: 1
      required: [description, quantity]
    Order:
      type: object
      title: Order
      description: PROSE schema.
      properties:
        id:
          type: string
        status:
          type: string
          enum: [open, shipped]
          description: PROSE property.
        kind:
          anyOf:
            - $ref: "#/components/schemas/CreateOrder"
            - type: "null"
              description: PROSE branch.
        note:
          type: object
          example:
            description: an example value is data
          x-stainless-const: true
      required: [id, status]
      discriminator:
        propertyName: status
        mapping:
          open: "#/components/schemas/CreateOrder"
      x-oaiMeta:
        name: PROSE object
        example: PROSE
x-oaiMeta:
  navigationGroups:
    - id: PROSE
"##;

    /// The spec as it stands, with our words (OURS) at places of which some
    /// survive the import.
    const CURRENT: &str = r##"
openapi: 3.1.0
info:
  title: Shop API
  description: OURS about the spec.
  version: 1.0.0
tags:
  - name: Orders
    description: OURS tag.
paths:
  /orders/{order_id}:
    get:
      operationId: getOrder
      summary: OURS summary.
      description: OURS operation.
      parameters:
        - name: expand
          in: query
          description: OURS flag.
          schema:
            type: boolean
        - name: order_id
          in: path
          required: true
          description: OURS id.
          schema:
            type: string
      responses:
        "200":
          description: OURS reply.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Order"
  /orders/{order_id}/refund:
    post:
      operationId: refundOrder
      description: OURS on a vanished operation.
      responses:
        "200":
          description: OURS reply.
components:
  schemas:
    Order:
      type: object
      description: OURS schema.
      properties:
        id:
          type: string
          description: OURS id property.
        gone:
          type: string
          description: OURS on a vanished property.
        kind:
          anyOf:
            - $ref: "#/components/schemas/CreateOrder"
            - type: "null"
              description: OURS branch.
"##;

    fn parse(text: &str) -> Value {
        Spec::parse(text).unwrap().value().clone()
    }

    /// Every string in `value`, keys included.
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Sequence(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Mapping(map) => {
                for (key, value) in map {
                    strings(key, out);
                    strings(value, out);
                }
            }
            _ => {}
        }
    }

    /// Every `description` and `summary` keyword of `value` (property
    /// names and examples are not keywords), by where it is.
    fn words(value: &Value) -> BTreeMap<String, String> {
        let mut docs = Docs::new();
        collect_docs(value, &mut Vec::new(), &mut docs);
        docs.into_iter()
            .flat_map(|(at, words)| {
                let at: Vec<String> = at
                    .iter()
                    .map(|step| match step {
                        Step::Key(k) | Step::Named(k) => k.clone(),
                        Step::Index(i) => i.to_string(),
                    })
                    .collect();
                let at = at.join("/");
                words.into_iter().map(move |(key, value)| {
                    (
                        format!("{at}/{key}"),
                        value.as_str().unwrap_or("").to_owned(),
                    )
                })
            })
            .collect()
    }

    #[test]
    fn no_prose_of_the_document_reaches_the_spec() {
        let imported = import_text(DOCUMENT, None, None).unwrap();
        let output = parse(&imported.text);
        let mut all = Vec::new();
        strings(&output, &mut all);
        let prose: Vec<&String> = all.iter().filter(|s| s.contains("PROSE")).collect();
        assert!(prose.is_empty(), "prose in the output: {prose:?}");
        let body = imported.text.strip_prefix(HEADER).unwrap();
        assert!(!body.contains("x-oaiMeta"));
        assert!(!body.contains("termsOfService"));
        // The only words left are the replies' reason phrases, ours.
        let left = words(&output);
        assert_eq!(
            left.keys().collect::<Vec<_>>(),
            [
                "paths/~1orders/post/responses/200/description",
                "paths/~1orders~1{order_id}/get/responses/200/description"
            ]
            .iter()
            .map(|k| k.replace("~1", "/"))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
        );
        assert!(left.values().all(|v| v == "OK"));
    }

    #[test]
    fn facts_survive_and_names_that_look_like_keywords_are_kept() {
        let output = parse(&import_text(DOCUMENT, None, None).unwrap().text);
        let create = &output["components"]["schemas"]["CreateOrder"];
        // Properties called `description` and `summary` are facts.
        assert_eq!(create["properties"]["description"]["maxLength"], 100);
        assert_eq!(create["properties"]["summary"]["type"], "string");
        assert_eq!(create["required"][0], "description");
        assert_eq!(create["properties"]["quantity"]["default"], 1);
        let order = &output["components"]["schemas"]["Order"];
        assert_eq!(order["title"], "Order");
        assert_eq!(order["properties"]["status"]["enum"][1], "shipped");
        assert_eq!(
            order["properties"]["note"]["example"]["description"],
            "an example value is data"
        );
        assert_eq!(order["properties"]["note"]["x-stainless-const"], true);
        assert_eq!(order["discriminator"]["propertyName"], "status");
        assert_eq!(
            order["discriminator"]["mapping"]["open"],
            "#/components/schemas/CreateOrder"
        );
        let get = &output["paths"]["/orders/{order_id}"]["get"];
        assert_eq!(get["parameters"][0]["schema"]["example"], "ord_123");
        assert_eq!(get["parameters"][1]["schema"]["default"], false);
        assert_eq!(output["info"]["version"], "1.2.0");
        assert_eq!(output["servers"][0]["url"], "https://api.example.com/v1");
        // Only tags an operation uses.
        assert_eq!(output["tags"].as_sequence().unwrap().len(), 1);
        assert_eq!(output["tags"][0]["name"], "Orders");
    }

    #[test]
    fn our_words_are_kept_where_their_place_survives() {
        let output = parse(&import_text(DOCUMENT, Some(CURRENT), None).unwrap().text);
        let words = words(&output);
        let expected: BTreeMap<String, String> = [
            ("info/description", "OURS about the spec."),
            ("tags/:Orders/description", "OURS tag."),
            ("paths/~1orders/post/responses/200/description", "OK"),
            ("paths/~1orders~1{order_id}/get/summary", "OURS summary."),
            (
                "paths/~1orders~1{order_id}/get/description",
                "OURS operation.",
            ),
            // Found by name, though the document lists them the other way.
            (
                "paths/~1orders~1{order_id}/get/parameters/path:order_id/description",
                "OURS id.",
            ),
            (
                "paths/~1orders~1{order_id}/get/parameters/query:expand/description",
                "OURS flag.",
            ),
            (
                "paths/~1orders~1{order_id}/get/responses/200/description",
                "OURS reply.",
            ),
            ("components/schemas/Order/description", "OURS schema."),
            (
                "components/schemas/Order/properties/id/description",
                "OURS id property.",
            ),
            (
                "components/schemas/Order/properties/kind/anyOf/1/description",
                "OURS branch.",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.replace("~1", "/"), v.to_owned()))
        .collect();
        assert_eq!(words, expected);
        // Ours take the place the document's words had.
        let get = output["paths"]["/orders/{order_id}"]["get"]
            .as_mapping()
            .unwrap();
        let keys: Vec<String> = get.keys().map(key_text).collect();
        assert_eq!(
            keys,
            [
                "operationId",
                "tags",
                "summary",
                "parameters",
                "responses",
                "description"
            ]
        );
        let id = output["paths"]["/orders/{order_id}"]["get"]["parameters"][0]
            .as_mapping()
            .unwrap();
        let keys: Vec<String> = id.keys().map(key_text).collect();
        assert_eq!(keys, ["name", "in", "required", "description", "schema"]);
    }

    #[test]
    fn importing_again_changes_nothing() {
        let first = import_text(DOCUMENT, Some(CURRENT), None).unwrap();
        let second = import_text(DOCUMENT, Some(&first.text), None).unwrap();
        assert_eq!(second.text, first.text);
        assert_eq!(
            second.changes,
            Changes {
                before: 2,
                after: 2,
                ..Changes::default()
            }
        );
        assert!(second.text.starts_with(HEADER));
        // A fresh import, too, is its own fixed point.
        let fresh = import_text(DOCUMENT, None, None).unwrap();
        assert_eq!(
            import_text(DOCUMENT, Some(&fresh.text), None).unwrap().text,
            fresh.text
        );
    }

    #[test]
    fn added_removed_and_changed_operations_are_reported() {
        let changes = import_text(DOCUMENT, Some(CURRENT), None).unwrap().changes;
        assert_eq!(changes.before, 2);
        assert_eq!(changes.after, 2);
        assert_eq!(changes.added, ["post /orders"]);
        assert_eq!(changes.removed, ["post /orders/{order_id}/refund"]);
        // The parameters differ (order, `required`, the example, the
        // default); the words alone never count.
        assert_eq!(
            changes.changed,
            [("get /orders/{order_id}".to_owned(), vec!["parameters"])]
        );
        let report = changes.report();
        assert!(report.contains("1 added, 1 removed, 1 changed"), "{report}");
        assert!(report.contains("  added    post /orders\n"), "{report}");
        assert!(report.contains("  removed  post /orders/{order_id}/refund\n"));

        // One operation more, then one fewer, against the imported spec.
        let base = import_text(DOCUMENT, None, None).unwrap().text;
        let more = DOCUMENT.replace(
            "components:\n",
            "  /orders/{order_id}/cancel:\n    post:\n      responses:\n        \"204\":\n          description: PROSE.\ncomponents:\n",
        );
        let grown = import_text(&more, Some(&base), None).unwrap();
        assert_eq!(grown.changes.added, ["post /orders/{order_id}/cancel"]);
        assert!(grown.changes.removed.is_empty() && grown.changes.changed.is_empty());
        let shrunk = import_text(DOCUMENT, Some(&grown.text), None).unwrap();
        assert_eq!(shrunk.changes.removed, ["post /orders/{order_id}/cancel"]);
        assert!(shrunk.changes.added.is_empty() && shrunk.changes.changed.is_empty());
        assert_eq!(shrunk.text, base);

        // A reply's schema changing is a change of its replies.
        let other = DOCUMENT.replacen(
            "                $ref: \"#/components/schemas/Order\"\n",
            "                $ref: \"#/components/schemas/CreateOrder\"\n",
            1,
        );
        let changed = import_text(&other, Some(&base), None).unwrap().changes;
        assert_eq!(
            changed.changed,
            [("post /orders".to_owned(), vec!["replies"])]
        );
    }

    #[test]
    fn a_bad_document_is_an_error() {
        let error = import_text("paths: [unclosed", None, None).unwrap_err();
        assert!(error.contains("cannot parse"), "{error}");
        for not_openapi in ["just text", "paths: [a, b]\n", "openapi: 3.1.0\n"] {
            let error = import_text(not_openapi, None, None).unwrap_err();
            assert!(error.contains("no `paths` map"), "{error}");
        }
        // The current spec is read too, and its errors say which file.
        let error = import_text(DOCUMENT, Some("info: [unclosed"), None).unwrap_err();
        assert!(error.starts_with("spec/openapi.yaml: "), "{error}");
    }

    #[test]
    fn additions_add_what_the_document_lacks_and_say_when_it_no_longer_does() {
        let additions = "schemas:\n  CreateOrder:\n    region:\n      type: string\n      description: OURS region.\n    quantity:\n      type: string\n";
        let first = import_text(DOCUMENT, None, Some(additions)).unwrap();
        let output = parse(&first.text);
        let properties = &output["components"]["schemas"]["CreateOrder"]["properties"];
        assert_eq!(properties["region"]["type"], "string");
        assert_eq!(properties["region"]["description"], "OURS region.");
        // A property the document has keeps the document's facts.
        assert_eq!(properties["quantity"]["type"], "integer");
        assert_eq!(
            first.added,
            [
                "  spec/additions.yaml: added CreateOrder.region",
                "  spec/additions.yaml: the document has CreateOrder.quantity now; drop it from there",
            ]
        );
        // Importing again over the result changes nothing.
        let second = import_text(DOCUMENT, Some(&first.text), Some(additions)).unwrap();
        assert_eq!(second.text, first.text);

        let unknown = import_text(DOCUMENT, None, Some("schemas:\n  Nope:\n    a: {}\n"));
        assert!(unknown.unwrap_err().contains("`Nope` is not a schema"));
        let shapeless = import_text(DOCUMENT, None, Some("other: 1\n"));
        assert!(shapeless.unwrap_err().starts_with("spec/additions.yaml: "));
    }
}
