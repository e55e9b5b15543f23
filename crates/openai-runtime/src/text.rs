//! Text a server chose, made safe to show on a terminal: the one test of
//! which characters must not reach it raw, and the one way to escape them.

/// Whether `c` must not reach a terminal as it is: a control character
/// (C0, DEL, C1), which can move the cursor, retitle the window or forge
/// lines, or a bidirectional control (the Unicode `Bidi_Control`
/// characters: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069),
/// which reorders what follows so that the text shown is not the text sent.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [`is_unsafe`] character shown as an escape: `\n`,
/// `\r`, `\t`, and `\u{1b}`, `\u{202e}` for the others. With `keep_lines`,
/// newline and tab are kept (a multi-line body); without it the result is
/// one line.
pub fn printable(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            c if is_unsafe(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_controls_are_escaped() {
        assert_eq!(printable("plain é ü 中", false), "plain é ü 中");
        assert_eq!(
            printable("u\x1b]0;t\x07\r\nx\u{202e}é\u{9b}", false),
            r"u\u{1b}]0;t\u{7}\r\nx\u{202e}é\u{9b}"
        );
        assert_eq!(printable("a\nb\tc\r", true), "a\nb\tc\\r");
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
            assert!(!printable(&c.to_string(), true).contains(c));
        }
        // Quotes and backslashes are text, not escapes.
        assert_eq!(printable(r#"'"\"#, false), r#"'"\"#);
        assert!(!is_unsafe('\u{200d}'));
    }
}
