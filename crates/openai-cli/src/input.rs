//! A generated command's input: its flags over the JSON or YAML object
//! read from stdin, flags winning, then taken apart into the path, query,
//! headers and body by the command's table entry.
//!
//! The rules are the same for every command:
//! - a value is checked against its kind (integer, number, boolean) and
//!   a bad one is a usage error naming the flag;
//! - a list flag collects its values, and a value that is a JSON or YAML
//!   list adds all of its items;
//! - a dotted flag (`--expires-after.seconds`) sets one field of its
//!   object, or of one new item of its list;
//! - required values are checked after the merge with stdin, and every
//!   missing one is named at once.

use clap::ArgMatches;
use openai_runtime::cli::files;
use openai_runtime::encode_path;
use openai_runtime::table::{Command, Flag, Kind, Target};
use serde_json::{Map, Value};

use crate::route::{flag_id, positional_id};

/// The pieces of one request.
#[derive(Debug, Default)]
pub struct Pieces {
    /// The path with its parameters filled in and encoded.
    pub path: String,
    pub query: Map<String, Value>,
    pub headers: Vec<(&'static str, String)>,
    /// Body fields, by wire name.
    pub body: Map<String, Value>,
}

/// Merges `matches` over `stdin` and takes the result apart.
pub fn gather(
    command: &Command,
    matches: &ArgMatches,
    stdin: Option<Value>,
) -> Result<Pieces, String> {
    let stdin = stdin
        .map(|document| files::resolve_value("stdin", document).map_err(|err| err.to_string()))
        .transpose()?;
    let mut fields = match stdin {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(format!(
                "stdin: expected a JSON object or YAML mapping of fields, not {}",
                kind_of(&other)
            ));
        }
    };
    for flag in command.flags {
        if let Some(value) = flag_value(flag, matches)? {
            fields.insert(flag.key.to_owned(), value);
        }
        dotted(flag, matches, &mut fields)?;
    }
    let missing: Vec<String> = command
        .flags
        .iter()
        .filter(|flag| flag.required && fields.get(flag.key).is_none_or(Value::is_null))
        .map(|flag| format!("--{}", flag.long))
        .collect();
    if !missing.is_empty() {
        let keys: Vec<String> = command
            .flags
            .iter()
            .filter(|flag| missing.contains(&format!("--{}", flag.long)))
            .map(|flag| format!("`{}`", flag.key))
            .collect();
        let them = if missing.len() == 1 {
            "it as a flag"
        } else {
            "them as flags"
        };
        return Err(format!(
            "missing {}: give {them}, or as {} in a JSON or YAML object on stdin",
            and_list(&missing),
            and_list(&keys)
        ));
    }

    let mut pieces = Pieces::default();
    let mut path = command.path.to_owned();
    for flag in command.flags {
        let Some(value) = fields.remove(flag.key) else {
            continue;
        };
        match flag.target {
            Target::Path => {
                let text = scalar_text(&value)
                    .ok_or_else(|| format!("--{}: a path parameter must be a string", flag.long))?;
                let encoded = encode_path(flag.key, &text).map_err(|err| err.to_string())?;
                path = path.replace(&format!("{{{}}}", flag.key), &encoded);
            }
            Target::Query => {
                if !value.is_null() {
                    pieces.query.insert(flag.key.to_owned(), value);
                }
            }
            Target::Header => match &value {
                Value::Array(items) => {
                    for item in items {
                        if let Some(text) = scalar_text(item) {
                            pieces.headers.push((flag.key, text));
                        }
                    }
                }
                Value::Null => {}
                other => {
                    let text = scalar_text(other).ok_or_else(|| {
                        format!("--{}: a header must be a plain value", flag.long)
                    })?;
                    pieces.headers.push((flag.key, text));
                }
            },
            Target::Body => {
                pieces.body.insert(flag.key.to_owned(), value);
            }
        }
    }
    // Keys on stdin that no flag names go in the body as given, for
    // fields our table leaves out (a constant, a newer field).
    for (key, value) in fields {
        pieces.body.entry(key).or_insert(value);
    }
    for (key, value) in command.constants {
        pieces
            .body
            .entry((*key).to_owned())
            .or_insert_with(|| Value::String((*value).to_owned()));
    }
    pieces.path = path;
    Ok(pieces)
}

/// The value of `flag` (and of its positional twin), when given.
fn flag_value(flag: &Flag, matches: &ArgMatches) -> Result<Option<Value>, String> {
    let mut given: Vec<&String> = matches
        .try_get_many::<String>(&flag_id(flag))
        .ok()
        .flatten()
        .map(|values| values.collect())
        .unwrap_or_default();
    if flag.positional
        && let Some(value) = one(matches, &positional_id(flag))
    {
        given.push(value);
    }
    if given.is_empty() {
        return Ok(None);
    }
    if !flag.list {
        let last = given.last().expect("not empty");
        return convert(flag, last).map(Some);
    }
    let mut items = Vec::new();
    for text in given {
        match convert_item(flag, text)? {
            Value::Array(more) => items.extend(more),
            item => items.push(item),
        }
    }
    Ok(Some(Value::Array(items)))
}

/// Sets the fields of `flag`'s dotted flags: into its object, or into one
/// new item of its list.
fn dotted(
    flag: &Flag,
    matches: &ArgMatches,
    fields: &mut Map<String, Value>,
) -> Result<(), String> {
    let mut object = Map::new();
    for field in flag.fields {
        if let Some(text) = one(matches, &flag_id(field)) {
            let value = convert(field, text)?;
            object.insert(field.key.to_owned(), value);
        }
    }
    if object.is_empty() {
        return Ok(());
    }
    let slot = fields.entry(flag.key.to_owned()).or_insert(Value::Null);
    if flag.list {
        match slot {
            Value::Array(items) => items.push(Value::Object(object)),
            _ => *slot = Value::Array(vec![Value::Object(object)]),
        }
    } else {
        match slot {
            Value::Object(existing) => existing.extend(object),
            _ => *slot = Value::Object(object),
        }
    }
    Ok(())
}

/// The value of the argument `id`, if the command has it and it was given.
fn one<'m>(matches: &'m ArgMatches, id: &str) -> Option<&'m String> {
    matches.try_get_one::<String>(id).ok().flatten()
}

/// One item of a list flag: a JSON or YAML list adds its items.
fn convert_item(flag: &Flag, text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('[')
        && let Ok(Value::Array(items)) = openai_runtime::cli::parse_document(text)
    {
        return Ok(Value::Array(items));
    }
    convert(flag, text)
}

/// A flag's text as the JSON value of its kind.
fn convert(flag: &Flag, text: &str) -> Result<Value, String> {
    let bad = |what: &str| {
        format!(
            "invalid value '{}' for --{}: not {what}",
            crate::output::escape(text, false),
            flag.long
        )
    };
    let long = format!("--{}", flag.long);
    let resolved = |text: &str| files::resolve(&long, text).map_err(|err| err.to_string());
    // `@path` and its kin embed a file; inside JSON or YAML too.
    let document = |value: Value| files::resolve_value(&long, value).map_err(|err| err.to_string());
    Ok(match flag.kind {
        Kind::File => Value::String(text.to_owned()),
        Kind::String | Kind::Enum(_) => Value::String(resolved(text)?),
        Kind::FileOrValue if is_file(text) => Value::String(text.to_owned()),
        Kind::Const(value) if text == value => Value::String(text.to_owned()),
        Kind::Const(value) => return Err(bad(&format!("`{value}`, its only value"))),
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer"))?,
        Kind::Number => {
            let number: f64 = text.trim().parse().map_err(|_| bad("a number"))?;
            if !number.is_finite() {
                return Err(bad("a finite number"));
            }
            serde_json::Number::from_f64(number)
                .map(Value::Number)
                .ok_or_else(|| bad("a number"))?
        }
        Kind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Object => document(
            openai_runtime::cli::parse_object(text)
                .map_err(|err| format!("--{}: {err}", flag.long))?,
        )?,
        // A word that is neither JSON nor YAML is a string, as written.
        Kind::Document | Kind::FileOrValue => document(
            openai_runtime::cli::parse_document(text)
                .unwrap_or_else(|_| Value::String(text.to_owned())),
        )?,
    })
}

/// Whether `text` names a file to send: stdin, or a path that exists.
pub fn is_file(text: &str) -> bool {
    openai_runtime::cli::is_stdin(text.as_ref()) || std::path::Path::new(text).exists()
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(boolean) => Some(boolean.to_string()),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
