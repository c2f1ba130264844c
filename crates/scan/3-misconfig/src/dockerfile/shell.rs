//! Just enough POSIX shell tokenising to find the commands of a RUN line: words with quoting,
//! split into pipelines at `&&`, `||`, `;`, `&`, newlines and subshell parentheses.

/// One simple command: its words, quotes removed; leading `VAR=value` assignments, `sudo`,
/// `env` and shell keywords (`then`, `do`...) are kept so checks can see them.
pub type Command = Vec<String>;

/// Commands connected by `|`.
pub type Pipeline = Vec<Command>;

pub fn pipelines(script: &str) -> Vec<Pipeline> {
    let mut pipelines: Vec<Pipeline> = Vec::new();
    let mut pipeline: Pipeline = Vec::new();
    let mut command: Command = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();

    let finish_word = |word: &mut String, in_word: &mut bool, command: &mut Command| {
        if *in_word {
            command.push(std::mem::take(word));
            *in_word = false;
        }
    };
    let finish_command = |command: &mut Command, pipeline: &mut Pipeline| {
        if !command.is_empty() {
            pipeline.push(std::mem::take(command));
        }
    };
    let finish_pipeline = |pipeline: &mut Pipeline, pipelines: &mut Vec<Pipeline>| {
        if !pipeline.is_empty() {
            pipelines.push(std::mem::take(pipeline));
        }
    };

    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = chars.next()
                    && escaped != '\n'
                {
                    word.push(escaped);
                }
            }
            '$' if chars.peek() == Some(&'(') => {
                // Command substitution stays one word; its text is checked separately.
                in_word = true;
                word.push('$');
                let mut depth = 0usize;
                for q in chars.by_ref() {
                    word.push(q);
                    match q {
                        '(' => depth += 1,
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '#' if !in_word => {
                for q in chars.by_ref() {
                    if q == '\n' {
                        break;
                    }
                }
                finish_command(&mut command, &mut pipeline);
                finish_pipeline(&mut pipeline, &mut pipelines);
            }
            '|' => {
                finish_word(&mut word, &mut in_word, &mut command);
                finish_command(&mut command, &mut pipeline);
                if chars.peek() == Some(&'|') {
                    chars.next();
                    finish_pipeline(&mut pipeline, &mut pipelines);
                }
            }
            '&' | ';' | '\n' | '(' | ')' => {
                if c == '&' && chars.peek() == Some(&'>') {
                    // `&>file` redirection, not a separator.
                    in_word = true;
                    word.push(c);
                    continue;
                }
                finish_word(&mut word, &mut in_word, &mut command);
                finish_command(&mut command, &mut pipeline);
                finish_pipeline(&mut pipeline, &mut pipelines);
            }
            c if c.is_whitespace() => finish_word(&mut word, &mut in_word, &mut command),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish_word(&mut word, &mut in_word, &mut command);
    finish_command(&mut command, &mut pipeline);
    finish_pipeline(&mut pipeline, &mut pipelines);
    pipelines
}

/// Shell keywords and wrappers that precede the real command name.
const PREFIXES: &[&str] = &[
    "sudo", "env", "then", "do", "else", "if", "while", "until", "!", "exec", "time", "nohup",
    "command", "{",
];

/// The command's name and arguments with assignments, wrappers and their options removed:
/// `sudo -E DEBIAN_FRONTEND=x apt-get install` gives `["apt-get", "install"]`.
pub fn effective(command: &[String]) -> &[String] {
    let mut rest = command;
    loop {
        match rest.first() {
            Some(w) if PREFIXES.contains(&w.as_str()) => {
                rest = &rest[1..];
                while rest.first().is_some_and(|w| w.starts_with('-')) {
                    rest = &rest[1..];
                }
            }
            Some(w) if is_assignment(w) => rest = &rest[1..],
            _ => return rest,
        }
    }
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The command name without its directory (`/usr/bin/curl` gives `curl`).
pub fn name(command: &[String]) -> &str {
    effective(command)
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<Vec<String>> {
        pipelines(script)
            .iter()
            .map(|p| p.iter().map(|c| name(c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn splits_lists_and_pipes() {
        assert_eq!(
            names("apt-get update && curl -fsSL https://x | sudo bash -; echo 'a && b' || true"),
            vec![
                vec!["apt-get"],
                vec!["curl", "bash"],
                vec!["echo"],
                vec!["true"]
            ]
        );
    }

    #[test]
    fn quotes_substitutions_and_wrappers() {
        let p = pipelines(
            "sudo -E DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install \"a b\" $(echo x | y)",
        );
        assert_eq!(p.len(), 1);
        let cmd = &p[0][0];
        assert_eq!(
            effective(cmd),
            ["/usr/bin/apt-get", "install", "a b", "$(echo x | y)"]
        );
        assert_eq!(name(cmd), "apt-get");
        assert_eq!(
            names("if true; then wget -qO- u | sh; fi"),
            vec![vec!["true"], vec!["wget", "sh"], vec!["fi"]]
        );
    }

    #[test]
    fn comments_and_redirections() {
        assert_eq!(
            names("echo a # | sh\nls &>/dev/null"),
            vec![vec!["echo"], vec!["ls"]]
        );
    }
}
