//! Writing a downloaded file as it arrives: to `--output PATH`, whole or not
//! at all, or to stdout. Never held in memory whole.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use openai_runtime::ByteStream;
use openai_runtime::download::{Destination, content_disposition_filename, sanitize_filename};
use openai_uploads::{ApiResponse, Error};

use crate::output::escape;

/// Why a download was not written.
#[derive(Debug)]
pub enum Failure {
    /// The reply broke off (a timeout, a connection error, too large).
    Api(Error),
    /// Nothing was written: bytes that are not text are not for a terminal.
    Usage(String),
    /// The file or stdout could not be written.
    Io(String),
}

/// Writes the download where `output` says: a path (`-` for stdout), or,
/// without one, stdout when it is not a terminal or the reply is text, and
/// else a file named from the reply's `Content-Disposition` (reduced to a
/// plain name; an existing file is kept unless `force`), said on stderr.
pub async fn save(
    response: ApiResponse<ByteStream>,
    output: Option<PathBuf>,
    force: bool,
) -> Result<(), Failure> {
    let header = |name: &str| {
        response
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let content_type = header("content-type");
    let stream = response.data;
    match output {
        Some(path) if path.as_os_str() == "-" => to_stdout(stream).await,
        // A path the user named: theirs to replace.
        Some(path) => to_file(stream, &path, true).await,
        None if !std::io::stdout().is_terminal() || content_type.starts_with("text/") => {
            to_stdout(stream).await
        }
        None => {
            let offered = content_disposition_filename(&header("content-disposition"));
            let name = sanitize_filename(offered.as_deref().unwrap_or(""), "download");
            to_file(stream, Path::new(&name), force).await?;
            let note = format!("Wrote output to: {}\n", escape(&name, false));
            let _ = std::io::stderr().write_all(note.as_bytes());
            Ok(())
        }
    }
}

async fn to_stdout(stream: ByteStream) -> Result<(), Failure> {
    to_writer(stream, &mut std::io::stdout().lock()).await
}

async fn to_writer(mut stream: ByteStream, out: &mut impl Write) -> Result<(), Failure> {
    let lost = |err: std::io::Error| {
        Failure::Io(format!("cannot write to stdout: {err}; the output is lost"))
    };
    while let Some(chunk) = stream.chunk().await.map_err(Failure::Api)? {
        out.write_all(&chunk).map_err(lost)?;
    }
    out.flush().map_err(lost)
}

/// Writes `path` whole or not at all: a regular file (or a new one) through
/// a temporary file beside it, renamed into place once complete (mode 0600
/// for a new one); a device, FIFO or `/dev/stdout` directly, never
/// replaced. Links are followed.
async fn to_file(stream: ByteStream, path: &Path, force: bool) -> Result<(), Failure> {
    let shown = escape(&path.display().to_string(), false);
    let failed = |err: Error| match err {
        Error::Write { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            Failure::Usage(format!("{shown} exists; pass --force to replace it"))
        }
        Error::Write { source, .. } => Failure::Io(format!("cannot write {shown}: {source}")),
        other => Failure::Api(other),
    };
    let mut destination = Destination::create(path, force).map_err(failed)?;
    destination.write_stream(stream).await.map_err(failed)?;
    destination.finish().map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use openai_runtime::{Method, Request};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use std::fs;

    use super::*;

    /// A download of `reply`, streaming.
    async fn download(server: &MockServer, reply: ResponseTemplate) -> ApiResponse<ByteStream> {
        Mock::given(method("GET"))
            .and(path("/files/f1/content"))
            .respond_with(reply)
            .mount(server)
            .await;
        let client = openai_runtime::Client::builder()
            .api_key("sk-test")
            .base_url(server.uri())
            .max_retries(0)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        client
            .execute_bytes_stream(Request::new(Method::GET, "/files/f1/content".into()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_file_is_written_whole_and_no_part_is_left() {
        let server = MockServer::start().await;
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(bytes.clone()),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data.bin");
        save(response, Some(target.clone()), false).await.unwrap();
        assert_eq!(fs::read(&target).unwrap(), bytes);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only the file"
        );
    }

    #[tokio::test]
    async fn a_download_that_breaks_off_leaves_no_file() {
        // A server that promises 1000 bytes, sends 10 and hangs up.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::Read;
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789");
        });
        let client = openai_runtime::Client::builder()
            .api_key("sk-test")
            .base_url(format!("http://{address}"))
            .max_retries(0)
            .build()
            .unwrap();
        let response = client
            .execute_bytes_stream(Request::new(Method::GET, "/files/f1/content".into()))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data.bin");
        let failure = save(response, Some(target.clone()), false)
            .await
            .unwrap_err();
        assert!(matches!(failure, Failure::Api(_)), "{failure:?}");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file, no part"
        );
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_put_in_place_leaves_no_part() {
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(vec![7u8; 1000]),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        // A directory that is not empty where the file should go.
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("x"), b"x").unwrap();
        let failure = save(response, Some(target.clone()), false)
            .await
            .unwrap_err();
        assert!(
            matches!(&failure, Failure::Io(m) if m.contains("cannot write")),
            "{failure:?}"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[tokio::test]
    async fn bytes_go_to_the_writer_as_they_are() {
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(b"\x00\x1b[2Jraw".to_vec()),
        )
        .await;
        let mut out = Vec::new();
        to_writer(response.data, &mut out).await.unwrap();
        assert_eq!(out, b"\x00\x1b[2Jraw");
    }

    #[tokio::test]
    async fn a_fifo_is_written_and_stays_a_fifo() {
        use std::os::unix::fs::FileTypeExt;
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(b"through the pipe".to_vec()),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid, NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        save(response, Some(fifo.clone()), false).await.unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[tokio::test]
    async fn a_link_is_followed_and_stays_a_link() {
        let server = MockServer::start().await;
        let response = download(
            &server,
            ResponseTemplate::new(200).set_body_bytes(b"new".to_vec()),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.bin");
        fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.bin");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        save(response, Some(link.clone()), false).await.unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }
}
