//! Text from inputs (file names, package fields, advisory text) on its way to a terminal.
//!
//! Image archives, package databases and advisories are untrusted: a name holding `ESC [`
//! could recolour, clear or retitle the user's terminal, or forge lines of output, and a
//! bidirectional override could make `evil` display as `live`. Every sink that prints such
//! text runs it through [`terminal_safe`] (or [`push_visible`] when it builds its own
//! escaping, as the HTML and JUnit reports do).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: control characters (C0 including ESC,
/// DEL, C1 U+0080–U+009F) and the bidirectional marks, embeddings, overrides and isolates
/// that reorder how the text around them is displayed.
pub fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Appends `c` to `out`, as a visible Rust-style escape (`\u{1b}`, `\n`, `\u{202e}`) when it
/// is unsafe for a terminal.
pub fn push_visible(out: &mut String, c: char) {
    if is_unsafe_for_terminal(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// `text` with every character unsafe for a terminal spelled as a visible escape, so it
/// prints on one line as inert text. Borrows (no allocation) when there is nothing to escape.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(is_unsafe_for_terminal) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_become_visible_escapes() {
        assert_eq!(
            terminal_safe("evil\u{1b}[31mred\nx\ty\r\u{7f}\u{9b}"),
            "evil\\u{1b}[31mred\\nx\\ty\\r\\u{7f}\\u{9b}"
        );
        assert_eq!(
            terminal_safe("a\u{202e}txt.exe\u{2066}b\u{200f}"),
            "a\\u{202e}txt.exe\\u{2066}b\\u{200f}"
        );
    }

    #[test]
    fn printable_text_is_borrowed_unchanged() {
        for text in [
            "",
            "plain",
            "ünïcode ✓ 日本語 emoji 🦀",
            "quotes \" ' and \\ stay",
        ] {
            assert!(matches!(terminal_safe(text), Cow::Borrowed(t) if t == text));
        }
    }

    proptest::proptest! {
        #[test]
        fn output_holds_no_unsafe_character(text in "\\PC*|[\\x00-\\x20\\u{80}-\\u{a0}\\u{2000}-\\u{2070}a-z]*") {
            let safe = terminal_safe(&text);
            proptest::prop_assert!(!safe.chars().any(is_unsafe_for_terminal), "{safe:?}");
            if !text.chars().any(is_unsafe_for_terminal) {
                proptest::prop_assert_eq!(safe.as_ref(), text.as_str());
            }
        }
    }
}
