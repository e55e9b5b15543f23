//! Download destinations: files appear whole or not at all, and devices,
//! FIFOs and links stay what they are.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

use bytes::Bytes;
use openai_runtime::download::{Destination, content_disposition_filename, sanitize_filename};
use openai_runtime::{Client, Error, Method, Request};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn chunks(parts: &[&'static [u8]]) -> impl futures_util::Stream<Item = Result<Bytes, Error>> {
    futures_util::stream::iter(
        parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part)))
            .collect::<Vec<_>>(),
    )
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn write_kind(err: &Error) -> std::io::ErrorKind {
    match err {
        Error::Write { source, .. } => source.kind(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_new_file_appears_only_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let mut out = Destination::create(&path, false).unwrap();
    assert!(!out.is_direct());
    let written = out
        .write_stream(chunks(&[b"hello ", b"world"]))
        .await
        .unwrap();
    assert_eq!(written, 11);
    assert!(!path.exists(), "not under its name before finish");
    assert_eq!(listing(dir.path()).len(), 1, "one temporary file");
    assert_eq!(out.finish().unwrap(), path);
    assert_eq!(fs::read(&path).unwrap(), b"hello world");
    assert_eq!(listing(dir.path()), ["out.bin"]);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn an_interrupted_download_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    let mut out = Destination::create(&path, false).unwrap();
    let broken = futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"partial")),
        Err(Error::Config("the connection broke".into())),
    ]);
    let err = out.write_stream(broken).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    drop(out);
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));

    // Over an existing file: it stays as it was.
    fs::write(&path, b"previous").unwrap();
    let mut out = Destination::create(&path, true).unwrap();
    out.write_chunk(b"new and half").unwrap();
    drop(out);
    assert_eq!(fs::read(&path).unwrap(), b"previous");
    assert_eq!(listing(dir.path()), ["out.bin"]);
}

#[tokio::test]
async fn an_existing_file_is_replaced_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.bin");
    fs::write(&path, b"previous").unwrap();
    let err = Destination::create(&path, false).unwrap_err();
    assert_eq!(write_kind(&err), std::io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("out.bin"), "{err}");

    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let mut out = Destination::create(&path, true).unwrap();
    out.write_chunk(b"new").unwrap();
    out.finish().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "a replaced file keeps its mode");

    // A file that appears while downloading is not overwritten either.
    let late = dir.path().join("late.bin");
    let mut out = Destination::create(&late, false).unwrap();
    out.write_chunk(b"mine").unwrap();
    fs::write(&late, b"theirs").unwrap();
    let err = out.finish().unwrap_err();
    assert_eq!(write_kind(&err), std::io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&late).unwrap(), b"theirs");
    assert_eq!(listing(dir.path()), ["late.bin", "out.bin"]);
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Destination::create(dir.path(), true).unwrap_err();
    assert_eq!(write_kind(&err), std::io::ErrorKind::IsADirectory);
    for bad in [Path::new(""), &dir.path().join("missing/")] {
        let err = Destination::create(bad, true).unwrap_err();
        assert_eq!(write_kind(&err), std::io::ErrorKind::InvalidInput);
    }
    assert!(listing(dir.path()).is_empty());
}

#[tokio::test]
async fn a_symlink_is_followed_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.bin");
    fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.bin");
    std::os::unix::fs::symlink("real.bin", &link).unwrap();

    let err = Destination::create(&link, false).unwrap_err();
    assert_eq!(write_kind(&err), std::io::ErrorKind::AlreadyExists);

    let mut out = Destination::create(&link, true).unwrap();
    out.write_stream(chunks(&[b"new"])).await.unwrap();
    assert_eq!(out.finish().unwrap(), target);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target).unwrap(), b"new");

    // A dangling link: the file it names is created.
    let dangling = dir.path().join("dangling.bin");
    std::os::unix::fs::symlink("made.bin", &dangling).unwrap();
    let mut out = Destination::create(&dangling, false).unwrap();
    out.write_chunk(b"made").unwrap();
    out.finish().unwrap();
    assert!(
        fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(dir.path().join("made.bin")).unwrap(), b"made");
}

#[tokio::test]
async fn a_fifo_is_written_in_place_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            fs::File::open(fifo).unwrap().read_to_end(&mut got).unwrap();
            got
        })
    };
    // Opening for writing waits for the reader, so off the runtime's thread.
    let path = fifo.clone();
    let mut out = tokio::task::spawn_blocking(move || Destination::create(&path, false))
        .await
        .unwrap()
        .unwrap();
    assert!(out.is_direct());
    out.write_stream(chunks(&[b"through ", b"the pipe"]))
        .await
        .unwrap();
    out.finish().unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(listing(dir.path()), ["pipe"]);
}

#[tokio::test]
async fn dev_null_stays_a_character_device() {
    let mut out = Destination::create(Path::new("/dev/null"), false).unwrap();
    assert!(out.is_direct());
    out.write_stream(chunks(&[b"gone"])).await.unwrap();
    out.finish().unwrap();
    let meta = fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());

    // Through a link to it, too.
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("null");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let mut out = Destination::create(&link, false).unwrap();
    assert!(out.is_direct());
    out.write_chunk(b"gone").unwrap();
    out.finish().unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn proc_and_dev_paths_are_written_in_place() {
    // /dev/fd/N names an open descriptor; here one of a pipe we read back.
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let path = format!("/dev/fd/{}", fds[1]);
    let mut out = Destination::create(Path::new(&path), false).unwrap();
    assert!(out.is_direct());
    out.write_chunk(b"via fd").unwrap();
    out.finish().unwrap();
    // SAFETY: closing the write end we own, then reading the read end.
    unsafe { libc::close(fds[1]) };
    let mut got = Vec::new();
    // SAFETY: fds[0] is an open descriptor we own; File takes it over.
    let mut read_end = unsafe { <fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[0]) };
    read_end.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"via fd");
}

#[tokio::test]
async fn a_download_streams_from_the_server_into_the_file() {
    let server = MockServer::start().await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "content-disposition",
                    "attachment; filename=\"../../evil.bin\"",
                )
                .set_body_bytes(body.clone()),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(format!("{}/v1", server.uri()))
        .build()
        .unwrap();
    let reply = client
        .execute_bytes_stream(Request::new(Method::GET, "/files/f/content".into()))
        .await
        .unwrap();
    let header = reply
        .headers
        .get("content-disposition")
        .and_then(|value| value.to_str().ok())
        .unwrap();
    let name = sanitize_filename(&content_disposition_filename(header).unwrap(), "download");
    assert_eq!(name, "evil.bin");
    let dir = tempfile::tempdir().unwrap();
    let mut out = Destination::create(&dir.path().join(&name), false).unwrap();
    assert_eq!(out.write_stream(reply.data).await.unwrap(), 200_000);
    out.finish().unwrap();
    assert_eq!(fs::read(dir.path().join("evil.bin")).unwrap(), body);
    assert_eq!(listing(dir.path()), ["evil.bin"]);
}

#[test]
fn hostile_server_names_are_tamed() {
    let cases = [
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\win.ini", "win.ini"),
        ("\x1b]0;pwned\x07name.txt", "]0;pwnedname.txt"),
        ("bad\r\nname", "badname"),
        ("", "fallback"),
        ("../", "fallback"),
        ("..", "fallback"),
        (".", "fallback"),
        (".hidden", "hidden"),
        ("\u{202e}txt.exe", "txt.exe"),
    ];
    for (name, expected) in cases {
        assert_eq!(sanitize_filename(name, "fallback"), expected, "{name:?}");
    }
    let from_header =
        content_disposition_filename("attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd")
            .unwrap();
    assert_eq!(from_header, "../../etc/passwd", "parsed as sent");
    assert_eq!(sanitize_filename(&from_header, "fallback"), "passwd");
}

#[test]
fn streams_and_destinations_can_move_between_tasks() {
    fn send<T: Send>() {}
    send::<Destination>();
    send::<openai_runtime::sse::EventStream>();
    send::<openai_runtime::sse::JsonStream<serde_json::Value>>();
    send::<openai_runtime::paging::Pages<serde_json::Value>>();
    send::<openai_runtime::paging::Items<Box<serde_json::value::RawValue>>>();
}

#[tokio::test]
async fn each_write_stream_counts_its_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.bin");
    let mut out = Destination::create(&path, false).unwrap();
    assert_eq!(out.written(), 0);
    assert_eq!(out.write_stream(chunks(&[b"abc", b"de"])).await.unwrap(), 5);
    assert_eq!(out.write_stream(chunks(&[b"fgh"])).await.unwrap(), 3);
    out.write_chunk(b"i").unwrap();
    assert_eq!(out.written(), 9);
    assert_eq!(out.path(), path);
    out.finish().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"abcdefghi");
}

#[test]
fn a_directory_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    for force in [false, true] {
        let err = Destination::create(dir.path(), force).unwrap_err();
        assert!(err.to_string().contains("name a file"), "{err}");
    }
}

#[test]
fn a_destination_whose_directory_moved_away_fails_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    let mut out = Destination::create(&sub.join("out.bin"), false).unwrap();
    out.write_chunk(b"data").unwrap();
    fs::rename(&sub, dir.path().join("moved")).unwrap();
    // Not "exists": nothing is there to clobber; the place is gone.
    let err = out.finish().unwrap_err();
    assert_eq!(write_kind(&err), std::io::ErrorKind::NotFound);
}
