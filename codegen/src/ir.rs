//! The typed intermediate form. It carries every decision the generator
//! makes (names, modules, imports, the CLI's flags), so that rendering only
//! prints it; rendering reads only this, never the spec.

use std::collections::BTreeMap;

/// Everything the generator emits, for one spec and config.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Top-level resources, in name order.
    pub resources: Vec<Resource>,
    /// Every model, by Rust name: the `$ref` closure of the operations plus
    /// the inline types and parameter structs they need.
    pub types: BTreeMap<String, TypeDef>,
    /// Where the models go: a module per resource whose subtree holds
    /// models (nested like the resources), then [`SHARED_MODULE`] for those
    /// several top-level resources use.
    pub model_modules: Vec<ModelModule>,
    /// The spec's bugs the lowering tolerated, each once, by pointer.
    pub warnings: Vec<Warning>,
    /// The crate whose models this one's models root re-exports as well
    /// (`openai_types`), when the shared models live in a crate of their
    /// own; see `render_crates`.
    pub models_from: Option<String>,
}

/// A spec bug the generator worked around: generation goes on, and the
/// choice it made is said here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// A JSON pointer into the spec, e.g. `#/components/schemas/X/required/1`.
    pub pointer: String,
    /// What was wrong and what the generator did, in one sentence.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// The module of the models that more than one top-level resource uses.
pub const SHARED_MODULE: &str = "shared";

impl Api {
    /// Every operation, depth first: a resource's own operations, then its
    /// subresources', resources in name order.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.all_resources().flat_map(|r| r.operations.iter())
    }

    /// Every resource, depth first, each before its subresources.
    pub fn all_resources(&self) -> impl Iterator<Item = &Resource> {
        let mut stack: Vec<&Resource> = self.resources.iter().rev().collect();
        std::iter::from_fn(move || {
            let resource = stack.pop()?;
            stack.extend(resource.subresources.iter().rev());
            Some(resource)
        })
    }

    /// The model module that holds the type `name`.
    pub fn module_of(&self, name: &str) -> Option<&ModelModule> {
        self.model_modules
            .iter()
            .find(|m| m.types.iter().any(|t| t == name))
    }
}

/// Every operation of `resources`, mutably, in the order of
/// [`Api::operations`]; for the planning passes, which also read
/// [`Api::types`].
pub fn operations_mut(resources: &mut [Resource]) -> impl Iterator<Item = &mut Operation> {
    let mut stack: Vec<&mut Resource> = resources.iter_mut().rev().collect();
    let mut current = [].iter_mut();
    std::iter::from_fn(move || {
        loop {
            if let Some(op) = current.next() {
                return Some(op);
            }
            let Resource {
                operations,
                subresources,
                ..
            } = stack.pop()?;
            stack.extend(subresources.iter_mut().rev());
            current = operations.iter_mut();
        }
    })
}

/// One file of models.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelModule {
    /// Module path below `models`: a resource's `chain`, or
    /// `[SHARED_MODULE]`.
    pub path: Vec<String>,
    pub doc: String,
    /// The types it defines, in name order.
    pub types: Vec<String>,
    /// Types it uses from other model modules, imported from the models'
    /// root, which re-exports them all.
    pub imports: Vec<String>,
    /// Its child modules (subresources with models), re-exported flat.
    pub submodules: Vec<String>,
    /// When its models are too many for one file: the files they go in
    /// instead, re-exported flat (see `plan_parts`). Empty otherwise.
    pub parts: Vec<ModelPart>,
}

/// A run of a model module's models, in a file of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPart {
    /// Module name, e.g. `part1`.
    pub name: String,
    /// The models it defines, in name order.
    pub types: Vec<String>,
    /// The models it names from elsewhere (other modules and other parts),
    /// imported from the models' root.
    pub imports: Vec<String>,
}

/// A resource: a handle in the library, a subcommand group in the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Name in `generate.yaml`, e.g. `file_batches`.
    pub api_name: String,
    /// Accessor method, e.g. `file_batches`.
    pub name: String,
    /// Handle type, e.g. `VectorStoresFileBatches`.
    pub type_name: String,
    pub doc: String,
    /// Accessors from the client, e.g. `["vector_stores", "file_batches"]`.
    pub chain: Vec<String>,
    /// Its module: each resource is a module of its own, nested like the
    /// resources, in the library and in the CLI. The same as `name`, unless
    /// that would repeat the name of the module around it (`models`,
    /// `resources` or `commands` at the top, its parent's below), which
    /// clippy rightly calls confusing: then `<name>_resource`.
    pub module: String,
    /// The modules from the top, e.g. `["vector_stores", "file_batches"]`.
    pub module_path: Vec<String>,
    /// The models its own operations name, in name order.
    pub uses: Vec<String>,
    pub cli: CliGroup,
    pub operations: Vec<Operation>,
    pub subresources: Vec<Resource>,
    /// The CLI's hand-written commands in this group (`generate.yaml`'s
    /// `commands`): extension points whose names no generated command takes.
    pub commands: Vec<HandWritten>,
}

/// A hand-written CLI command declared in `generate.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct HandWritten {
    /// Its name in the group, e.g. `upload`.
    pub name: String,
    /// Its help line.
    pub doc: String,
}

/// A resource as a CLI subcommand group.
#[derive(Debug, Clone, PartialEq)]
pub struct CliGroup {
    /// Subcommand under its parent, e.g. `file-batches`.
    pub name: String,
    /// Variant in its parent's enum, e.g. `FileBatches`.
    pub variant: String,
    /// The official CLI's top-level spelling, e.g. `vector-stores:file-batches`
    /// (the same as `name` for a top-level resource).
    pub official_name: String,
    /// Variant of the top-level enum for `official_name`, e.g.
    /// `VectorStoresFileBatches`.
    pub official_variant: String,
    /// The subcommand enum, e.g. `VectorStoresFileBatchesCommand`.
    pub command_type: String,
}

/// One API call.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The method in `generate.yaml`, e.g. `vector_stores.file_batches.cancel`.
    pub key: String,
    /// Method name, e.g. `cancel`.
    pub name: String,
    /// The handle type it is a method of, e.g. `VectorStoresFileBatches`.
    pub resource_type: String,
    /// Accessors from the client to that handle.
    pub chain: Vec<String>,
    pub method: HttpMethod,
    /// The path template, e.g. `/uploads/{upload_id}/cancel`.
    pub path: String,
    pub segments: Vec<Segment>,
    /// Path parameters in template order, then query parameters, then
    /// header parameters.
    pub params: Vec<Parameter>,
    /// The struct that carries the query parameters, when there are any.
    pub query_type: Option<String>,
    /// Query pairs the path key itself carries (`/responses?beta=true`),
    /// sent before the query parameters.
    pub fixed_query: Vec<(String, String)>,
    /// The struct that carries the header parameters, when there are any.
    pub headers_type: Option<String>,
    pub body: Option<Body>,
    pub response: Response,
    /// Whether a 409 reply is retried. False for state transitions
    /// (`.../cancel`, `.../complete`): there a conflict means the object has
    /// already moved on, and asking again cannot change that.
    pub retry_conflicts: bool,
    /// Sent with the admin key (the spec's `security` names
    /// `AdminApiKeyAuth`).
    pub admin: bool,
    /// Whether, and with what events, it can stream server-sent events.
    pub stream: Option<EventStream>,
    /// How a list operation pages (`plan_paging`); `None` for the rest.
    pub paging: Option<Paging>,
    /// The type of a list's items (its reply's `data`), when it pages.
    pub page_item: Option<TypeRef>,
    /// The description, or else the summary.
    pub doc: Option<String>,
    /// A one-line summary, e.g. `Cancel upload`.
    pub summary: Option<String>,
    pub cli: CliCommand,
}

impl Operation {
    /// The parameters of one kind, in order.
    pub fn params_of(&self, kind: ParamKind) -> impl Iterator<Item = &Parameter> {
        self.params.iter().filter(move |p| p.kind == kind)
    }
}

/// An operation's server-sent events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventStream {
    /// What each event's data decodes as (`Any` when the spec says nothing).
    pub event: TypeRef,
    /// The body field that asks for a stream (`stream`), if any: without
    /// it, the operation always streams.
    pub switch: Option<String>,
}

/// How a list operation's pages follow each other, read from the facts of
/// its reply and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// The next page starts `after` the last item's `id`, while `has_more`.
    After { param: String },
    /// The next page starts after the reply's `last_id`, while `has_more`.
    LastId { param: String, field: String },
    /// The reply's `field` holds the next page's `param`, until it is null.
    Token { param: String, field: String },
    /// One page holds everything.
    Single,
}

/// An HTTP method the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 5] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == text)
    }

    /// The key of this method in an OpenAPI path item.
    pub fn key(self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Patch => "patch",
            HttpMethod::Delete => "delete",
        }
    }

    /// The `reqwest::Method` constant, also the method as sent.
    pub fn constant(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// A piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// A path parameter, by its Rust name.
    Param(String),
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Path,
    Query,
    /// A request header.
    Header,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Rust name, e.g. `upload_id`.
    pub name: String,
    /// Wire name.
    pub api_name: String,
    pub kind: ParamKind,
    pub required: bool,
    pub ty: TypeRef,
    pub doc: Option<String>,
    /// What the spec says its value must be, beside its type (its
    /// example: the parameter's own, else its schema's).
    pub facts: Facts,
}

/// What the spec says a field's or parameter's value must be, beside its
/// type: bounds, lengths, a pattern, a format, an example. The generated
/// code does not enforce them (the server does); the conformance run
/// builds values from them that the spec allows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The lower bound, and whether it is exclusive.
    pub minimum: Option<(f64, bool)>,
    /// The upper bound, and whether it is exclusive.
    pub maximum: Option<(f64, bool)>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub pattern: Option<String>,
    /// `format`, e.g. `uri`, `binary`, `unixtime`.
    pub format: Option<String>,
    /// The spec's `example` (else the first of `examples`), as JSON.
    pub example: Option<serde_json::Value>,
    /// The spec's `default`, as JSON.
    pub default: Option<serde_json::Value>,
}

impl Facts {
    /// What the facts say, in words, for docs and help: the range, lengths,
    /// item counts, format, pattern and default. Empty when the spec gives
    /// none of these. The example is left to the conformance cases.
    pub fn phrases(&self) -> Vec<String> {
        let mut phrases = Vec::new();
        // A bound at the edge of a 64-bit integer says nothing an `i64` does not.
        let tells = |bound: &Option<(f64, bool)>| bound.filter(|(value, _)| value.abs() < 1e15);
        let bound = |(value, exclusive): (f64, bool), inclusive: &str, strict: &str| {
            format!(
                "{} {}",
                if exclusive { strict } else { inclusive },
                number(value)
            )
        };
        match (tells(&self.minimum), tells(&self.maximum)) {
            (Some((low, false)), Some((high, false))) => {
                phrases.push(format!("from {} to {}", number(low), number(high)))
            }
            (low, high) => {
                let parts: Vec<String> = [
                    low.map(|low| bound(low, "at least", "more than")),
                    high.map(|high| bound(high, "at most", "less than")),
                ]
                .into_iter()
                .flatten()
                .collect();
                if !parts.is_empty() {
                    phrases.push(parts.join(" and "));
                }
            }
        }
        // `what` is plural; one of it is singular.
        let of = |n: u64, what: &str| match n {
            1 => format!("1 {}", what.trim_end_matches('s')),
            n => format!("{n} {what}"),
        };
        let count = |low: Option<u64>, high: Option<u64>, what: &str| match (low, high) {
            (Some(low), Some(high)) if low == high => Some(format!("exactly {}", of(low, what))),
            (Some(low), Some(high)) => Some(format!("{low} to {high} {what}")),
            (Some(0), None) | (None, None) => None,
            (Some(low), None) => Some(format!("at least {}", of(low, what))),
            (None, Some(high)) => Some(format!("at most {}", of(high, what))),
        };
        phrases.extend(count(self.min_length, self.max_length, "characters"));
        phrases.extend(count(self.min_items, self.max_items, "items"));
        match self.format.as_deref() {
            // Said by the type already.
            None | Some("binary" | "int32" | "int64" | "float" | "double") => {}
            Some("unixtime") => phrases.push("a Unix time, in seconds".to_owned()),
            Some(format) => phrases.push(format!("format `{format}`")),
        }
        if let Some(pattern) = &self.pattern
            && pattern.len() <= 60
            && !pattern.contains('`')
        {
            phrases.push(format!("matching `{pattern}`"));
        }
        if let Some(default) = &self.default {
            let text = default.to_string();
            if text.len() <= 60 && !text.contains('`') {
                phrases.push(format!("default `{text}`"));
            }
        }
        phrases
    }
}

/// What kind of value `ty` is, as a sentence, for a field the spec says
/// nothing of in our words.
fn kind(ty: &TypeRef) -> String {
    /// Many of `ty`, as a plural noun phrase.
    fn plural(ty: &TypeRef) -> String {
        match ty {
            TypeRef::String => "strings".to_owned(),
            TypeRef::Integer => "integers".to_owned(),
            TypeRef::Number => "numbers".to_owned(),
            TypeRef::Boolean => "booleans".to_owned(),
            TypeRef::Binary => "files".to_owned(),
            TypeRef::Any => "JSON values".to_owned(),
            TypeRef::Named(name) => format!("[`{name}`] values"),
            TypeRef::Array(inner) => format!("lists of {}", plural(inner)),
            TypeRef::Map(inner) => format!("maps from names to {}", plural(inner)),
            TypeRef::Nullable(inner) => format!("{} or nulls", plural(inner)),
            TypeRef::Boxed(inner) => plural(inner),
        }
    }
    match ty {
        TypeRef::String => "A string.".to_owned(),
        TypeRef::Integer => "An integer.".to_owned(),
        TypeRef::Number => "A number.".to_owned(),
        TypeRef::Boolean => "`true` or `false`.".to_owned(),
        TypeRef::Binary => "A file.".to_owned(),
        TypeRef::Any => "Any JSON value.".to_owned(),
        TypeRef::Named(name) => format!("See [`{name}`]."),
        TypeRef::Array(inner) => format!("A list of {}.", plural(inner)),
        TypeRef::Map(inner) => format!("A map from names to {}.", plural(inner)),
        TypeRef::Nullable(inner) => format!("{} May be `null`.", kind(inner)),
        TypeRef::Boxed(inner) => kind(inner),
    }
}

/// A bound as the spec wrote it: `1`, not `1.0`.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// `phrases` as one sentence: the first capitalised, the rest after `;`.
pub fn sentence(phrases: &[String]) -> Option<String> {
    let mut text = phrases.join("; ");
    let first = text.chars().next()?;
    text.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
    text.push('.');
    Some(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Multipart,
}

/// A request body: always a named struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub kind: BodyKind,
    /// The struct's Rust name.
    pub type_name: String,
    /// `requestBody.required`.
    pub required: bool,
}

/// What a successful reply carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A JSON body of this type.
    Json(TypeRef),
    /// No body (`()`); whatever the server sends is dropped.
    NoBody,
    /// Bytes (a file download), streamed, never held whole.
    Binary {
        /// The `Accept` header to send: the media types offered.
        accept: String,
    },
    /// Text that is not JSON, e.g. `application/sdp`.
    Text {
        /// The `Accept` header to send: the media types offered.
        accept: String,
    },
}

/// A use of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    String,
    Integer,
    Number,
    Boolean,
    /// Raw bytes of a file part, in multipart bodies only.
    Binary,
    /// Any JSON value.
    Any,
    Named(String),
    Array(Box<TypeRef>),
    /// A JSON object with string keys.
    Map(Box<TypeRef>),
    Nullable(Box<TypeRef>),
    /// A reference back to a type that contains this one, boxed so the type
    /// has a size.
    Boxed(Box<TypeRef>),
}

impl TypeRef {
    pub fn nullable(self) -> TypeRef {
        match self {
            TypeRef::Nullable(_) => self,
            other => TypeRef::Nullable(Box::new(other)),
        }
    }

    /// Drops a `Boxed` where a `Vec` or map already gives indirection.
    pub fn unboxed(self) -> TypeRef {
        match self {
            TypeRef::Boxed(inner) => *inner,
            other => other,
        }
    }

    /// The type without an outer `Nullable`.
    pub fn non_null(&self) -> &TypeRef {
        match self {
            TypeRef::Nullable(inner) => inner,
            other => other,
        }
    }

    /// Every named type this use mentions.
    pub fn names(&self) -> Vec<&str> {
        match self {
            TypeRef::Named(name) => vec![name.as_str()],
            TypeRef::Array(inner)
            | TypeRef::Map(inner)
            | TypeRef::Nullable(inner)
            | TypeRef::Boxed(inner) => inner.names(),
            _ => Vec::new(),
        }
    }
}

/// A named model.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
    Const(ConstDef),
    Union(UnionDef),
}

impl TypeDef {
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.name,
            TypeDef::Enum(e) => &e.name,
            TypeDef::Const(c) => &c.name,
            TypeDef::Union(u) => &u.name,
        }
    }

    /// The named types it refers to.
    pub fn referenced(&self) -> Vec<&str> {
        match self {
            TypeDef::Struct(s) => s.fields.iter().flat_map(|f| f.ty.names()).collect(),
            TypeDef::Union(u) => u
                .variants
                .iter()
                .flat_map(|v| match &v.payload {
                    Payload::Type(ty) => ty.names(),
                    Payload::Keyword(_) => Vec::new(),
                })
                .collect(),
            TypeDef::Enum(_) | TypeDef::Const(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    pub kind: StructKind,
}

/// How a struct travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    /// A JSON object.
    Json,
    /// Query parameters.
    Query,
    /// Header parameters.
    Headers,
    /// A multipart/form-data body; may hold `Binary` fields.
    Multipart,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub api_name: String,
    pub ty: TypeRef,
    /// Required in the model. A property the spec marks `deprecated` never
    /// is, even when the spec lists it as required: a reply without it must
    /// still decode.
    pub required: bool,
    pub doc: Option<String>,
    /// Marked `deprecated` in the spec.
    pub deprecated: bool,
    /// What the value is, where encoding it cares (see [`FieldKind`]).
    pub kind: FieldKind,
    /// A required field that decodes as its default when a reply leaves it
    /// out: a constant (never worth failing a decode over), or a list or
    /// map of a JSON object (the API's own examples leave some out, and
    /// an empty list says the same).
    pub default_when_absent: bool,
    /// What the spec says its value must be, beside its type.
    pub facts: Facts,
}

impl Field {
    /// Its doc comment: our words where the spec has them, else what kind
    /// of value it is; then what the facts say, and whether it is
    /// deprecated.
    pub fn doc_text(&self) -> String {
        let facts = sentence(&self.facts.phrases());
        let mut parts = match (&self.doc, facts) {
            (Some(ours), facts) => [Some(ours.clone()), facts].into_iter().flatten().collect(),
            // One paragraph: what it is, and what it must be.
            (None, Some(facts)) => vec![format!("{} {facts}", kind(&self.ty))],
            (None, None) => vec![kind(&self.ty)],
        };
        if self.deprecated {
            parts.push("Deprecated.".to_owned());
        }
        parts.join("\n\n")
    }

    /// A field of a query or header struct, for `param`. Its [`FieldKind`]
    /// is planned with everything else's.
    pub fn of_param(param: &Parameter) -> Self {
        Self {
            name: param.name.clone(),
            api_name: param.api_name.clone(),
            ty: param.ty.clone(),
            required: param.required,
            doc: param.doc.clone(),
            deprecated: false,
            kind: FieldKind::Json,
            default_when_absent: false,
            facts: param.facts.clone(),
        }
    }

    /// Whether the Rust field is an `Option`: not required, or nullable.
    pub fn optional(&self) -> bool {
        !self.required || matches!(self.ty, TypeRef::Nullable(_))
    }
}

/// What a field's value is, where encoding it cares: as a multipart part,
/// as CLI input, as a default. Planned once every type is known
/// (`plan_fields.rs`); the renderers only print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A file: a file part; the CLI reads it from a path (or stdin).
    File,
    /// A string: a text part.
    Text,
    /// A number, a boolean or an integer enum: a text part of its text.
    Display,
    /// An open string enum: a text part of its value.
    Enum,
    /// A one-value constant: always sent as its value, never a flag.
    Constant,
    /// A union of one file or several (multipart only): a file part, or
    /// `name[]` parts; the CLI reads it from paths.
    FileUnion,
    /// Anything else: in a multipart form, a text part of its JSON.
    Json,
}

/// An open enum: unknown values are kept, not rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub doc: Option<String>,
    /// What the values are on the wire.
    pub repr: EnumRepr,
    pub variants: Vec<Variant>,
    /// The variant that keeps values the spec does not list: `Unknown`,
    /// unless a listed value takes that name (see [`catch_all`]).
    pub other: String,
}

/// The wire type of an enum's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumRepr {
    String,
    /// JSON integers; each [`Variant::value`] is the decimal text of an `i64`.
    Integer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    /// The value as the spec lists it (for integer enums, its decimal text).
    pub value: String,
}

/// The name of the variant that keeps unlisted values (of an enum or a
/// union): the first of `Unknown`, `Other`, `UnknownValue`,
/// `UnknownValue2`, ... that no listed variant takes, so it cannot clash.
pub fn catch_all(taken: impl Fn(&str) -> bool) -> String {
    ["Unknown", "Other", "UnknownValue"]
        .into_iter()
        .map(str::to_owned)
        .chain((2..).map(|n| format!("UnknownValue{n}")))
        .find(|name| !taken(name))
        .expect("finitely many variants")
}

/// A value of one of several shapes (`oneOf`/`anyOf`): a Rust enum with one
/// variant per shape and a catch-all that keeps any other value as the raw
/// JSON it came as. Decoding goes through the runtime's `union` module.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    pub name: String,
    pub doc: Option<String>,
    /// How a value picks its variant.
    pub dispatch: UnionDispatch,
    /// In declaration order, which is also the order they are tried in:
    /// most specific first.
    pub variants: Vec<UnionVariant>,
    /// The variant that keeps what no listed variant takes (see [`catch_all`]).
    pub catch_all: String,
    /// A field of a multipart body that may hold files: written as form
    /// parts, never as JSON.
    pub multipart: bool,
}

/// How a union value picks its variant.
#[derive(Debug, Clone, PartialEq)]
pub enum UnionDispatch {
    /// By the string value of one property, present in every variant.
    Tagged {
        /// The wire name of the property, e.g. `type`.
        property: String,
        /// Each listed value with the variants (indices) to try, in order.
        values: Vec<(String, Vec<usize>)>,
        /// The variants to try when the property is missing or null.
        absent: Vec<usize>,
    },
    /// By the shape of the value: every variant whose shape matches is
    /// tried, in order.
    Untagged,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    pub name: String,
    pub doc: Option<String>,
    pub payload: Payload,
    /// What values this variant may take, judged from their top level.
    pub shape: ShapeDef,
    /// The payload is itself a union: a value it keeps only in its own
    /// catch-all does not count as decoded.
    pub nested_union: bool,
}

/// What a union variant holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A value of this type.
    Type(TypeRef),
    /// Nothing: the variant stands for this one string (`"auto"`).
    Keyword(String),
}

/// What values a union variant may take, from their top level only (the
/// runtime's `union::Shape`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeDef {
    Null,
    Boolean,
    /// A number that is an `i64`.
    Integer,
    /// Any number.
    Number,
    /// Any string.
    String,
    /// One of these strings.
    StringIn(Vec<String>),
    Array,
    /// An object with these keys, whose string values, where listed, are
    /// among the listed ones.
    Object {
        required: Vec<String>,
        closed: Vec<(String, Vec<String>)>,
    },
    /// Anything.
    Any,
}

/// A string that always has one value, like `object: "upload"`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstDef {
    pub name: String,
    pub doc: Option<String>,
    pub value: String,
}

/// One operation as a CLI command: its name and its flags.
#[derive(Debug, Clone, PartialEq)]
pub struct CliCommand {
    /// Subcommand, e.g. `cancel`.
    pub name: String,
    /// Variant in its resource's enum, e.g. `Cancel`.
    pub variant: String,
    /// The struct of its arguments, e.g. `UploadsCancelArgs`.
    pub args_type: String,
    /// How it is called, e.g. `openai uploads parts create`.
    pub usage: String,
    /// Its group's official name, e.g. `uploads:parts`.
    pub group: String,
    /// Other names it answers to in its group.
    pub aliases: Vec<String>,
    /// Required body fields of one value, always sent with it.
    pub constants: Vec<(String, String)>,
    /// Its flags, in order: path parameters, query parameters, body fields.
    pub flags: Vec<Flag>,
    /// Whether it reads a JSON or YAML object from stdin: any command with
    /// parameters or a body does, and stdin keys fill what flags leave out.
    pub reads_stdin: bool,
}

/// One command-line flag (and, for a path parameter, its positional twin).
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// The Rust field in the arguments struct, e.g. `expires_after_anchor`.
    pub field: String,
    /// The long name without dashes, e.g. `expires-after.anchor`.
    pub long: String,
    /// The placeholder in help, e.g. `ANCHOR`.
    pub value_name: String,
    pub doc: Option<String>,
    pub value: FlagValue,
    /// Given more than once, collecting a list (`--part-id a --part-id b`).
    pub repeated: bool,
    /// Must be given, as the flag or on stdin. Checked after the merge with
    /// stdin, never by clap, so that stdin can supply it.
    pub required: bool,
    /// An environment variable that supplies the value. No spec construct
    /// sets one yet.
    pub env: Option<String>,
    /// Whether the stdin object's `key` may supply the value instead.
    pub from_stdin: bool,
    /// Also taken as a positional argument (path parameters), in template
    /// order; the flag and the positional exclude each other.
    pub positional: bool,
    /// Where the value goes.
    pub target: FlagTarget,
    /// The wire name the value goes under, e.g. `upload_id`, `expires_after`,
    /// `anchor` (a field of the object flag it belongs to).
    pub key: String,
    /// What the spec says its value must be, beside its type.
    pub facts: Facts,
}

impl Flag {
    /// Its help: the spec's words where it has ours, else what the facts
    /// say (the kind of value, its choices, whether it repeats or is
    /// required).
    pub fn help(&self) -> String {
        let mut text = match &self.doc {
            Some(doc) => doc.clone(),
            None => {
                let what = match &self.value {
                    FlagValue::Scalar(ty) => match ty.non_null() {
                        TypeRef::Integer => "An integer.".to_owned(),
                        TypeRef::Number => "A number.".to_owned(),
                        TypeRef::Boolean => "true or false.".to_owned(),
                        _ => "A string.".to_owned(),
                    },
                    FlagValue::Enum { .. } => "One of the values below.".to_owned(),
                    FlagValue::Const(value) => format!("Always `{value}`."),
                    FlagValue::File => "A file's path, or - for stdin.".to_owned(),
                    FlagValue::FileOrValue => {
                        "A file's path (- for stdin), or else a JSON or YAML value.".to_owned()
                    }
                    FlagValue::Document => "JSON or YAML; a plain word is a string.".to_owned(),
                    FlagValue::Object { .. } => {
                        "A JSON or YAML object; dotted flags set single fields.".to_owned()
                    }
                };
                match self.target {
                    FlagTarget::Param(ParamKind::Path) => format!("The {} in the path.", self.key),
                    _ => what,
                }
            }
        };
        if let FlagValue::Enum { values, .. } = &self.value {
            text.push_str(&format!(
                " [values: {}; others pass as given]",
                values.join(", ")
            ));
        }
        let facts = self.facts.phrases();
        if !facts.is_empty() {
            text.push_str(&format!(" [{}]", facts.join("; ").replace('`', "")));
        }
        if self.repeated {
            text.push_str(" [repeatable]");
        }
        if self.required {
            text.push_str(" [required]");
        }
        text
    }

    /// The field of the positional twin of a path parameter's flag.
    pub fn positional_field(&self) -> String {
        format!("{}_arg", self.field)
    }
}

/// Where a flag's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagTarget {
    Param(ParamKind),
    Body(BodyKind),
    /// A field of an object-valued body flag (`--expires-after.anchor`).
    ObjectField,
}

/// How a flag's value is written.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagValue {
    /// Parsed by clap as a string, integer, number or boolean.
    Scalar(TypeRef),
    /// An open enum, parsed with its `From<&str>`: `values` are listed in the
    /// help, and any other value passes as given.
    Enum {
        type_name: String,
        values: Vec<String>,
    },
    /// A one-value string: only that value is accepted.
    Const(String),
    /// A path to a file, streamed when the request is sent.
    File,
    /// A path to a file, or else a value as JSON or YAML (a union of a
    /// file and, say, a reference to one already uploaded).
    FileOrValue,
    /// JSON or YAML text, for any other shape.
    Document,
    /// An object as JSON or YAML text, with a dotted flag for each field of
    /// plain value; those win over the fields of the object.
    Object { fields: Vec<Flag> },
}

#[cfg(test)]
mod fact_words {
    use super::*;

    #[test]
    fn facts_read_as_words() {
        let facts = Facts {
            minimum: Some((1.0, false)),
            maximum: Some((100.0, false)),
            default: Some(serde_json::json!(20)),
            format: Some("unixtime".into()),
            ..Facts::default()
        };
        assert_eq!(
            sentence(&facts.phrases()).unwrap(),
            "From 1 to 100; a Unix time, in seconds; default `20`."
        );
        let open = Facts {
            minimum: Some((0.0, true)),
            max_length: Some(64),
            min_items: Some(1),
            max_items: Some(1),
            pattern: Some("^[a-z]+$".into()),
            ..Facts::default()
        };
        assert_eq!(
            open.phrases(),
            [
                "more than 0",
                "at most 64 characters",
                "exactly 1 item",
                "matching `^[a-z]+$`"
            ]
        );
        let edges = Facts {
            minimum: Some((i64::MIN as f64, false)),
            maximum: Some((0.5, true)),
            ..Facts::default()
        };
        assert_eq!(edges.phrases(), ["less than 0.5"]);
        assert!(Facts::default().phrases().is_empty());
    }

    #[test]
    fn a_field_without_our_words_says_what_it_is() {
        let field = |ty: TypeRef, doc: Option<&str>, deprecated: bool| Field {
            name: "f".into(),
            api_name: "f".into(),
            ty,
            required: false,
            doc: doc.map(str::to_owned),
            deprecated,
            kind: FieldKind::Json,
            default_when_absent: false,
            facts: Facts {
                maximum: Some((2.0, false)),
                ..Facts::default()
            },
        };
        assert_eq!(
            field(TypeRef::Number, None, false).doc_text(),
            "A number. At most 2."
        );
        assert_eq!(
            field(
                TypeRef::Array(Box::new(TypeRef::Named("Tool".into()))),
                Some("Ours."),
                true
            )
            .doc_text(),
            "Ours.\n\nAt most 2.\n\nDeprecated."
        );
        assert_eq!(
            kind(&TypeRef::Nullable(Box::new(TypeRef::Map(Box::new(
                TypeRef::String
            ))))),
            "A map from names to strings. May be `null`."
        );
    }
}
