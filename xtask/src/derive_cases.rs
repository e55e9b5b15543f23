//! Conformance cases derived from the generator's IR: for every operation
//! of `spec/generate.yaml`, a call of its command under its official name
//! with every path parameter, every required query parameter and body
//! field, and the optional ones of a plain value, as flags; for an
//! operation with a body, the same body piped on stdin instead (the file
//! fields of a multipart body stay flags); for a streaming operation, the
//! call again with `--stream true`.
//!
//! Values are built from what the spec says of each field (its type, enum
//! values, bounds, lengths, format and example, all in the IR), so that
//! Steady, which checks every request against the spec, must accept them.

use std::collections::BTreeMap;

use codegen::ir::{
    Api, BodyKind, Facts, Field, Flag, FlagTarget, FlagValue, Operation, ParamKind, Payload,
    Response, TypeDef, TypeRef, UnionDef,
};
use serde_json::{Map, Value as Json, json};

use crate::conformance::Case;

/// How deep required fields are followed into nested objects.
const MAX_DEPTH: usize = 8;

/// What one derived case runs, beside its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Everything as flags.
    Flags,
    /// The body on stdin; path, query and file values as flags.
    Stdin,
    /// [`Variant::Flags`] with `--stream true`.
    Stream,
}

impl Variant {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Variant::Flags => "flags",
            Variant::Stdin => "stdin",
            Variant::Stream => "stream",
        }
    }
}

/// The cases of one operation, in the order they run.
pub(crate) fn cases(api: &Api, op: &Operation) -> Vec<(Variant, Case)> {
    let built = Inputs::of(api, op);
    let mut cases = vec![(Variant::Flags, built.flags_case(op, false))];
    if op.body.is_some() {
        cases.push((Variant::Stdin, built.stdin_case(op)));
    }
    if op
        .stream
        .as_ref()
        .is_some_and(|stream| stream.switch.is_some())
    {
        cases.push((Variant::Stream, built.flags_case(op, true)));
    }
    cases
}

/// One value the command is given: its flag and the value.
#[derive(Debug, Clone)]
struct Input {
    flag: Flag,
    value: Json,
    /// A file field: given as a path, never on stdin.
    file: bool,
}

/// The values of one call of an operation.
struct Inputs {
    path: Vec<Input>,
    query: Vec<Input>,
    headers: Vec<Input>,
    body: Vec<Input>,
    /// The body the request must carry (JSON bodies only): every value,
    /// constants included.
    expected_body: Option<Map<String, Json>>,
}

impl Inputs {
    fn of(api: &Api, op: &Operation) -> Self {
        let values = Values { api };
        let flag_of = |key: &str, target: FlagTarget| {
            op.cli
                .flags
                .iter()
                .find(|flag| flag.key == key && flag.target == target)
                .cloned()
        };
        let mut inputs = Inputs {
            path: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            expected_body: None,
        };
        for param in &op.params {
            let target = FlagTarget::Param(param.kind);
            let Some(flag) = flag_of(&param.api_name, target) else {
                continue;
            };
            let field = Field::of_param(param);
            let value = match param.kind {
                ParamKind::Path => Some(values.path_param(&field)),
                ParamKind::Header if !param.required => None,
                // A stream asked for in the query: the reply is no JSON.
                ParamKind::Query if param.api_name == "stream" && !param.required => None,
                _ => values.field(&field, &flag),
            };
            let Some(value) = value else { continue };
            let input = Input {
                flag,
                value,
                file: false,
            };
            match param.kind {
                ParamKind::Path => inputs.path.push(input),
                ParamKind::Query => inputs.query.push(input),
                ParamKind::Header => inputs.headers.push(input),
            }
        }
        if let Some(body) = &op.body
            && let Some(TypeDef::Struct(def)) = api.types.get(&body.type_name)
        {
            let mut expected = Map::new();
            for field in &def.fields {
                let Some(flag) = flag_of(&field.api_name, FlagTarget::Body(body.kind)) else {
                    continue;
                };
                // The switch to server-sent events has a case of its own
                // (when the IR knows the stream; else the reply is JSON).
                if field.api_name == "stream" && !field.required {
                    continue;
                }
                let file = matches!(flag.value, FlagValue::File | FlagValue::FileOrValue);
                let value = if file {
                    (field.required || !flag.repeated).then(|| json!("[File]"))
                } else {
                    values.field(field, &flag)
                };
                let Some(value) = value else { continue };
                if !file {
                    expected.insert(field.api_name.clone(), value.clone());
                }
                inputs.body.push(Input { flag, value, file });
            }
            for (key, value) in &op.cli.constants {
                expected
                    .entry(key.clone())
                    .or_insert_with(|| Json::String(value.clone()));
            }
            if body.kind == BodyKind::Json {
                inputs.expected_body = Some(expected);
            }
        }
        inputs
    }

    /// Every value as flags (`stream`: and `--stream true`).
    fn flags_case(&self, op: &Operation, stream: bool) -> Case {
        let mut case = command(op);
        let mut files = BTreeMap::new();
        for input in self
            .path
            .iter()
            .chain(&self.query)
            .chain(&self.headers)
            .chain(&self.body)
        {
            // The CLI sends a required constant by itself.
            if matches!(input.flag.value, FlagValue::Const(_))
                && op
                    .cli
                    .constants
                    .iter()
                    .any(|(key, _)| *key == input.flag.key)
            {
                continue;
            }
            case.args.extend(flag_args(input, &mut files, yaml(op)));
        }
        let mut body = self.expected_body.clone();
        if stream && let Some(switch) = op.stream.as_ref().and_then(|s| s.switch.clone()) {
            case.args
                .extend([format!("--{}", kebab_flag(op, &switch)), "true".into()]);
            if let Some(body) = &mut body {
                body.insert(switch, Json::Bool(true));
            }
        }
        finish(&mut case, op, files, body);
        case
    }

    /// The body on stdin (as JSON or YAML); the rest as flags.
    fn stdin_case(&self, op: &Operation) -> Case {
        let mut case = command(op);
        let mut files = BTreeMap::new();
        let mut piped = Map::new();
        for input in self.path.iter().chain(&self.query).chain(&self.headers) {
            case.args.extend(flag_args(input, &mut files, yaml(op)));
        }
        for input in &self.body {
            if input.file {
                case.args.extend(flag_args(input, &mut files, yaml(op)));
            } else {
                piped.insert(input.flag.key.clone(), input.value.clone());
            }
        }
        case.stdin = Some(if yaml(op) {
            serde_yaml::to_string(&piped).expect("JSON values are YAML")
        } else {
            Json::Object(piped).to_string()
        });
        finish(&mut case, op, files, self.expected_body.clone());
        case
    }
}

/// The command words of `op` under its official name.
fn command(op: &Operation) -> Case {
    Case {
        args: vec![op.cli.group.clone(), op.cli.name.clone()],
        stdin: None,
        files: BTreeMap::new(),
        body: None,
    }
}

/// What every case of `op` adds at the end.
fn finish(
    case: &mut Case,
    op: &Operation,
    files: BTreeMap<String, String>,
    body: Option<Map<String, Json>>,
) {
    if op.paging.is_some() {
        case.args.extend(["--max-items".into(), "2".into()]);
    }
    if matches!(op.response, Response::Binary { .. }) {
        case.args.extend(["--output".into(), "-".into()]);
    }
    case.files = files;
    case.body = body.map(Json::Object);
}

/// The long name of the flag with wire name `key` (the stream switch).
fn kebab_flag(op: &Operation, key: &str) -> String {
    op.cli
        .flags
        .iter()
        .find(|flag| flag.key == key)
        .map_or_else(|| key.replace('_', "-"), |flag| flag.long.clone())
}

/// The arguments that give `input`, writing a small file for a file flag.
fn flag_args(input: &Input, files: &mut BTreeMap<String, String>, yaml: bool) -> Vec<String> {
    let long = format!("--{}", input.flag.long);
    if input.file {
        let name = format!("{}.txt", input.flag.key);
        files.insert(name.clone(), format!("conformance {}\n", input.flag.key));
        return vec![long, format!("{{file:{name}}}")];
    }
    let value = &input.value;
    match (&input.flag.value, value) {
        (FlagValue::Object { fields }, Json::Object(object))
            if !input.flag.repeated && dotted_fits(fields, object) =>
        {
            let mut args = Vec::new();
            for (key, item) in object {
                let sub = fields.iter().find(|f| &f.key == key).expect("checked");
                args.extend([format!("--{}", sub.long), plain_text(item)]);
            }
            args
        }
        (_, Json::Array(items)) if input.flag.repeated => items
            .iter()
            .flat_map(|item| [long.clone(), flag_text(&input.flag.value, item, yaml)])
            .collect(),
        _ => vec![long, flag_text(&input.flag.value, value, yaml)],
    }
}

/// Whether every key of `object` has a dotted flag of a plain value.
fn dotted_fits(fields: &[Flag], object: &Map<String, Json>) -> bool {
    !object.is_empty()
        && object.iter().all(|(key, value)| {
            fields.iter().any(|f| {
                &f.key == key
                    && matches!(
                        f.value,
                        FlagValue::Scalar(_) | FlagValue::Enum { .. } | FlagValue::Const(_)
                    )
                    && !value.is_object()
                    && !value.is_array()
            })
        })
}

/// A value as the text of a flag of kind `kind`; a list or object as YAML
/// when `yaml`, else as JSON.
fn flag_text(kind: &FlagValue, value: &Json, yaml: bool) -> String {
    match (kind, value) {
        (FlagValue::Scalar(_) | FlagValue::Enum { .. } | FlagValue::Const(_), _) => {
            plain_text(value)
        }
        (_, Json::Array(_) | Json::Object(_)) if yaml => serde_yaml::to_string(value)
            .expect("JSON values are YAML")
            .trim_end()
            .to_owned(),
        // JSON, so that a string stays a string (`"1"`, `"true"`).
        _ => value.to_string(),
    }
}

/// Half the operations get their documents (stdin, object flags) as YAML,
/// the other half as JSON.
fn yaml(op: &Operation) -> bool {
    op.key.len() % 2 == 1
}

fn plain_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Builds values the spec allows.
struct Values<'a> {
    api: &'a Api,
}

impl Values<'_> {
    /// A path parameter: its example, else a made-up id.
    fn path_param(&self, field: &Field) -> Json {
        match &field.facts.example {
            Some(Json::String(text)) if !text.is_empty() => json!(text),
            _ => match field.ty.non_null() {
                TypeRef::Integer | TypeRef::Number => json!(1),
                _ => json!(format!(
                    "{}_abc123",
                    field.api_name.trim_end_matches("_id").replace('_', "")
                )),
            },
        }
    }

    /// The value of a query parameter or body field, when it is sent: a
    /// required one always (if a value can be built), an optional one when
    /// it is a plain value, a list of plain values or an object of them.
    fn field(&self, field: &Field, flag: &Flag) -> Option<Json> {
        if !field.required {
            let plain = match &flag.value {
                FlagValue::Scalar(_) | FlagValue::Enum { .. } | FlagValue::Const(_) => true,
                FlagValue::Object { fields } => !flag.repeated && !fields.is_empty(),
                _ => false,
            };
            // A pattern the example does not meet is not guessed at.
            if !plain
                || field.deprecated
                || (field.facts.pattern.is_some() && field.facts.example.is_none())
            {
                return None;
            }
        }
        let value = self.value(&field.ty, &field.facts, &field.api_name, 0)?;
        // An optional object with nothing required in it says nothing.
        if !field.required && value.as_object().is_some_and(Map::is_empty) {
            return None;
        }
        Some(value)
    }

    fn value(&self, ty: &TypeRef, facts: &Facts, key: &str, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        match ty {
            TypeRef::Nullable(inner) | TypeRef::Boxed(inner) => {
                self.value(inner, facts, key, depth)
            }
            TypeRef::String => Some(string(facts, key)),
            TypeRef::Integer => Some(integer(facts)),
            TypeRef::Number => Some(number(facts)),
            TypeRef::Boolean => Some(match &facts.example {
                Some(Json::Bool(b)) => Json::Bool(*b),
                _ => match &facts.default {
                    Some(Json::Bool(b)) => Json::Bool(*b),
                    _ => Json::Bool(true),
                },
            }),
            TypeRef::Binary => None,
            TypeRef::Any => Some(json!(key)),
            TypeRef::Array(item) => {
                let count = facts.min_items.unwrap_or(1).max(1);
                let count = facts.max_items.map_or(count, |max| count.min(max));
                let one = self.value(item, &Facts::default(), &singular(key), depth + 1)?;
                Some(Json::Array(vec![one; count as usize]))
            }
            TypeRef::Map(inner) => {
                let one = self
                    .value(inner, &Facts::default(), "value", depth + 1)
                    .unwrap_or(json!("value"));
                Some(json!({ "key": one }))
            }
            TypeRef::Named(name) => match self.api.types.get(name)? {
                TypeDef::Enum(def) => {
                    let first = def.variants.first()?;
                    Some(match def.repr {
                        codegen::ir::EnumRepr::Integer => first
                            .value
                            .parse::<i64>()
                            .map_or(json!(first.value), Json::from),
                        codegen::ir::EnumRepr::String => json!(first.value),
                    })
                }
                TypeDef::Const(def) => Some(json!(def.value)),
                TypeDef::Struct(def) => {
                    let mut object = Map::new();
                    for field in def.fields.iter().filter(|f| f.required) {
                        let value =
                            self.value(&field.ty, &field.facts, &field.api_name, depth + 1)?;
                        object.insert(field.api_name.clone(), value);
                    }
                    Some(Json::Object(object))
                }
                TypeDef::Union(def) => self.union(def, key, depth),
            },
        }
    }

    /// The first variant of a union that a value can be built for, plain
    /// ones first.
    fn union(&self, def: &UnionDef, key: &str, depth: usize) -> Option<Json> {
        let mut variants: Vec<&Payload> = def.variants.iter().map(|v| &v.payload).collect();
        variants.sort_by_key(|payload| match payload {
            Payload::Keyword(_) => 0,
            Payload::Type(ty) => match ty.non_null() {
                TypeRef::String => 1,
                TypeRef::Named(name)
                    if matches!(self.api.types.get(name), Some(TypeDef::Enum(_))) =>
                {
                    1
                }
                TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => 2,
                _ => 3,
            },
        });
        variants.into_iter().find_map(|payload| match payload {
            Payload::Keyword(word) => Some(json!(word)),
            Payload::Type(ty) => self.value(ty, &Facts::default(), key, depth + 1),
        })
    }
}

/// A string the facts allow: the example, else one made for the format,
/// else the field's name, padded or cut to the allowed length.
fn string(facts: &Facts, key: &str) -> Json {
    if let Some(Json::String(example)) = &facts.example {
        let length = example.chars().count() as u64;
        if facts.min_length.is_none_or(|min| length >= min)
            && facts.max_length.is_none_or(|max| length <= max)
        {
            return json!(example);
        }
    }
    let mut text = match facts.format.as_deref() {
        Some("uri" | "url") => "https://example.com/conformance".to_owned(),
        Some("date") => "2025-01-01".to_owned(),
        Some("date-time") => "2025-01-01T00:00:00Z".to_owned(),
        Some("email") => "someone@example.com".to_owned(),
        _ if key.is_empty() => "text".to_owned(),
        _ => key.to_owned(),
    };
    let min = facts.min_length.unwrap_or(0) as usize;
    while text.chars().count() < min {
        text.push('x');
    }
    if let Some(max) = facts.max_length {
        text = text.chars().take(max as usize).collect();
    }
    json!(text)
}

/// The lowest and highest values the bounds allow, for integers.
fn integer_range(facts: &Facts) -> (Option<i64>, Option<i64>) {
    let low = facts.minimum.map(|(limit, exclusive)| {
        let floor = limit.ceil() as i64;
        if exclusive && floor as f64 == limit {
            floor + 1
        } else {
            floor
        }
    });
    let high = facts.maximum.map(|(limit, exclusive)| {
        let ceiling = limit.floor() as i64;
        if exclusive && ceiling as f64 == limit {
            ceiling - 1
        } else {
            ceiling
        }
    });
    (low, high)
}

fn integer(facts: &Facts) -> Json {
    let (low, high) = integer_range(facts);
    let allowed = |n: i64| low.is_none_or(|l| n >= l) && high.is_none_or(|h| n <= h);
    if let Some(example) = facts.example.as_ref().and_then(Json::as_i64)
        && allowed(example)
    {
        return json!(example);
    }
    if let Some(default) = facts.default.as_ref().and_then(Json::as_i64)
        && allowed(default)
    {
        return json!(default);
    }
    let value = match (low, high) {
        (Some(low), _) if allowed(low.max(1)) => low.max(1),
        (Some(low), _) => low,
        (None, Some(high)) if high < 1 => high,
        _ => 1,
    };
    json!(value)
}

fn number(facts: &Facts) -> Json {
    let allowed = |n: f64| {
        facts
            .minimum
            .is_none_or(|(l, exclusive)| if exclusive { n > l } else { n >= l })
            && facts
                .maximum
                .is_none_or(|(h, exclusive)| if exclusive { n < h } else { n <= h })
    };
    for candidate in [&facts.example, &facts.default] {
        if let Some(n) = candidate.as_ref().and_then(Json::as_f64)
            && allowed(n)
        {
            return json!(n);
        }
    }
    let value = match (facts.minimum, facts.maximum) {
        _ if allowed(1.0) => 1.0,
        (Some((low, false)), _) => low,
        (Some((low, true)), Some((high, _))) => (low + high) / 2.0,
        (Some((low, true)), None) => low + 1.0,
        (None, Some((high, false))) => high,
        (None, Some((high, true))) => high - 1.0,
        (None, None) => 1.0,
    };
    // An integral number is written as an integer, as the CLI parses it.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// `part_ids` -> `part_id`, for the items of a list.
fn singular(key: &str) -> String {
    codegen::names::singular(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /things/{thing_id}:
    post:
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, minimum: 5, maximum: 9}}
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Make' }
      responses:
        '200': {description: OK, content: {application/json: {schema: {type: object}}}}
  /things/{thing_id}/file:
    post:
      parameters: [{name: thing_id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, purpose]
              properties:
                file: {type: string, format: binary}
                purpose: {type: string, enum: [one, two]}
      responses:
        '200': {description: OK, content: {application/json: {schema: {type: object}}}}
  /things:
    get:
      responses:
        '200': {description: OK, content: {application/json: {schema: {type: object}}}}
components:
  schemas:
    Make:
      type: object
      required: [name, size, tags, kind, options, type]
      properties:
        name: {type: string, minLength: 12, maxLength: 20}
        size: {type: integer, exclusiveMinimum: 10, maximum: 100}
        ratio: {anyOf: [{type: number, minimum: 2, maximum: 3}, {type: 'null'}]}
        tags: {type: array, items: {type: string}, minItems: 2}
        kind: {type: string, enum: [small, big]}
        type: {type: string, enum: [make], x-stainless-const: true}
        options:
          type: object
          required: [level]
          properties:
            level: {type: integer, minimum: 3}
            note: {type: string}
        id: {type: string, pattern: '^x_[0-9]+$'}
        url: {type: string, format: uri}
        stream: {type: boolean}
";

    const CONFIG: &str = "\
resources:
  things:
    methods:
      make: post /things/{thing_id}
      list: get /things
    subresources:
      files:
        methods:
          create: post /things/{thing_id}/file
";

    fn api() -> Api {
        codegen::lower(SPEC, CONFIG).unwrap()
    }

    fn op<'a>(api: &'a Api, key: &str) -> &'a Operation {
        api.operations().find(|op| op.key == key).unwrap()
    }

    #[test]
    fn a_json_body_goes_as_flags_within_its_bounds_and_then_on_stdin() {
        let api = api();
        let cases = cases(&api, op(&api, "things.make"));
        let variants: Vec<Variant> = cases.iter().map(|(v, _)| *v).collect();
        assert_eq!(variants, [Variant::Flags, Variant::Stdin]);
        let (_, flags) = &cases[0];
        let args = flags.args.join(" ");
        assert!(
            args.starts_with("things make --thing-id thing_abc123 --limit 5 "),
            "{args}"
        );
        assert!(args.contains("--name namexxxxxxxx "), "{args}");
        assert!(args.contains("--size 11 "), "{args}");
        assert!(args.contains("--ratio 2 "), "{args}");
        assert!(args.contains("--tag tag --tag tag "), "{args}");
        assert!(args.contains("--kind small "), "{args}");
        assert!(args.contains("--options.level 3"), "{args}");
        assert!(args.contains("--url https://"), "{args}");
        assert!(
            !args.contains("--id"),
            "a pattern without an example: {args}"
        );
        assert!(!args.contains("--type"), "a required constant: {args}");
        let body = flags.body.as_ref().unwrap();
        assert_eq!(body["type"], "make");
        assert_eq!(body["options"], json!({"level": 3}));
        assert!(
            body.get("stream").is_none(),
            "streams have a case of their own"
        );
        assert!(flags.stdin.is_none());

        let (_, stdin) = &cases[1];
        assert_eq!(
            stdin.args,
            [
                "things",
                "make",
                "--thing-id",
                "thing_abc123",
                "--limit",
                "5"
            ]
        );
        let piped: Json = serde_yaml::from_str(stdin.stdin.as_deref().unwrap()).unwrap();
        assert_eq!(piped["size"], 11);
        assert_eq!(piped["tags"], json!(["tag", "tag"]));
        assert_eq!(stdin.body, flags.body);
    }

    #[test]
    fn multipart_files_stay_flags_on_stdin() {
        let api = api();
        let cases = cases(&api, op(&api, "things.files.create"));
        assert_eq!(cases.len(), 2);
        let (_, flags) = &cases[0];
        assert_eq!(
            flags.args,
            [
                "things:files",
                "create",
                "--thing-id",
                "thing_abc123",
                "--file",
                "{file:file.txt}",
                "--purpose",
                "one"
            ]
        );
        assert!(flags.files.contains_key("file.txt"));
        assert_eq!(flags.body, None, "multipart bodies are checked by shape");
        let (variant, stdin) = &cases[1];
        assert_eq!(*variant, Variant::Stdin);
        assert!(stdin.args.contains(&"{file:file.txt}".to_owned()));
        let piped: Json = serde_yaml::from_str(stdin.stdin.as_deref().unwrap()).unwrap();
        assert_eq!(piped, json!({"purpose": "one"}));
    }

    #[test]
    fn an_operation_without_a_body_has_one_case() {
        let api = api();
        let cases = cases(&api, op(&api, "things.list"));
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].1.args, ["things", "list"]);
        assert_eq!(cases[0].1.body, None);
    }

    #[test]
    fn every_operation_of_the_committed_spec_gets_its_cases() {
        let root = crate::util::root();
        let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
        let api = codegen::lower(&read("spec/openapi.yaml"), &read("spec/generate.yaml")).unwrap();
        let mut operations = 0;
        for op in api.operations() {
            operations += 1;
            let cases = cases(&api, op);
            let given = |case: &Case, long: &str| {
                let dotted = format!("--{long}.");
                case.args
                    .iter()
                    .any(|arg| *arg == format!("--{long}") || arg.starts_with(&dotted))
            };
            let (variant, flags) = &cases[0];
            assert_eq!(*variant, Variant::Flags, "{}", op.key);
            assert_eq!(flags.args[..2], [op.cli.group.clone(), op.cli.name.clone()]);
            for flag in op.cli.flags.iter().filter(|flag| flag.required) {
                assert!(given(flags, &flag.long), "{}: no --{}", op.key, flag.long);
            }
            let stdin = cases.iter().find(|(v, _)| *v == Variant::Stdin);
            assert_eq!(stdin.is_some(), op.body.is_some(), "{}", op.key);
            if let Some((_, stdin)) = stdin {
                assert!(stdin.stdin.is_some(), "{}", op.key);
                for flag in &op.cli.flags {
                    let body = matches!(flag.target, FlagTarget::Body(_));
                    let file = matches!(flag.value, FlagValue::File | FlagValue::FileOrValue);
                    if body && !file {
                        assert!(
                            !given(stdin, &flag.long),
                            "{}: --{} beside stdin",
                            op.key,
                            flag.long
                        );
                    }
                    if body && file && flag.required {
                        assert!(
                            given(stdin, &flag.long),
                            "{}: no file --{}",
                            op.key,
                            flag.long
                        );
                    }
                }
            }
            for (_, case) in &cases {
                case.check().unwrap_or_else(|e| panic!("{}: {e}", op.key));
            }
        }
        assert_eq!(operations, 288);
    }

    #[test]
    fn bounds_are_kept() {
        let facts = |min: Option<(f64, bool)>, max: Option<(f64, bool)>| Facts {
            minimum: min,
            maximum: max,
            ..Facts::default()
        };
        assert_eq!(integer(&facts(Some((0.0, false)), None)), json!(1));
        assert_eq!(integer(&facts(Some((1.0, true)), None)), json!(2));
        assert_eq!(integer(&facts(None, Some((0.0, false)))), json!(0));
        assert_eq!(
            integer(&facts(Some((-5.0, false)), Some((-2.0, false)))),
            json!(-5)
        );
        assert_eq!(
            number(&facts(Some((0.0, true)), Some((1.0, true)))),
            json!(0.5)
        );
        assert_eq!(
            number(&facts(Some((0.0, false)), Some((1.0, true)))),
            json!(0)
        );
        assert_eq!(
            number(&facts(Some((0.25, false)), Some((4.0, false)))),
            json!(1)
        );
        let short = Facts {
            max_length: Some(3),
            example: Some(json!("too long")),
            ..Facts::default()
        };
        assert_eq!(string(&short, "name"), json!("nam"));
    }
}
