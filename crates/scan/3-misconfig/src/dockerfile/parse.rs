//! A Dockerfile parser following BuildKit's rules: parser directives (`# escape=`), line
//! continuations with the escape character, comments and blank lines inside continuations,
//! heredocs (`RUN <<EOF`), JSON (exec) versus shell form, and `--flag` arguments.

use kabuto_types::LineRange;

/// One instruction with its arguments, as written after joining continuation lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Uppercased keyword: `FROM`, `RUN`, ...
    pub keyword: String,
    /// Leading `--name=value` / `--name` flags, without the dashes (`platform=linux/amd64`).
    pub flags: Vec<String>,
    pub args: Args,
    /// Heredoc bodies, in the order their `<<NAME` markers appear.
    pub heredocs: Vec<Heredoc>,
    pub lines: LineRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// `["executable", "arg"]`.
    Exec(Vec<String>),
    /// Everything after the keyword and flags, continuation lines joined with a space.
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub body: String,
}

impl Instruction {
    /// The arguments as a word list: exec form as written, shell form split on whitespace.
    pub fn words(&self) -> Vec<&str> {
        match &self.args {
            Args::Exec(words) => words.iter().map(String::as_str).collect(),
            Args::Shell(text) => text.split_whitespace().collect(),
        }
    }

    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| match f.split_once('=') {
            Some((n, v)) if n.eq_ignore_ascii_case(name) => Some(v),
            None if f.eq_ignore_ascii_case(name) => Some(""),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: heredoc `<<{name}` is never terminated")]
    UnterminatedHeredoc { line: usize, name: String },
    #[error("line {line}: unsupported escape directive `{value}` (only `\\` and `` ` ``)")]
    BadEscape { line: usize, value: String },
}

/// Instructions whose arguments may hold heredocs.
const HEREDOC_KEYWORDS: &[&str] = &["RUN", "COPY", "ADD"];

pub fn parse(text: &str) -> Result<Vec<Instruction>, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let (escape, mut index) = read_directives(&lines)?;
    let mut instructions = Vec::new();
    while index < lines.len() {
        let line = lines[index].trim_start();
        if line.is_empty() || line.starts_with('#') {
            index += 1;
            continue;
        }
        let start = index;
        let mut logical = String::new();
        loop {
            let raw = lines[index];
            index += 1;
            let content = raw.trim_end();
            match content.strip_suffix(escape) {
                Some(joined) => {
                    logical.push_str(joined);
                    // Comments and blank lines inside a continuation are dropped, as BuildKit does.
                    while index < lines.len() {
                        let next = lines[index].trim_start();
                        if next.is_empty() || next.starts_with('#') {
                            index += 1;
                        } else {
                            break;
                        }
                    }
                    if index >= lines.len() {
                        break;
                    }
                }
                None => {
                    logical.push_str(content);
                    break;
                }
            }
        }
        let end = index;
        let (keyword, rest) = split_keyword(logical.trim());
        let mut instruction = Instruction {
            keyword: keyword.to_ascii_uppercase(),
            flags: Vec::new(),
            args: Args::Shell(String::new()),
            heredocs: Vec::new(),
            lines: LineRange {
                start: start + 1,
                end,
            },
        };
        let rest = take_flags(rest, &mut instruction.flags);
        if HEREDOC_KEYWORDS.contains(&instruction.keyword.as_str()) {
            for (name, strip_tabs) in heredoc_markers(rest) {
                let body_start = index;
                let mut body = String::new();
                loop {
                    let Some(raw) = lines.get(index) else {
                        return Err(ParseError::UnterminatedHeredoc {
                            line: body_start,
                            name,
                        });
                    };
                    index += 1;
                    let candidate = if strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if candidate == name {
                        break;
                    }
                    body.push_str(candidate);
                    body.push('\n');
                }
                instruction.heredocs.push(Heredoc { name, body });
            }
            instruction.lines.end = index;
        }
        instruction.args = parse_args(rest);
        instructions.push(instruction);
    }
    Ok(instructions)
}

/// Reads `# directive=value` lines at the top; returns the escape character and the index of
/// the first line after the directives.
fn read_directives(lines: &[&str]) -> Result<(char, usize), ParseError> {
    let mut escape = '\\';
    let mut index = 0;
    while let Some(line) = lines.get(index) {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = comment.split_once('=') else {
            break;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            break;
        }
        if name.eq_ignore_ascii_case("escape") {
            escape = match value.trim() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(ParseError::BadEscape {
                        line: index + 1,
                        value: other.to_owned(),
                    });
                }
            };
        }
        index += 1;
    }
    Ok((escape, index))
}

fn split_keyword(line: &str) -> (&str, &str) {
    match line.split_once(char::is_whitespace) {
        Some((keyword, rest)) => (keyword, rest.trim_start()),
        None => (line, ""),
    }
}

fn take_flags<'a>(mut rest: &'a str, flags: &mut Vec<String>) -> &'a str {
    while let Some(flag) = rest.strip_prefix("--") {
        let (word, after) = match flag.split_once(char::is_whitespace) {
            Some((word, after)) => (word, after.trim_start()),
            None => (flag, ""),
        };
        flags.push(word.to_owned());
        rest = after;
    }
    rest
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers in the order written; `(name, strip_tabs)`.
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    let mut markers = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let mut after = &rest[at + 2..];
        let strip_tabs = after.starts_with('-');
        if strip_tabs {
            after = &after[1..];
        }
        let unquoted = after.trim_start_matches(['"', '\'']);
        let name: String = unquoted
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `<<<` is a here-string and `<< EOF` with a space is not a BuildKit heredoc.
        if !name.is_empty() && !after.starts_with('<') {
            markers.push((name, strip_tabs));
        }
        rest = after;
    }
    markers
}

/// Exec form when the arguments are a JSON array of strings; otherwise shell form.
fn parse_args(rest: &str) -> Args {
    let trimmed = rest.trim();
    if trimmed.starts_with('[')
        && let Ok(words) = serde_json::from_str::<Vec<String>>(trimmed)
    {
        return Args::Exec(words);
    }
    Args::Shell(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(i: &Instruction) -> (usize, usize) {
        (i.lines.start, i.lines.end)
    }

    #[test]
    fn continuations_comments_and_forms() {
        let text = "# syntax=docker/dockerfile:1\n\
                    FROM --platform=linux/amd64 debian:12 AS build\n\
                    RUN apt-get update \\\n\
                    # a comment inside\n\
                    \n\
                      && apt-get install -y curl\n\
                    CMD [\"/bin/app\", \"--flag\"]\n\
                    ENTRYPOINT [not json\n";
        let got = parse(text).expect("parses");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].keyword, "FROM");
        assert_eq!(got[0].flag("platform"), Some("linux/amd64"));
        assert_eq!(got[0].words(), ["debian:12", "AS", "build"]);
        assert_eq!(lines(&got[1]), (3, 6));
        assert_eq!(
            got[1].args,
            Args::Shell("apt-get update && apt-get install -y curl".into())
        );
        assert_eq!(
            got[2].args,
            Args::Exec(vec!["/bin/app".into(), "--flag".into()])
        );
        assert_eq!(got[3].args, Args::Shell("[not json".into()));
    }

    #[test]
    fn escape_directive_switches_continuation_character() {
        let text =
            "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir C:\\ `\n  && echo hi\n";
        let got = parse(text).expect("parses");
        assert_eq!(got[1].args, Args::Shell("dir C:\\   && echo hi".into()));
        assert_eq!(lines(&got[1]), (3, 4));
    }

    #[test]
    fn directives_stop_at_first_non_directive() {
        let text = "FROM a\n# escape=`\nRUN x \\\n y\n";
        let got = parse(text).expect("parses");
        assert_eq!(got[1].args, Args::Shell("x  y".into()));
    }

    #[test]
    fn heredocs() {
        let text = "FROM a\nRUN <<EOF bash\nset -e\ncurl x | sh\nEOF\nCOPY <<-\"A\" <<B /dst/\n\tone\n\tA\ntwo\nB\nUSER app\n";
        let got = parse(text).expect("parses");
        assert_eq!(got[1].heredocs[0].body, "set -e\ncurl x | sh\n");
        assert_eq!(lines(&got[1]), (2, 5));
        assert_eq!(got[2].heredocs.len(), 2);
        assert_eq!(got[2].heredocs[0].body, "one\n");
        assert_eq!(got[2].heredocs[1].body, "two\n");
        assert_eq!(got[3].keyword, "USER");
        assert_eq!(got[3].lines.start, 11);
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let err = parse("FROM a\nRUN <<EOF\necho\n").expect_err("must fail");
        assert!(err.to_string().contains("<<EOF"), "{err}");
    }

    #[test]
    fn trailing_continuation_at_end_of_file() {
        let got = parse("FROM a\nRUN echo \\\n").expect("parses");
        assert_eq!(got[1].args, Args::Shell("echo".into()));
    }
}
