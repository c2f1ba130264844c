//! What every Kabuto YAML reader does before it parses: [`check`] the nesting depth, and read
//! user-written files through [`read_config`], which refuses files past [`MAX_CONFIG_SIZE`].
//!
//! Why a separate pass: serde_yaml 0.9 (libyaml underneath) walks its whole stack of open
//! flow collections for every token and applies its recursion limit only after the whole
//! document was scanned, so `[[[[…` costs time quadratic in the file size before it is
//! refused (80 s for 400 KB). yaml-rust2's tokenizer is linear (it caps flow nesting itself),
//! so [`check`] walks its tokens, counts open collections and stops at the first one past
//! [`MAX_DEPTH`]. Any text that passes has at most [`MAX_DEPTH`] open flow collections, which
//! bounds libyaml's per-token work.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use yaml_rust2::scanner::{ScanError, Scanner, Token, TokenType};

/// Deepest nesting of collections a YAML input may have. Real inputs stay far below
/// (Kubernetes objects about 15, CRD schemas about 40); serde_yaml refuses past 128 anyway.
pub const MAX_DEPTH: usize = 128;

/// Largest configuration file (policy, acknowledgements, ignore file, secret config) read.
/// Such files are kilobytes; this keeps a stray or hostile file from costing gigabytes.
pub const MAX_CONFIG_SIZE: u64 = 4 << 20;

/// A YAML text refused before parsing, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {problem}")]
pub struct Refused {
    pub file: String,
    /// 1-based line of the offending token.
    pub line: usize,
    /// 1-based column of the offending token.
    pub column: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// More than `limit` collections open at once.
    TooDeep { limit: usize },
    /// The tokenizer could not read on; libyaml would not be trusted past this point either.
    Syntax(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::TooDeep { limit } => write!(
                f,
                "YAML nested more than {limit} levels deep (refused before parsing)"
            ),
            Problem::Syntax(message) => write!(f, "invalid YAML: {message}"),
        }
    }
}

/// Refuses `text` when collections nest deeper than [`MAX_DEPTH`] or it cannot be tokenized.
/// Linear in the text's length; stops at the first offending token. `file` names the text
/// in the error.
pub fn check(file: &str, text: &str) -> Result<(), Refused> {
    let mut scanner = Scanner::new(text.chars());
    let mut depth = 0usize;
    loop {
        let Token(mark, token) = match scanner.next_token() {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(()),
            Err(e) => return Err(scan_error(file, &e)),
        };
        match token {
            TokenType::BlockSequenceStart
            | TokenType::BlockMappingStart
            | TokenType::FlowSequenceStart
            | TokenType::FlowMappingStart => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(refused(file, mark.line(), mark.col(), too_deep()));
                }
            }
            TokenType::BlockEnd | TokenType::FlowSequenceEnd | TokenType::FlowMappingEnd => {
                depth = depth.saturating_sub(1);
            }
            TokenType::StreamEnd => return Ok(()),
            _ => {}
        }
    }
}

fn too_deep() -> Problem {
    Problem::TooDeep { limit: MAX_DEPTH }
}

fn refused(file: &str, line: usize, col: usize, problem: Problem) -> Refused {
    Refused {
        file: file.to_owned(),
        line,
        column: col + 1,
        problem,
    }
}

/// yaml-rust2 stops by itself at 256 open flow collections, before handing out a token.
fn scan_error(file: &str, error: &ScanError) -> Refused {
    let problem = if error.info() == "recursion limit exceeded" {
        too_deep()
    } else {
        Problem::Syntax(error.info().to_owned())
    };
    refused(file, error.marker().line(), error.marker().col(), problem)
}

/// Reads a user-written configuration file as UTF-8 text, refusing one larger than
/// [`MAX_CONFIG_SIZE`] with an [`io::ErrorKind::FileTooLarge`] error that says so.
pub fn read_config(path: &Path) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} MiB, the limit for a configuration file",
                MAX_CONFIG_SIZE >> 20
            ),
        )
    };
    if file.metadata()?.len() > MAX_CONFIG_SIZE {
        return Err(too_large());
    }
    // The size can change after the check, and devices or pipes report none: bound the read.
    let mut text = String::new();
    file.take(MAX_CONFIG_SIZE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_SIZE {
        return Err(too_large());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<(usize, usize, Problem)> {
        check("f.yaml", text)
            .err()
            .map(|e| (e.line, e.column, e.problem))
    }

    #[test]
    fn ordinary_documents_pass() {
        let text = "a: 1\nb:\n  - x\n  - {k: [1, 2, {z: y}]}\n---\n- - - deep\n";
        assert_eq!(problem(text), None);
        assert_eq!(problem(""), None);
        assert_eq!(problem("{\"json\": [1, {\"too\": null}]}"), None);
    }

    #[test]
    fn depth_at_the_limit_passes_and_one_more_is_refused() {
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(problem(&at_limit), None);
        // The mapping is one level, so the 128th `[` (column 3 + 128) is one too many.
        let over = format!("k: {}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(problem(&over), Some((1, 3 + MAX_DEPTH, too_deep())));
    }

    #[test]
    fn unclosed_flow_nesting_is_refused_with_its_line() {
        let text = format!("a: 1\npolicies: {}", "[".repeat(400_000));
        let refused = check("p.yaml", &text).expect_err("too deep");
        assert_eq!((refused.line, refused.problem.clone()), (2, too_deep()));
        assert!(
            refused.to_string().starts_with("p.yaml:2:")
                && refused.to_string().contains("more than 128 levels"),
            "{refused}"
        );
    }

    #[test]
    fn block_nesting_counts_too() {
        let mut text = String::new();
        for level in 0..=MAX_DEPTH {
            text.push_str(&" ".repeat(level));
            text.push_str("k:\n");
        }
        text.push_str(&" ".repeat(MAX_DEPTH + 1));
        text.push_str("v\n");
        assert_eq!(
            problem(&text).map(|(line, _, p)| (line, p)),
            Some((MAX_DEPTH + 1, too_deep()))
        );
        let dashes = format!("{}x\n", "- ".repeat(MAX_DEPTH + 1));
        assert!(matches!(
            problem(&dashes),
            Some((1, _, Problem::TooDeep { .. }))
        ));
    }

    #[test]
    fn brackets_in_scalars_and_comments_do_not_count() {
        let brackets = "[".repeat(MAX_DEPTH * 2);
        let text = format!(
            "a: '{brackets}'\nb: \"{brackets}\"\nc: x{brackets}\n# {brackets}\nd: |\n  {brackets}\n"
        );
        assert_eq!(problem(&text), None);
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let (line, column, problem) = problem("a: 1\nb: c: d\n").expect("invalid");
        assert_eq!((line, column), (2, 5));
        assert!(matches!(problem, Problem::Syntax(_)), "{problem}");
    }

    #[test]
    fn config_files_past_the_limit_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let small = dir.path().join("small.yaml");
        std::fs::write(&small, "a: 1\n").expect("write");
        assert_eq!(read_config(&small).expect("reads"), "a: 1\n");
        let big = dir.path().join("big.yaml");
        let file = std::fs::File::create(&big).expect("create");
        file.set_len(MAX_CONFIG_SIZE + 1).expect("sparse file");
        let error = read_config(&big).expect_err("too large");
        assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
        assert!(error.to_string().contains("4 MiB"), "{error}");
    }
}
