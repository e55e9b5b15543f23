//! The typed intermediate form. Rendering reads only this, never the spec.

use std::collections::BTreeMap;

pub use crate::config::HttpMethod;

/// Everything the generator emits, for one spec and config.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// Top-level resources, in name order.
    pub resources: Vec<Resource>,
    /// Every model, by Rust name: the `$ref` closure of the operations plus
    /// the inline types and parameter structs they need.
    pub types: BTreeMap<String, TypeDef>,
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
    /// Subcommand, e.g. `file-batches`.
    pub cli_name: String,
    pub doc: String,
    pub operations: Vec<Operation>,
    pub subresources: Vec<Resource>,
}

/// One API call.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Method name, e.g. `cancel`.
    pub name: String,
    /// Subcommand, e.g. `cancel`.
    pub cli_name: String,
    pub method: HttpMethod,
    /// The path template, e.g. `/uploads/{upload_id}/cancel`.
    pub path: String,
    pub segments: Vec<Segment>,
    /// Path parameters in template order, then query parameters.
    pub params: Vec<Parameter>,
    /// The struct that carries the query parameters, when there are any.
    pub query_type: Option<String>,
    pub body: Option<Body>,
    pub response: TypeRef,
    /// The description, or else the summary.
    pub doc: Option<String>,
    /// A one-line summary, e.g. `Cancel upload`.
    pub summary: Option<String>,
}

/// A piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// A path parameter, by its Rust name.
    Param(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Path,
    Query,
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

/// An open string enum: unknown values are kept, not rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub doc: Option<String>,
    pub variants: Vec<Variant>,
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
