//! A CLI's commands as data: what `cargo xtask gen` writes for the command
//! line, one [`Command`] per operation. A CLI reads the table and builds
//! only the command a run names, so its start-up does not grow with the
//! API.
//!
//! Only with the `cli` feature.

/// A group of commands: a resource, e.g. `beta:threads:runs`.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    /// Its official spelling, the words joined by `:`.
    pub name: &'static str,
    /// One line of help.
    pub doc: &'static str,
    /// Hand-written commands of the group, with their help lines.
    pub hand_written: &'static [(&'static str, &'static str)],
}

/// One operation as a command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Its group, e.g. `beta:threads:runs`.
    pub group: &'static str,
    /// The command in its group, e.g. `create`.
    pub name: &'static str,
    /// Other names of the command in its group.
    pub aliases: &'static [&'static str],
    /// One line of help.
    pub about: &'static str,
    /// More help, after the line.
    pub doc: &'static str,
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The path template, e.g. `/threads/{thread_id}/runs`.
    pub path: &'static str,
    /// Query pairs the path itself carries (`?beta=true`).
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// Sent with the admin key.
    pub admin: bool,
    /// Whether a 409 reply may be retried.
    pub retry_conflicts: bool,
    pub body: BodyKind,
    /// Body fields that always carry one value (`type: "function"`).
    pub constants: &'static [(&'static str, &'static str)],
    pub reply: ReplyKind,
    pub paging: Paging,
    /// The body field that turns on server-sent events (`stream`); `""`
    /// when the command always streams, `None` when it never does.
    pub stream: Option<&'static str>,
    pub flags: &'static [Flag],
}

/// How a request body travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    Json,
    Multipart,
}

/// What a successful reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Json,
    Empty,
    /// A file, with the `Accept` to send.
    Binary(&'static str),
    /// Text that is not JSON, with the `Accept` to send.
    Text(&'static str),
}

/// How a list command's pages follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Not a list.
    None,
    /// The query parameter `param` takes the last item's `id`, while the
    /// page says `has_more`.
    After { param: &'static str },
    /// The query parameter `param` takes the page's `field`, while it says
    /// `has_more`.
    LastId {
        param: &'static str,
        field: &'static str,
    },
    /// The query parameter `param` takes the page's `field`, until that is
    /// null or missing.
    Token {
        param: &'static str,
        field: &'static str,
    },
    /// One page.
    Single,
}

/// Where a flag's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Path,
    Query,
    Header,
    Body,
}

/// What a flag's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    /// An open enum: these values are offered, others pass as given.
    Enum(&'static [&'static str]),
    /// Only this value.
    Const(&'static str),
    /// A path to a file (`-` for stdin), sent as a file part.
    File,
    /// A path to a file that exists (or `-`), sent as a file part; any
    /// other text is a value, sent as given (JSON or YAML read).
    FileOrValue,
    /// JSON or YAML text; a plain word is a string.
    Document,
    /// A JSON or YAML object (or `null`).
    Object,
}

/// One flag of a command.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The long name, e.g. `expires-after`.
    pub long: &'static str,
    /// The wire name, e.g. `expires_after`.
    pub key: &'static str,
    /// The help placeholder, e.g. `SECONDS`.
    pub value_name: &'static str,
    pub help: &'static str,
    pub target: Target,
    pub kind: Kind,
    /// Repeatable, collecting a list; a value that is a JSON or YAML list
    /// adds all its items.
    pub list: bool,
    /// Must be given, as a flag or on stdin (checked after the merge).
    pub required: bool,
    /// Also a positional argument (path parameters, in template order).
    pub positional: bool,
    /// Dotted flags for single fields of this one's object
    /// (`--expires-after.seconds`); of a list's one item when `list`.
    pub fields: &'static [Flag],
}
