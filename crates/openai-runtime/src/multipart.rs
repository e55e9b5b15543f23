//! `multipart/form-data` bodies: [`FilePart`] and [`Multipart`].
//!
//! A form is a description, not a byte stream: each attempt builds a fresh
//! `reqwest` form from it, so a retry re-sends the same bytes or re-reads the
//! same file range.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use reqwest::multipart::{Form, Part};

use super::{Error, Result};

/// The filename sent for a part made from bytes, when none is set.
const DEFAULT_FILENAME: &str = "upload";
/// The content type sent for a file part, when none is set.
const DEFAULT_MIME_TYPE: &str = "application/octet-stream";
/// Bytes read from disk per chunk of a file part's stream.
const READ_CHUNK: u64 = 1024 * 1024;
/// Bytes per chunk of a part in memory whose progress is followed
/// ([`FilePart::on_progress`]): small enough that progress moves smoothly,
/// large enough to cost nothing per chunk.
const PROGRESS_CHUNK: usize = 128 * 1024;

/// Told the length of each chunk of a part as the connection takes it.
type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// One attempt's bytes of a part made by the caller ([`FilePart::from_stream`]).
type ChunkStream = futures_util::stream::BoxStream<'static, io::Result<Bytes>>;
/// Makes a fresh [`ChunkStream`] for each attempt.
type MakeStream = Arc<dyn Fn() -> ChunkStream + Send + Sync>;

/// Binary data for a `multipart/form-data` field: bytes in memory, a whole
/// file, a range of a file, or a stream the caller makes for each attempt.
///
/// Files are streamed from disk each time the request is sent, never loaded
/// whole. Cheap to clone: bytes are reference-counted and a file part is a
/// path and a range.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use openai_runtime::FilePart;
///
/// let part = FilePart::from_bytes(&b"{\"prompt\": \"hi\"}\n"[..])
///     .filename("train.jsonl")
///     .mime_type("text/jsonl");
/// assert_eq!(part.len(), 17);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FilePart {
    source: Source,
    filename: Option<String>,
    mime_type: Option<String>,
    progress: Option<Progress>,
}

#[derive(Clone)]
enum Source {
    Bytes(Bytes),
    File {
        path: Arc<Path>,
        offset: u64,
        len: u64,
    },
    Stream {
        /// Names the data in an [`Error::File`] when the stream fails.
        path: Arc<Path>,
        len: u64,
        make: MakeStream,
    },
}

impl FilePart {
    /// A part holding these bytes, sent with the filename `upload` unless
    /// [`FilePart::filename`] sets another.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self {
            source: Source::Bytes(bytes.into()),
            filename: None,
            mime_type: None,
            progress: None,
        }
    }

    /// The whole file at `path`, which must be a regular file (symbolic links
    /// are followed). Its length is taken now; the bytes are read when the
    /// request is sent, and sending fails if the file has become shorter by
    /// then. The filename sent is the path's last component.
    pub fn from_path(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let len = regular_file_len(path)?;
        Ok(Self::file(path, 0, len))
    }

    /// `len` bytes of the file at `path` starting at byte `offset`. The file
    /// must be a regular file holding the whole range.
    pub fn from_file_range(path: impl AsRef<Path>, offset: u64, len: u64) -> io::Result<Self> {
        let path = path.as_ref();
        let size = regular_file_len(path)?;
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(Self::file(path, offset, len)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the range of {len} bytes at offset {offset} is past the end of the file ({size} bytes)"
                ),
            )),
        }
    }

    /// `len` bytes from a stream that `make` starts afresh for each attempt
    /// (a retried request calls it again and sends from the first byte),
    /// for data read in a way the other constructors do not cover: say, a
    /// range of a file already open, checked as it is read. The part is
    /// never held whole in memory: each chunk is sent as the stream yields
    /// it.
    ///
    /// The stream must yield exactly `len` bytes. An error it yields ends
    /// the attempt with [`Error::File`] naming `path` and carrying that
    /// error, rather than the broken connection it causes, and it is not
    /// retried. The filename sent is `upload` unless [`FilePart::filename`]
    /// sets another.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use openai_runtime::FilePart;
    ///
    /// let chunks = || futures_util::stream::iter([Ok(Bytes::from("one ")), Ok(Bytes::from("two"))]);
    /// let part = FilePart::from_stream("numbers.txt", 7, chunks);
    /// assert_eq!(part.len(), 7);
    /// ```
    pub fn from_stream<S>(
        path: impl AsRef<Path>,
        len: u64,
        make: impl Fn() -> S + Send + Sync + 'static,
    ) -> Self
    where
        S: futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static,
    {
        use futures_util::StreamExt as _;
        Self {
            source: Source::Stream {
                path: Arc::from(path.as_ref()),
                len,
                make: Arc::new(move || make().boxed()),
            },
            filename: None,
            mime_type: None,
            progress: None,
        }
    }

    fn file(path: &Path, offset: u64, len: u64) -> Self {
        let filename = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        Self {
            source: Source::File {
                path: Arc::from(path),
                offset,
                len,
            },
            filename,
            mime_type: None,
            progress: None,
        }
    }

    /// Sets the filename sent with the part.
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// Sets the part's content type; `application/octet-stream` by default.
    /// A value that is not a MIME type fails the request with
    /// [`Error::InvalidArgument`] before anything is sent.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Calls `progress` with the length of each chunk of the part as the
    /// connection takes it to send (chunks of at most 1 MiB), so a caller
    /// can follow the bytes going out rather than wait for the reply. A
    /// retried request sends the part again from its first byte, calling
    /// `progress` again.
    pub fn on_progress(mut self, progress: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The number of bytes the part sends.
    pub fn len(&self) -> u64 {
        match &self.source {
            Source::Bytes(bytes) => bytes.len() as u64,
            Source::File { len, .. } | Source::Stream { len, .. } => *len,
        }
    }

    /// Whether the part sends no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The filename sent with the part.
    pub fn file_name(&self) -> &str {
        self.filename.as_deref().unwrap_or(DEFAULT_FILENAME)
    }

    /// The part's content type.
    pub fn content_type(&self) -> &str {
        self.mime_type.as_deref().unwrap_or(DEFAULT_MIME_TYPE)
    }

    /// One attempt's `reqwest` part; file read errors land in `errors`.
    fn to_part(&self, name: &str, errors: &ReadErrors) -> Result<Part> {
        let part = match (&self.source, &self.progress) {
            (Source::Bytes(bytes), None) => {
                Part::stream_with_length(bytes.clone(), bytes.len() as u64)
            }
            (Source::Bytes(bytes), Some(progress)) => {
                let stream = reported(chunks(bytes.clone()), progress.clone());
                Part::stream_with_length(reqwest::Body::wrap_stream(stream), bytes.len() as u64)
            }
            (Source::File { path, offset, len }, progress) => {
                let stream = file_stream(path.clone(), *offset, *len, errors.clone());
                let body = match progress {
                    Some(progress) => {
                        reqwest::Body::wrap_stream(reported(stream, progress.clone()))
                    }
                    None => reqwest::Body::wrap_stream(stream),
                };
                Part::stream_with_length(body, *len)
            }
            (Source::Stream { path, len, make }, progress) => {
                let stream = recorded(make(), path.clone(), errors.clone());
                let body = match progress {
                    Some(progress) => {
                        reqwest::Body::wrap_stream(reported(stream, progress.clone()))
                    }
                    None => reqwest::Body::wrap_stream(stream),
                };
                Part::stream_with_length(body, *len)
            }
        };
        part.file_name(header_safe(self.file_name()))
            .mime_str(self.content_type())
            .map_err(|_| {
                Error::invalid_argument(
                    name,
                    format!("`{}` is not a MIME type", self.content_type()),
                )
            })
    }
}

impl fmt::Debug for FilePart {
    // Never the bytes themselves: a part can be 64 MiB.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("FilePart");
        match &self.source {
            Source::Bytes(bytes) => out.field("bytes", &bytes.len()),
            Source::File { path, offset, len } => out
                .field("path", path)
                .field("offset", offset)
                .field("len", len),
            Source::Stream { path, len, .. } => out.field("stream", path).field("len", len),
        };
        out.field("filename", &self.file_name())
            .field("mime_type", &self.content_type())
            .finish()
    }
}

/// A `multipart/form-data` body: named text and file fields, in order.
#[derive(Clone, Debug, Default)]
pub struct Multipart {
    fields: Vec<(Cow<'static, str>, Field)>,
}

#[derive(Clone, Debug)]
enum Field {
    Text(String),
    File(FilePart),
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file field.
    pub fn file(mut self, name: impl Into<Cow<'static, str>>, part: FilePart) -> Self {
        self.fields.push((name.into(), Field::File(part)));
        self
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), Field::Text(value.into())));
        self
    }

    /// Adds a value of any shape as text fields, the way OpenAI's API reads
    /// a form (and its SDKs write one): a string, number or boolean as one
    /// field, a list as one `name[]` field per item, an object as one
    /// `name[key]` field per key, nested alike; `null` adds nothing.
    pub fn value(self, name: impl Into<Cow<'static, str>>, value: &serde_json::Value) -> Self {
        use serde_json::Value;
        let name = name.into();
        match value {
            Value::Null => self,
            Value::String(text) => self.text(name, text.clone()),
            Value::Array(items) => {
                let list = format!("{name}[]");
                items
                    .iter()
                    .fold(self, |form, item| form.value(list.clone(), item))
            }
            Value::Object(fields) => fields.iter().fold(self, |form, (key, item)| {
                form.value(format!("{name}[{key}]"), item)
            }),
            other => self.text(name, other.to_string()),
        }
    }

    /// A fresh `reqwest` form for one attempt.
    pub(super) fn to_form(&self, errors: &ReadErrors) -> Result<Form> {
        let mut form = Form::new();
        for (name, field) in &self.fields {
            form = match field {
                Field::Text(value) => form.text(name.clone(), value.clone()),
                Field::File(part) => form.part(name.clone(), part.to_part(name, errors)?),
            };
        }
        Ok(form)
    }

    /// One line per field for the debug log, never the file bytes.
    pub(super) fn describe(&self) -> String {
        let mut out = String::from("multipart/form-data");
        for (name, field) in &self.fields {
            match field {
                Field::Text(value) => out.push_str(&format!("\n{name}: {value}")),
                Field::File(part) => out.push_str(&format!(
                    "\n{name}: <{} bytes, filename {:?}, {}>",
                    part.len(),
                    part.file_name(),
                    part.content_type()
                )),
            }
        }
        out
    }
}

/// The first error reading a file part during one attempt, so the attempt
/// can report it instead of the broken connection it causes.
#[derive(Clone, Default)]
pub(super) struct ReadErrors(Arc<Mutex<Option<(PathBuf, io::Error)>>>);

impl ReadErrors {
    fn record(&self, path: &Path, error: io::Error) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| (path.to_path_buf(), error));
    }

    /// The recorded error as [`Error::File`], if any.
    pub(super) fn take(&self) -> Option<Error> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.take()
            .map(|(path, source)| Error::File { path, source })
    }
}

fn regular_file_len(path: &Path) -> io::Result<u64> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(metadata.len())
}

/// A filename safe inside a quoted header parameter: control characters
/// (a CR/LF would end the header) become `_`.
fn header_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect()
}

struct FileReader {
    path: Arc<Path>,
    file: Option<std::fs::File>,
    offset: u64,
    remaining: u64,
}

impl FileReader {
    /// The next chunk, opening the file on the first call. Blocking.
    fn next_chunk(&mut self) -> io::Result<Bytes> {
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let mut file = std::fs::File::open(&self.path)?;
                file.seek(SeekFrom::Start(self.offset))?;
                self.file.insert(file)
            }
        };
        let want = usize::try_from(self.remaining.min(READ_CHUNK)).unwrap_or(usize::MAX);
        let mut buffer = vec![0u8; want];
        let mut filled = 0;
        while filled < want {
            match file.read(&mut buffer[filled..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file is shorter than when the request was made",
                    ));
                }
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        self.remaining -= want as u64;
        Ok(Bytes::from(buffer))
    }
}

/// `bytes` in chunks of [`PROGRESS_CHUNK`], without copying.
fn chunks(bytes: Bytes) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    let len = bytes.len();
    let starts = (0..len).step_by(PROGRESS_CHUNK);
    futures_util::stream::iter(
        starts.map(move |start| Ok(bytes.slice(start..len.min(start + PROGRESS_CHUNK)))),
    )
}

/// `stream`, telling `progress` the length of each chunk as it is taken.
fn reported(
    stream: impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static,
    progress: Progress,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    use futures_util::StreamExt as _;
    stream.inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            progress(chunk.len() as u64);
        }
    })
}

/// `stream`, its first error recorded in `errors` against `path` (and
/// passed on by its kind alone: the connection only needs to fail).
fn recorded(
    stream: ChunkStream,
    path: Arc<Path>,
    errors: ReadErrors,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    use futures_util::StreamExt as _;
    stream.map(move |chunk| {
        chunk.map_err(|error| {
            let kind = error.kind();
            errors.record(&path, error);
            io::Error::from(kind)
        })
    })
}

/// `len` bytes of the file from `offset`, read off the async threads.
fn file_stream(
    path: Arc<Path>,
    offset: u64,
    len: u64,
    errors: ReadErrors,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    let reader = FileReader {
        path,
        file: None,
        offset,
        remaining: len,
    };
    futures_util::stream::unfold(Some(reader), move |reader| {
        let errors = errors.clone();
        async move {
            let mut reader = reader?;
            if reader.remaining == 0 {
                return None;
            }
            let outcome = tokio::task::spawn_blocking(move || {
                let chunk = reader.next_chunk();
                (reader, chunk)
            })
            .await;
            match outcome {
                Ok((reader, Ok(chunk))) => Some((Ok(chunk), Some(reader))),
                Ok((reader, Err(error))) => {
                    let kind = error.kind();
                    errors.record(&reader.path, error);
                    Some((Err(io::Error::from(kind)), None))
                }
                Err(join) => Some((Err(io::Error::other(join.to_string())), None)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_bracketed_fields() {
        let form = Multipart::new()
            .value("model", &serde_json::json!("m"))
            .value("n", &serde_json::json!(2))
            .value("gone", &serde_json::Value::Null)
            .value("include", &serde_json::json!(["a", "b"]))
            .value(
                "session",
                &serde_json::json!({"audio": {"rate": 1}, "type": "realtime"}),
            )
            .value("tools", &serde_json::json!([{"type": "x"}]));
        assert_eq!(
            form.describe(),
            "multipart/form-data\nmodel: m\nn: 2\ninclude[]: a\ninclude[]: b\n\
             session[audio][rate]: 1\nsession[type]: realtime\ntools[][type]: x"
        );
    }

    #[test]
    fn header_safe_replaces_control_characters() {
        assert_eq!(header_safe("a\r\nb\"c.txt"), "a__b\"c.txt");
        assert_eq!(header_safe("é.jsonl"), "é.jsonl");
    }

    #[test]
    fn debug_never_shows_bytes() {
        let part = FilePart::from_bytes(vec![b'z'; 100]);
        let text = format!("{part:?}");
        assert!(!text.contains("zzz"), "{text}");
        assert!(text.contains("100"), "{text}");
    }

    #[test]
    fn bad_mime_type_is_invalid_argument() {
        let form = Multipart::new().file("data", FilePart::from_bytes("x").mime_type("not a type"));
        let err = form.to_form(&ReadErrors::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name, .. } if name == "data"),
            "{err:?}"
        );
    }

    #[test]
    fn a_stream_part_is_made_anew_for_each_attempt() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let part = FilePart::from_stream("data.bin", 3, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            futures_util::stream::iter([Ok(Bytes::from_static(b"abc"))])
        });
        assert_eq!(part.len(), 3);
        assert_eq!(part.file_name(), "upload");
        let text = format!("{part:?}");
        assert!(text.contains("data.bin") && text.contains('3'), "{text}");
        let form = Multipart::new().file("data", part);
        for _ in 0..2 {
            form.to_form(&ReadErrors::default()).unwrap();
        }
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_stream_error_is_recorded_against_the_path() {
        use futures_util::StreamExt as _;
        let errors = ReadErrors::default();
        let failing = futures_util::stream::iter([
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::new(io::ErrorKind::InvalidData, "changed")),
        ])
        .boxed();
        let passed: Vec<_> = recorded(failing, Arc::from(Path::new("x.bin")), errors.clone())
            .collect()
            .await;
        assert!(passed[0].is_ok());
        assert_eq!(
            passed[1].as_ref().unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        match errors.take() {
            Some(Error::File { path, source }) => {
                assert_eq!(path, Path::new("x.bin"));
                assert_eq!(source.to_string(), "changed");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn describe_lists_fields() {
        let form = Multipart::new()
            .text("purpose", "batch")
            .file("data", FilePart::from_bytes("abc").filename("a.txt"));
        assert_eq!(
            form.describe(),
            "multipart/form-data\npurpose: batch\ndata: <3 bytes, filename \"a.txt\", application/octet-stream>"
        );
    }
}
