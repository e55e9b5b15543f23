//! What every generated command-line command shares: its [`Input`],
//! assembled from its flags over a JSON or YAML object read from stdin, and
//! the parsers for flag values written as JSON or YAML.
//!
//! The rules are the same for every command:
//! - A flag wins over the same key on stdin.
//! - A stdin key named like a path or query parameter fills that parameter
//!   when its flag is not given, and never reaches the body.
//! - Required values are checked after the merge, so stdin may supply any of
//!   them, and every missing one is named at once.
//! - What is left of the object is the JSON body; a key the body does not
//!   know is dropped.
//!
//! Only with the `cli` feature.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{Error, FilePart, Result};

pub use crate::cli_reply::Reply;

pub mod files;

/// One command's input: flag values over the object from stdin, taken apart
/// into path parameters, query, and body.
///
/// ```
/// use openai_runtime::cli::Input;
///
/// # fn main() -> openai_runtime::Result<()> {
/// let stdin = serde_json::json!({"upload_id": "upload_1", "md5": "abc"});
/// let mut input = Input::new(Some(stdin))?;
/// input.set("md5", Some("def"));
/// input.set("part_ids", Some(vec!["part_1"]));
/// input.require(&[("upload_id", "--upload-id"), ("part_ids", "--part-id")])?;
/// let upload_id: String = input.take("upload_id")?;
/// let body: serde_json::Value = input.body()?;
/// assert_eq!(upload_id, "upload_1");
/// assert_eq!(body, serde_json::json!({"md5": "def", "part_ids": ["part_1"]}));
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Input {
    fields: Map<String, Value>,
    /// How file flags are opened; [`FilePart::from_path`] when `None`.
    open: Option<OpenFile>,
    /// Keys whose value came from a flag, to say where a bad value came from.
    from_flags: BTreeSet<String>,
    /// The first flag value that could not be turned into JSON; reported by
    /// the next call that returns a `Result`.
    error: Option<Error>,
}

impl Input {
    /// The input of a command, starting from what stdin held (`None` when
    /// nothing was read). Stdin must hold an object (or `null`).
    pub fn new(stdin: Option<Value>) -> Result<Self> {
        let fields = match stdin {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(fields)) => fields,
            Some(other) => {
                return Err(Error::invalid_argument(
                    "stdin",
                    format!(
                        "expected a JSON object or YAML mapping of fields, not {}",
                        kind(&other)
                    ),
                ));
            }
        };
        Ok(Self {
            fields,
            ..Self::default()
        })
    }

    /// Opens the paths of file flags (and of file keys on stdin) with `open`
    /// instead of [`FilePart::from_path`]; a CLI uses it to read `--data -`
    /// from stdin.
    pub fn open_files_with(mut self, open: OpenFile) -> Self {
        self.open = Some(open);
        self
    }

    /// Sets `key` from its flag, when the flag was given; it wins over stdin.
    pub fn set<T: Serialize>(&mut self, key: &str, flag: Option<T>) {
        let Some(value) = flag else {
            return;
        };
        match serde_json::to_value(value) {
            Ok(value) => {
                self.fields.insert(key.to_owned(), value);
                self.from_flags.insert(key.to_owned());
            }
            Err(err) => self.fail(Error::invalid_argument(key, err.to_string())),
        }
    }

    /// Sets the object `key` from its flag (JSON or YAML, see
    /// [`parse_object`]), when given: it replaces the object from stdin.
    /// [`Object::field`] then sets single fields of it from their dotted
    /// flags, which win over both.
    pub fn object(&mut self, key: &str, flag: Option<Value>) -> Object<'_> {
        self.set(key, flag);
        Object {
            input: self,
            key: key.to_owned(),
        }
    }

    /// Fails naming every `(key, flag)` whose key is still missing, from the
    /// flags and from stdin alike.
    pub fn require(&mut self, required: &[(&str, &str)]) -> Result<()> {
        self.check()?;
        let missing: Vec<&(&str, &str)> = required
            .iter()
            .filter(|(key, _)| !self.fields.contains_key(*key))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let flags: Vec<&str> = missing.iter().map(|(_, flag)| *flag).collect();
        let keys: Vec<String> = missing.iter().map(|(key, _)| format!("`{key}`")).collect();
        let them = if missing.len() == 1 {
            "it as a flag"
        } else {
            "them as flags"
        };
        Err(Error::invalid_argument(
            "arguments",
            format!(
                "missing {}: give {them}, or as {} in a JSON or YAML object on stdin",
                and_list(&flags),
                and_list(&keys)
            ),
        ))
    }

    /// Takes the value of `key` out (so it is not sent in the body); it must
    /// be there ([`Input::require`] checks that first).
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Result<T> {
        self.take_optional(key)?
            .ok_or_else(|| Error::invalid_argument(key, "missing"))
    }

    /// Takes the value of `key` out, if there is one (`null` is none).
    pub fn take_optional<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        self.check()?;
        match self.fields.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => self.decode(key, value).map(Some),
        }
    }

    /// Takes the file path in `key` out and opens it as a file part (read
    /// when the request is sent).
    pub fn take_file(&mut self, key: &str) -> Result<FilePart> {
        self.take_optional_file(key)?
            .ok_or_else(|| Error::invalid_argument(key, "missing"))
    }

    /// [`Input::take_file`], when the file is optional.
    pub fn take_optional_file(&mut self, key: &str) -> Result<Option<FilePart>> {
        let Some(path) = self.take_optional::<PathBuf>(key)? else {
            return Ok(None);
        };
        let open = self.open.unwrap_or(|path| FilePart::from_path(path));
        open(&path)
            .map(Some)
            .map_err(|err| Error::invalid_argument(key, format!("{}: {err}", path.display())))
    }

    /// Takes the values of `keys` out, as the fields of one struct (the
    /// query parameters).
    pub fn take_all<T: DeserializeOwned>(&mut self, keys: &[&str]) -> Result<T> {
        self.check()?;
        let mut fields = Map::new();
        for key in keys {
            if let Some(value) = self.fields.remove(*key) {
                fields.insert((*key).to_owned(), value);
            }
        }
        serde_json::from_value(Value::Object(fields))
            .map_err(|err| Error::invalid_argument("query", err.to_string()))
    }

    /// What is left, decoded as the JSON body.
    pub fn body<T: DeserializeOwned>(mut self) -> Result<T> {
        self.check()?;
        serde_json::from_value(Value::Object(self.fields)).map_err(|err| {
            Error::invalid_argument(
                "body",
                format!("{err}; give it as a flag or in a JSON or YAML body on stdin"),
            )
        })
    }

    /// Ends a command without a JSON body; what is left of stdin is ignored.
    pub fn finish(mut self) -> Result<()> {
        self.check()
    }

    fn decode<T: DeserializeOwned>(&self, key: &str, value: Value) -> Result<T> {
        let scalar = match &value {
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(boolean) => Some(boolean.to_string()),
            _ => None,
        };
        serde_json::from_value(value).or_else(|err| {
            // `upload_id: 123` in YAML is a number; an id is a string.
            if let Some(text) = scalar
                && let Ok(value) = serde_json::from_value(Value::String(text))
            {
                return Ok(value);
            }
            let from = if self.from_flags.contains(key) {
                ""
            } else {
                " (from stdin)"
            };
            Err(Error::invalid_argument(key, format!("{err}{from}")))
        })
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    fn check(&mut self) -> Result<()> {
        match self.error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Opens the file a file flag names, as a part streamed when sent.
pub type OpenFile = fn(&Path) -> std::io::Result<FilePart>;

/// The fields of one object-valued flag; see [`Input::object`].
#[derive(Debug)]
pub struct Object<'a> {
    input: &'a mut Input,
    key: String,
}

impl Object<'_> {
    /// Sets the field `name` of the object from its dotted flag, when given,
    /// creating the object if there is none.
    pub fn field<T: Serialize>(self, name: &str, flag: Option<T>) -> Self {
        let Some(value) = flag else {
            return self;
        };
        let value = match serde_json::to_value(value) {
            Ok(value) => value,
            Err(err) => {
                let key = format!("{}.{name}", self.key);
                self.input
                    .fail(Error::invalid_argument(key, err.to_string()));
                return self;
            }
        };
        let slot = self
            .input
            .fields
            .entry(self.key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(object) = slot {
            object.insert(name.to_owned(), value);
        }
        self.input.from_flags.insert(self.key.clone());
        self
    }
}

/// Whether a file flag's path names stdin: `-`, `/dev/stdin` or `/dev/fd/0`.
/// A command given one leaves stdin to that file, unread as its input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-" || path == Path::new("/dev/stdin") || path == Path::new("/dev/fd/0")
}

/// Parses a flag value given as JSON or YAML (YAML is a superset of JSON),
/// e.g. `--metadata '{team: ml}'` or `--tools '[{"type": "file_search"}]'`.
pub fn parse_document(text: &str) -> std::result::Result<Value, String> {
    serde_yaml::from_str(text).map_err(|err| format!("not JSON or YAML: {err}"))
}

/// Parses an object-valued flag, JSON or YAML:
/// `--expires-after '{anchor: created_at, seconds: 3600}'`. `null` sends
/// `null`.
pub fn parse_object(text: &str) -> std::result::Result<Value, String> {
    match parse_document(text)? {
        value @ (Value::Object(_) | Value::Null) => Ok(value),
        other => Err(format!(
            "expected an object, like `{{key: value}}` (YAML) or `{{\"key\": \"value\"}}` (JSON), not {}",
            kind(&other)
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list<T: AsRef<str>>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stdin_paths() {
        for path in ["-", "/dev/stdin", "/dev/fd/0"] {
            assert!(is_stdin(Path::new(path)), "{path}");
        }
        for path in ["./-", "/dev/stdout", "-x", "data.bin"] {
            assert!(!is_stdin(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn flags_win_over_stdin_and_path_keys_leave_the_body() {
        let mut input = Input::new(Some(json!({
            "upload_id": "from_stdin",
            "md5": "stdin",
            "extra": 1,
        })))
        .unwrap();
        input.set("upload_id", Some("from_flag"));
        input.set("md5", None::<String>);
        input.require(&[("upload_id", "--upload-id")]).unwrap();
        let id: String = input.take("upload_id").unwrap();
        assert_eq!(id, "from_flag");
        let body: Value = input.body().unwrap();
        assert_eq!(body, json!({"md5": "stdin", "extra": 1}));
    }

    #[test]
    fn stdin_fills_a_missing_path_parameter() {
        let mut input = Input::new(Some(json!({"upload_id": "upload_1"}))).unwrap();
        input.set("upload_id", None::<String>);
        input.require(&[("upload_id", "--upload-id")]).unwrap();
        assert_eq!(input.take::<String>("upload_id").unwrap(), "upload_1");
        input.finish().unwrap();
    }

    #[test]
    fn every_missing_value_is_named() {
        let mut input = Input::new(None).unwrap();
        input.set("bytes", Some(1));
        let err = input
            .require(&[
                ("bytes", "--bytes"),
                ("filename", "--filename"),
                ("purpose", "--purpose"),
            ])
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("missing --filename and --purpose")
                && text.contains("`filename` and `purpose`"),
            "{text}"
        );
        let err = Input::new(None)
            .unwrap()
            .require(&[("upload_id", "--upload-id")])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("missing --upload-id: give it as a flag, or as `upload_id`"),
            "{err}"
        );
    }

    #[test]
    fn dotted_fields_refine_the_object() {
        let stdin = json!({"expires_after": {"anchor": "created_at", "seconds": 60}});
        let mut input = Input::new(Some(stdin.clone())).unwrap();
        input
            .object("expires_after", None)
            .field("seconds", Some(3600))
            .field("anchor", None::<String>);
        let body: Value = input.body().unwrap();
        assert_eq!(
            body,
            json!({"expires_after": {"anchor": "created_at", "seconds": 3600}})
        );

        // The object flag replaces stdin's object; dotted flags win over it.
        let mut input = Input::new(Some(stdin)).unwrap();
        input
            .object("expires_after", Some(json!({"anchor": "x", "seconds": 1})))
            .field("seconds", Some(7200));
        let body: Value = input.body().unwrap();
        assert_eq!(
            body,
            json!({"expires_after": {"anchor": "x", "seconds": 7200}})
        );

        // A dotted flag alone makes the object.
        let mut input = Input::new(None).unwrap();
        input
            .object("expires_after", None)
            .field("seconds", Some(1));
        let body: Value = input.body().unwrap();
        assert_eq!(body, json!({"expires_after": {"seconds": 1}}));
    }

    #[test]
    fn stdin_must_be_an_object() {
        for stdin in [json!([1, 2]), json!("text"), json!(3)] {
            let err = Input::new(Some(stdin)).unwrap_err();
            assert!(err.to_string().contains("expected a JSON object"), "{err}");
        }
        Input::new(Some(Value::Null)).unwrap().finish().unwrap();
    }

    #[test]
    fn scalars_on_stdin_are_lenient_for_strings_and_strict_otherwise() {
        let mut input = Input::new(Some(json!({"upload_id": 123, "limit": "many"}))).unwrap();
        assert_eq!(input.take::<String>("upload_id").unwrap(), "123");
        let err = input.take::<i64>("limit").unwrap_err();
        assert!(err.to_string().contains("(from stdin)"), "{err}");
    }

    #[test]
    fn query_fields_are_taken_together() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Query {
            limit: Option<i64>,
            after: Option<String>,
        }
        let mut input = Input::new(Some(json!({"after": "x", "name": "n"}))).unwrap();
        input.set("limit", Some(5));
        let query: Query = input.take_all(&["limit", "after"]).unwrap();
        assert_eq!(
            query,
            Query {
                limit: Some(5),
                after: Some("x".into())
            }
        );
        assert_eq!(input.body::<Value>().unwrap(), json!({"name": "n"}));
    }

    #[test]
    fn files_come_from_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.txt");
        std::fs::write(&path, b"Example data").unwrap();
        let mut input = Input::new(Some(json!({"data": path}))).unwrap();
        let part = input.take_file("data").unwrap();
        assert_eq!(part.len(), 12);
        assert_eq!(part.file_name(), "part.txt");

        let mut input = Input::new(None).unwrap();
        input.set("data", Some(dir.path().join("missing.txt")));
        let err = input.take_file("data").unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
        assert!(
            Input::new(None)
                .unwrap()
                .take_optional_file("data")
                .unwrap()
                .is_none()
        );

        let mut input = Input::new(Some(json!({"data": "-"})))
            .unwrap()
            .open_files_with(|path| {
                assert_eq!(path, Path::new("-"));
                Ok(FilePart::from_bytes(&b"from stdin"[..]))
            });
        assert_eq!(input.take_file("data").unwrap().len(), 10);
    }

    #[test]
    fn flag_values_parse_as_json_or_yaml() {
        assert_eq!(
            parse_object("{anchor: created_at, seconds: 3600}").unwrap(),
            json!({"anchor": "created_at", "seconds": 3600})
        );
        assert_eq!(
            parse_object(r#"{"anchor": "created_at"}"#).unwrap(),
            json!({"anchor": "created_at"})
        );
        assert_eq!(parse_object("null").unwrap(), Value::Null);
        assert!(
            parse_object("[1]")
                .unwrap_err()
                .contains("expected an object")
        );
        assert!(parse_object("{").unwrap_err().contains("not JSON or YAML"));
        assert_eq!(parse_document("[a, 1]").unwrap(), json!(["a", 1]));
    }
    #[test]
    fn a_flag_that_cannot_be_sent_fails_the_command_naming_it() {
        let mut bad = std::collections::HashMap::new();
        bad.insert(vec![1u8], 1);
        let mut input = Input::new(None).unwrap();
        input.set("metadata", Some(bad.clone()));
        let err = input.finish().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "metadata"),
            "{err:?}"
        );
        // Only the first failure is kept, and any later step reports it.
        let mut input = Input::new(None).unwrap();
        input.set("metadata", Some(bad.clone()));
        input
            .object("expires_after", None)
            .field("seconds", Some(bad));
        let err = input.require(&[]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "metadata"),
            "{err:?}"
        );
        input.finish().unwrap();
    }

    #[test]
    fn booleans_on_stdin_are_text_where_text_is_wanted() {
        let mut input = Input::new(Some(json!({"name": true, "flag": true}))).unwrap();
        assert_eq!(input.take::<String>("name").unwrap(), "true");
        assert!(input.take::<bool>("flag").unwrap());
        assert_eq!(input.take_optional::<String>("gone").unwrap(), None);
    }

    #[test]
    fn what_is_not_an_object_is_named_by_its_kind() {
        for (stdin, kind) in [
            (json!([1]), "a list"),
            (json!("x"), "a string"),
            (json!(1.5), "a number"),
            (json!(false), "a boolean"),
        ] {
            let err = Input::new(Some(stdin)).unwrap_err();
            assert!(err.to_string().ends_with(&format!("not {kind}")), "{err}");
        }
        assert!(parse_object("[1]").unwrap_err().ends_with("not a list"));
    }
}
