//! The CLI's flag plan: for every operation, its flags, decided once here so
//! that the renderer only prints them.
//!
//! - A path parameter is `--flag` or positional, in template order.
//! - A query parameter or body field is a flag: a plain value as itself, an
//!   open enum by its values, a list of plain values as a repeated singular
//!   flag (`--part-id`), an object as JSON or YAML text plus a dotted flag
//!   per plain field (`--expires-after.anchor`), a multipart file as a path,
//!   anything else as JSON or YAML text. Constants are no flags: the model
//!   fills them in.
//! - Every value may also come from the object on stdin, under its wire
//!   name; so nothing is required by clap, and required values are checked
//!   after the merge.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToShoutySnakeCase;

use crate::config::{self, method_pointer};
use crate::error::{Pointer, Result};
use crate::ir::*;
use crate::names::{kebab, singular};

/// Flags the hand-written CLI gives a command that no generated flag may
/// take: clap's `--help`, and `--max-items` of lists and streams. (A flag
/// named like a global option takes its place in that command, as in the
/// official CLI: `invites create --project`.)
pub const RESERVED_FLAGS: &[&str] = &["help", "max-items"];

/// Commands the hand-written CLI has at the top, beside the groups.
pub const ROOT_COMMANDS: &[&str] = &["@completion", "completion", "webhooks"];

/// The flag of a command that downloads a file: where to write it.
pub const OUTPUT_FLAG: &str = "output";
/// The flag of a command that downloads a file: replace a file the server
/// named.
pub const FORCE_FLAG: &str = "force";

pub fn plan(api: &mut Api) -> Result<()> {
    check_commands(
        &api.resources,
        &[],
        &Pointer::root(&format!("{}#/resources", config::FILE)),
    )?;
    let Api {
        resources, types, ..
    } = api;
    for op in operations_mut(resources) {
        let planner = Planner { types };
        let flags = planner.flags(op);
        op.cli.constants = planner.constants(op);
        check(op, &flags)?;
        op.cli.reads_stdin = !flags.is_empty();
        op.cli.flags = flags;
    }
    Ok(())
}

struct Planner<'a> {
    types: &'a BTreeMap<String, TypeDef>,
}

/// How a value of some type is written on the command line.
enum Shape {
    Value(FlagValue),
    /// A list of plain values: a repeated flag.
    List(FlagValue),
    /// A list of objects: a repeated flag of JSON or YAML, with dotted
    /// flags that make one item.
    Items(Vec<Field>),
    /// A constant: no flag.
    Constant(String),
    /// A struct: an object flag, with dotted flags for these fields.
    Struct(Vec<Field>),
}

impl Planner<'_> {
    fn flags(&self, op: &Operation) -> Vec<Flag> {
        let mut flags = Vec::new();
        for param in op.params_of(ParamKind::Path) {
            flags.push(Flag {
                field: param.name.clone(),
                long: kebab(&param.api_name),
                value_name: param.api_name.to_shouty_snake_case(),
                doc: param.doc.clone(),
                value: FlagValue::Scalar(param.ty.clone()),
                repeated: false,
                required: true,
                env: None,
                from_stdin: true,
                positional: true,
                target: FlagTarget::Param(ParamKind::Path),
                key: param.api_name.clone(),
            });
        }
        for param in op.params_of(ParamKind::Query) {
            let field = Field::of_param(param);
            flags.extend(self.field_flag(&field, FlagTarget::Param(ParamKind::Query)));
        }
        for param in op.params_of(ParamKind::Header) {
            let field = Field::of_param(param);
            // Named like its Rust field (`--beta` for `betas`, the SDKs'
            // name of `openai-beta`), keyed by the header's own name.
            if let Some(mut flag) = self.field_flag(&field, FlagTarget::Param(ParamKind::Header)) {
                let word = if flag.repeated {
                    singular(&param.name)
                } else {
                    param.name.clone()
                };
                flag.long = kebab(&word);
                if flag.value != FlagValue::File {
                    flag.value_name = word.to_shouty_snake_case();
                }
                flags.push(flag);
            }
        }
        if let Some(body) = &op.body
            && let Some(TypeDef::Struct(def)) = self.types.get(&body.type_name)
        {
            for field in &def.fields {
                flags.extend(self.field_flag(field, FlagTarget::Body(body.kind)));
            }
        }
        // A list flag is named in the singular (`--language` for
        // `languages`) unless another flag has that name already.
        for i in 0..flags.len() {
            let taken = |long: &str| {
                flags
                    .iter()
                    .enumerate()
                    .any(|(j, f)| j != i && f.long == long)
            };
            if flags[i].repeated && taken(&flags[i].long) {
                let plural = kebab(&flags[i].key);
                if !taken(&plural) {
                    flags[i].value_name = flags[i].key.to_shouty_snake_case();
                    flags[i].long = plural;
                }
            }
        }
        flags
    }

    /// The body's required fields of one value: sent without a flag.
    fn constants(&self, op: &Operation) -> Vec<(String, String)> {
        let Some(TypeDef::Struct(def)) =
            op.body.as_ref().and_then(|b| self.types.get(&b.type_name))
        else {
            return Vec::new();
        };
        def.fields
            .iter()
            .filter(|field| field.required)
            .filter_map(|field| match self.shape(&field.ty) {
                Shape::Constant(value) => Some((field.api_name.clone(), value)),
                _ => None,
            })
            .collect()
    }

    /// The flag of one query parameter or body field, if it has one.
    fn field_flag(&self, field: &Field, target: FlagTarget) -> Option<Flag> {
        let api = &field.api_name;
        let mut flag = Flag {
            field: field.name.clone(),
            long: kebab(api),
            value_name: api.to_shouty_snake_case(),
            doc: field.doc.clone(),
            value: FlagValue::Document,
            repeated: false,
            required: field.required,
            env: None,
            from_stdin: true,
            positional: false,
            target,
            key: api.clone(),
        };
        match self.shape(&field.ty) {
            // Sent anyway, so never missing; the flag is there for the
            // official CLI's scripts.
            Shape::Constant(value) => {
                flag.value = FlagValue::Const(value);
                flag.required = false;
            }
            Shape::Value(value) => flag.value = value,
            // A list of files keeps its field's name, as the official CLI
            // has it (`skills create --files`); other lists are singular.
            Shape::List(FlagValue::File) => {
                flag.value = FlagValue::File;
                flag.repeated = true;
            }
            Shape::List(item) => {
                flag.long = kebab(&singular(api));
                flag.value_name = singular(api).to_shouty_snake_case();
                flag.value = item;
                flag.repeated = true;
            }
            Shape::Items(fields) => {
                flag.long = kebab(&singular(api));
                flag.value_name = singular(api).to_shouty_snake_case();
                flag.repeated = true;
                let fields = fields
                    .iter()
                    .filter_map(|sub| self.dotted_flag(field, sub))
                    .map(|mut sub| {
                        // `--message.content` makes one item of `messages`.
                        let tail = sub.long.split_once('.').map(|(_, t)| t.to_owned());
                        sub.long = format!("{}.{}", flag.long, tail.unwrap_or_default());
                        sub
                    })
                    .collect();
                flag.value = FlagValue::Object { fields };
            }
            Shape::Struct(fields) => {
                let fields = fields
                    .iter()
                    .filter_map(|sub| self.dotted_flag(field, sub))
                    .collect();
                flag.value = FlagValue::Object { fields };
            }
        }
        if flag.value == FlagValue::File {
            flag.value_name = "PATH".to_owned();
        }
        Some(flag)
    }

    /// `--object.field` for one plain field of an object flag.
    fn dotted_flag(&self, object: &Field, sub: &Field) -> Option<Flag> {
        let value = match self.shape(&sub.ty) {
            Shape::Value(value @ (FlagValue::Scalar(_) | FlagValue::Enum { .. })) => value,
            Shape::Constant(value) => FlagValue::Const(value),
            // Files go in as flags of their own, never inside an object.
            Shape::Value(FlagValue::File) => return None,
            _ => FlagValue::Document,
        };
        Some(Flag {
            field: format!("{}_{}", object.name, sub.name),
            long: format!("{}.{}", kebab(&object.api_name), kebab(&sub.api_name)),
            value_name: sub.api_name.to_shouty_snake_case(),
            doc: sub.doc.clone(),
            value,
            repeated: false,
            required: false,
            env: None,
            from_stdin: true,
            positional: false,
            target: FlagTarget::ObjectField,
            key: sub.api_name.clone(),
        })
    }

    fn shape(&self, ty: &TypeRef) -> Shape {
        match ty {
            TypeRef::String | TypeRef::Integer | TypeRef::Number | TypeRef::Boolean => {
                Shape::Value(FlagValue::Scalar(ty.clone()))
            }
            TypeRef::Binary => Shape::Value(FlagValue::File),
            TypeRef::Nullable(inner) | TypeRef::Boxed(inner) => self.shape(inner),
            TypeRef::Named(name) => match self.types.get(name) {
                Some(TypeDef::Enum(def)) => Shape::Value(FlagValue::Enum {
                    type_name: def.name.clone(),
                    values: def.variants.iter().map(|v| v.value.clone()).collect(),
                }),
                Some(TypeDef::Const(def)) => Shape::Constant(def.value.clone()),
                Some(TypeDef::Struct(def)) => Shape::Struct(def.fields.clone()),
                // A multipart union of files: paths (one per flag); of a
                // file or a value (an id reference): a path or that value.
                Some(TypeDef::Union(def)) if def.multipart => {
                    let files_only = def.variants.iter().all(|v| match &v.payload {
                        Payload::Type(ty) => {
                            matches!(ty.non_null(), TypeRef::Binary | TypeRef::Array(_))
                        }
                        Payload::Keyword(_) => false,
                    });
                    if files_only {
                        Shape::List(FlagValue::File)
                    } else {
                        Shape::Value(FlagValue::FileOrValue)
                    }
                }
                // JSON or YAML text; a word that is not either is a string.
                Some(TypeDef::Union(_)) | None => Shape::Value(FlagValue::Document),
            },
            TypeRef::Array(item) => match self.shape(item) {
                Shape::Value(value @ (FlagValue::Scalar(_) | FlagValue::Enum { .. })) => {
                    Shape::List(value)
                }
                Shape::Value(FlagValue::File) => Shape::List(FlagValue::File),
                Shape::Struct(fields) => Shape::Items(fields),
                _ => Shape::List(FlagValue::Document),
            },
            TypeRef::Map(_) => Shape::Struct(Vec::new()),
            TypeRef::Any => Shape::Value(FlagValue::Document),
        }
    }
}

/// No generated group or command may take the place of a hand-written
/// one: [`ROOT_COMMANDS`] at the top, and each group's own (`commands` in
/// `generate.yaml`).
fn check_commands(resources: &[Resource], parents: &[&str], at: &Pointer) -> Result<()> {
    for resource in resources {
        let at = match parents {
            [] => at.join(&resource.api_name),
            _ => at.join("subresources").join(&resource.api_name),
        };
        if ROOT_COMMANDS.contains(&resource.cli.official_name.as_str())
            || (parents.is_empty() && ROOT_COMMANDS.contains(&resource.cli.name.as_str()))
        {
            return Err(at.error(format!(
                "the command group `openai {}` would take the place of the CLI's own command \
                 of that name",
                resource.cli.official_name
            )));
        }
        let mut names = std::collections::BTreeSet::new();
        for op in &resource.operations {
            for name in std::iter::once(&op.cli.name).chain(&op.cli.aliases) {
                if !names.insert(name.as_str()) {
                    return Err(method_pointer(&op.key).error(format!(
                        "`openai {} {name}` would name two commands (a name or an alias)",
                        resource.cli.official_name
                    )));
                }
            }
            if resource.commands.iter().any(|c| c.name == op.cli.name) {
                return Err(method_pointer(&op.key).error(format!(
                    "the command `openai {} {}` would take the place of the hand-written \
                     command of that name (`commands` in generate.yaml)",
                    resource.cli.official_name, op.cli.name
                )));
            }
        }
        for sub in &resource.subresources {
            if resource.commands.iter().any(|c| c.name == sub.cli.name) {
                return Err(at.error(format!(
                    "the group `{}` would take the place of the hand-written command of that name",
                    sub.cli.official_name
                )));
            }
        }
        let mut path = parents.to_vec();
        path.push(&resource.cli.name);
        check_commands(&resource.subresources, &path, &at)?;
    }
    Ok(())
}

/// Flag names and Rust fields must be unique within a command, and no flag
/// may take the name of a global one.
fn check(op: &Operation, flags: &[Flag]) -> Result<()> {
    let at = method_pointer(&op.key);
    let mut longs = BTreeSet::new();
    let mut fields = BTreeSet::new();
    let all = flags.iter().flat_map(|flag| {
        let nested = match &flag.value {
            FlagValue::Object { fields } => fields.as_slice(),
            _ => &[],
        };
        std::iter::once(flag).chain(nested)
    });
    for flag in all {
        let downloads = matches!(op.response, Response::Binary { .. } | Response::NoBody);
        if downloads && (flag.long == OUTPUT_FLAG || flag.long == FORCE_FLAG) {
            return Err(at.error(format!(
                "`{}` would be the flag --{}, which a command that downloads a file has already",
                flag.key, flag.long
            )));
        }
        if RESERVED_FLAGS.contains(&flag.long.as_str()) {
            return Err(at.error(format!(
                "`{}` would be the flag --{}, which the CLI already has for every command",
                flag.key, flag.long
            )));
        }
        if !longs.insert(flag.long.as_str()) {
            return Err(at.error(format!(
                "two parameters or body fields would both be the flag --{}",
                flag.long
            )));
        }
        let mut names = vec![flag.field.clone()];
        if flag.positional {
            names.push(flag.positional_field());
        }
        for name in names {
            if !fields.insert(name.clone()) {
                return Err(at.error(format!(
                    "two parameters or body fields would both be the field `{name}` of {}",
                    op.cli.args_type
                )));
            }
        }
    }
    Ok(())
}
