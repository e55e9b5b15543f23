//! Server-chosen text on a terminal and in suggested commands: control
//! characters escaped, arguments quoted for the shell.

use std::fmt::Write as _;

use openai_runtime::text::is_unsafe as unsafe_on_a_terminal;

/// `text` as one shell word: unchanged when it holds only characters no
/// shell treats specially, in single quotes otherwise, and as `$'...'`
/// (bash, zsh, ksh) with escapes when it holds control characters, which
/// must not reach the terminal. Pasted into a shell, it is `text` again.
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(is_plain) {
        return text.to_owned();
    }
    if !text.chars().any(unsafe_on_a_terminal) {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            c if unsafe_on_a_terminal(c) => {
                let code = u32::from(c);
                if code < 0x100 {
                    let _ = write!(out, "\\x{code:02x}");
                } else {
                    let _ = write!(out, "\\u{code:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(quote("upload_abc123"), "upload_abc123");
        assert_eq!(quote("/tmp/a.jsonl"), "/tmp/a.jsonl");
        assert_eq!(quote(""), "''");
        assert_eq!(
            quote("upload_x; touch PWNED #"),
            "'upload_x; touch PWNED #'"
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a\x1bb'c\\\n"), r"$'a\x1bb\'c\\\x0a'");
        assert_eq!(quote("a\u{202e}"), r"$'a\u202e'");
    }

    #[cfg(unix)]
    #[test]
    fn a_quoted_word_is_the_text_again() {
        for text in [
            "upload_x; touch PWNED #",
            "it's $(rm -rf /) `x` \"y\" \\",
            "esc\x1b]0;title\x07bel\r\nline",
            "é ü \u{202e}",
        ] {
            let script = format!("printf %s {}", quote(text));
            let Ok(out) = std::process::Command::new("bash")
                .args(["-c", &script])
                .env("LC_ALL", "C.UTF-8")
                .output()
            else {
                return; // no bash here
            };
            assert_eq!(String::from_utf8_lossy(&out.stdout), text, "{script}");
        }
    }
}
