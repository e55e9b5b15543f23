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
    /// Path parameters in template order, then query parameters.
    pub params: Vec<Parameter>,
    /// The struct that carries the query parameters, when there are any.
    pub query_type: Option<String>,
    pub body: Option<Body>,
    pub response: Response,
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
    /// A request header. The lowering rejects `in: header` until the runtime
    /// can send one per request, so no operation holds one yet.
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
    /// The spec's example value, as text.
    pub example: Option<String>,
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
    /// No body. The lowering rejects it until the runtime returns `()`.
    NoBody,
    /// Bytes that are not JSON (a file download). The lowering rejects it
    /// until the runtime can stream a reply.
    Binary,
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
}

impl TypeDef {
    pub fn name(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.name,
            TypeDef::Enum(e) => &e.name,
            TypeDef::Const(c) => &c.name,
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
    /// A multipart/form-data body; may hold `Binary` fields.
    Multipart,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub api_name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub doc: Option<String>,
}

impl Field {
    /// Whether the Rust field is an `Option`: not required, or nullable.
    pub fn optional(&self) -> bool {
        !self.required || matches!(self.ty, TypeRef::Nullable(_))
    }
}

/// An open string enum: unknown values are kept, not rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub doc: Option<String>,
    pub variants: Vec<Variant>,
    /// The variant that keeps values the spec does not list.
    pub other: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    pub value: String,
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
}

impl Flag {
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
    /// JSON or YAML text, for any other shape.
    Document,
    /// An object as JSON or YAML text, with a dotted flag for each field of
    /// plain value; those win over the fields of the object.
    Object { fields: Vec<Flag> },
}
