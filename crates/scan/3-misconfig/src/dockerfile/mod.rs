//! Dockerfile checks (`KBD...`).

mod parse;
mod shell;

use std::collections::HashMap;

use kabuto_types::MisconfigFinding;

pub use parse::{Args, Heredoc, Instruction, ParseError, parse};

use crate::credentials::{credential_value_kind, is_credential_name};
use crate::registry::{
    Check, DOCKERFILE_ADD_REMOTE, DOCKERFILE_CREDENTIALS, DOCKERFILE_INSTALL_RECOMMENDS,
    DOCKERFILE_LATEST_BASE, DOCKERFILE_NO_HEALTHCHECK, DOCKERFILE_PACKAGE_UPGRADE,
    DOCKERFILE_PIPE_TO_SHELL, DOCKERFILE_ROOT_USER, DOCKERFILE_SSH_PORT, DOCKERFILE_SUDO,
};

/// Per-stage state the final-stage checks need.
#[derive(Default, Clone)]
struct Stage {
    name: Option<String>,
    /// Last USER of the stage (or inherited from the stage it builds on) and where it was set.
    user: Option<(String, usize)>,
    has_healthcheck: bool,
    from_line: usize,
}

struct Checker<'a> {
    path: &'a str,
    findings: Vec<MisconfigFinding>,
}

impl Checker<'_> {
    fn report(&mut self, check: &Check, at: &Instruction, resource: String, message: String) {
        self.findings
            .push(check.finding(self.path, Some(at.lines), Some(resource), message));
    }
}

pub(crate) fn check(path: &str, instructions: &[Instruction]) -> Vec<MisconfigFinding> {
    let mut checker = Checker {
        path,
        findings: Vec::new(),
    };
    let mut global_args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions {
        let words = instruction.words();
        match instruction.keyword.as_str() {
            "FROM" => {
                let stage = check_from(&mut checker, instruction, &words, &global_args, &stages);
                stages.push(stage);
            }
            "ARG" => {
                check_arg(&mut checker, instruction, &words);
                if stages.is_empty() {
                    for word in &words {
                        let (name, value) = word.split_once('=').unwrap_or((word, ""));
                        global_args.insert(name.to_owned(), unquote(value).to_owned());
                    }
                }
            }
            "ENV" => check_env(&mut checker, instruction),
            "USER" => {
                if let (Some(stage), Some(user)) = (stages.last_mut(), words.first()) {
                    stage.user = Some(((*user).to_owned(), instruction.lines.start));
                }
            }
            "HEALTHCHECK" => {
                if let Some(stage) = stages.last_mut() {
                    stage.has_healthcheck = !words
                        .first()
                        .is_some_and(|w| w.eq_ignore_ascii_case("NONE"));
                }
            }
            "RUN" => check_run(&mut checker, instruction),
            "ADD" => check_add(&mut checker, instruction, &words),
            "EXPOSE" => check_expose(&mut checker, instruction, &words),
            _ => {}
        }
    }
    if let Some(last) = stages.last() {
        check_final_stage(&mut checker, instructions, last);
    }
    checker.findings
}

fn check_from(
    checker: &mut Checker<'_>,
    instruction: &Instruction,
    words: &[&str],
    global_args: &HashMap<String, String>,
    stages: &[Stage],
) -> Stage {
    let image = words.first().copied().unwrap_or_default();
    let name = match words {
        [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("AS") => Some(name.to_owned()),
        _ => None,
    };
    let mut stage = Stage {
        name: name.map(str::to_ascii_lowercase),
        from_line: instruction.lines.start,
        ..Stage::default()
    };
    // Only resolvable references can be judged: `FROM ${BASE}` without a default is unknown.
    let Some(resolved) = substitute(image, global_args) else {
        return stage;
    };
    let lowered = resolved.to_ascii_lowercase();
    if let Some(parent) = stages.iter().find(|s| s.name.as_deref() == Some(&lowered)) {
        stage.user = parent.user.clone();
        stage.has_healthcheck = parent.has_healthcheck;
        return stage;
    }
    if lowered == "scratch" {
        return stage;
    }
    match image_tag(&resolved) {
        ImageTag::Digest | ImageTag::Tagged => {}
        ImageTag::Latest => checker.report(
            &DOCKERFILE_LATEST_BASE,
            instruction,
            format!("FROM {resolved}"),
            format!("base image `{resolved}` uses the `latest` tag"),
        ),
        ImageTag::Missing => checker.report(
            &DOCKERFILE_LATEST_BASE,
            instruction,
            format!("FROM {resolved}"),
            format!("base image `{resolved}` has no tag, so `latest` is used"),
        ),
    }
    stage
}

pub(crate) enum ImageTag {
    Digest,
    Tagged,
    Latest,
    Missing,
}

/// The tag of an image reference (`registry:5000/team/app:1.2@sha256:...`).
pub(crate) fn image_tag(reference: &str) -> ImageTag {
    if reference.contains('@') {
        return ImageTag::Digest;
    }
    let last_component = reference.rsplit('/').next().unwrap_or(reference);
    match last_component.split_once(':') {
        Some((_, tag)) if tag.eq_ignore_ascii_case("latest") => ImageTag::Latest,
        Some((_, tag)) if !tag.is_empty() => ImageTag::Tagged,
        _ => ImageTag::Missing,
    }
}

/// Expands `$NAME`, `${NAME}` and `${NAME:-default}` from `ARG`s declared before the first
/// FROM; `None` when a variable has no value.
fn substitute(text: &str, args: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (expression, tail) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}')?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let (name, default) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        let value = args
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .or(default)?;
        out.push_str(value);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value)
}

fn check_arg(checker: &mut Checker<'_>, instruction: &Instruction, words: &[&str]) {
    for word in words {
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value))),
            None => (*word, None),
        };
        check_variable(checker, instruction, "ARG", name, value);
    }
}

fn check_env(checker: &mut Checker<'_>, instruction: &Instruction) {
    let Args::Shell(text) = &instruction.args else {
        return;
    };
    let first = text.split_whitespace().next().unwrap_or_default();
    let pairs: Vec<(String, String)> = if first.contains('=') {
        shell::pipelines(text)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|w| w.split_once('=').map(|(n, v)| (n.to_owned(), v.to_owned())))
            .collect()
    } else {
        // Legacy `ENV NAME value with spaces`.
        let value = text[first.len()..].trim();
        vec![(first.to_owned(), unquote(value).to_owned())]
    };
    for (name, value) in pairs {
        check_variable(checker, instruction, "ENV", &name, Some(&value));
    }
}

fn check_variable(
    checker: &mut Checker<'_>,
    instruction: &Instruction,
    keyword: &str,
    name: &str,
    value: Option<&str>,
) {
    let resource = format!("{keyword} {name}");
    if is_credential_name(name) {
        let how = if keyword == "ARG" {
            "build argument values are recorded in the image history"
        } else {
            "environment values are stored in the image config"
        };
        checker.report(
            &DOCKERFILE_CREDENTIALS,
            instruction,
            resource,
            format!("{keyword} `{name}` looks like a credential; {how}"),
        );
    } else if let Some(kind) = value.and_then(credential_value_kind) {
        checker.report(
            &DOCKERFILE_CREDENTIALS,
            instruction,
            resource,
            format!("{keyword} `{name}` holds {kind}"),
        );
    }
}

/// The shell scripts a RUN executes: its shell-form text, `sh -c` exec form and heredoc bodies.
fn run_scripts(instruction: &Instruction) -> Vec<String> {
    let mut scripts: Vec<String> = match &instruction.args {
        Args::Shell(text) => vec![text.clone()],
        Args::Exec(words) => match words.as_slice() {
            [shell, flag, script, ..] if is_shell(shell) && flag == "-c" => vec![script.clone()],
            _ => vec![words.join(" ")],
        },
    };
    scripts.extend(instruction.heredocs.iter().map(|h| h.body.clone()));
    scripts
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh")
}

fn is_downloader(command: &[String]) -> bool {
    matches!(shell::name(command), "curl" | "wget" | "fetch")
}

fn check_run(checker: &mut Checker<'_>, instruction: &Instruction) {
    let mut reported: Vec<&'static str> = Vec::new();
    let mut report_once = |checker: &mut Checker<'_>, check: &'static Check, message: String| {
        if !reported.contains(&check.id) {
            reported.push(check.id);
            checker.report(check, instruction, "RUN".to_owned(), message);
        }
    };
    for script in run_scripts(instruction) {
        for pipeline in shell::pipelines(&script) {
            if let Some(message) = pipe_to_shell(&pipeline) {
                report_once(checker, &DOCKERFILE_PIPE_TO_SHELL, message);
            }
            for command in &pipeline {
                if command.iter().any(|w| w == "sudo") {
                    report_once(checker, &DOCKERFILE_SUDO, "RUN calls `sudo`".to_owned());
                }
                let effective = shell::effective(command);
                let name = shell::name(command);
                let args: Vec<&str> = effective.iter().skip(1).map(String::as_str).collect();
                if let Some(upgrade) = package_upgrade(name, &args) {
                    report_once(
                        checker,
                        &DOCKERFILE_PACKAGE_UPGRADE,
                        format!("RUN upgrades all packages with `{upgrade}`"),
                    );
                }
                if matches!(name, "apt-get" | "apt")
                    && subcommand(&args) == Some("install")
                    && !args.iter().any(|a| {
                        *a == "--no-install-recommends" || a.contains("Install-Recommends=")
                    })
                {
                    report_once(
                        checker,
                        &DOCKERFILE_INSTALL_RECOMMENDS,
                        format!("`{name} install` without `--no-install-recommends`"),
                    );
                }
            }
        }
    }
}

/// `curl ... | sh` in one pipeline, or a shell fed a download by `sh -c "$(curl ...)"`.
fn pipe_to_shell(pipeline: &[Vec<String>]) -> Option<String> {
    let downloader = pipeline.iter().position(|c| is_downloader(c));
    if let Some(at) = downloader
        && let Some(shell) = pipeline[at + 1..]
            .iter()
            .map(|c| shell::name(c))
            .find(|name| is_shell(name))
    {
        let from = shell::name(&pipeline[at]);
        return Some(format!("output of `{from}` is piped into `{shell}`"));
    }
    pipeline.iter().find_map(|command| {
        let name = shell::name(command);
        let substituted = shell::effective(command)
            .iter()
            .skip(1)
            .any(|w| w.starts_with("$(") && (w.contains("curl") || w.contains("wget")));
        (is_shell(name) && substituted)
            .then(|| format!("`{name}` runs a script downloaded in `$(...)`"))
    })
}

/// The first non-option argument.
fn subcommand<'a>(args: &[&'a str]) -> Option<&'a str> {
    args.iter().copied().find(|a| !a.starts_with('-'))
}

/// `apt-get upgrade`, `apk upgrade`, `yum update` with no package names...
fn package_upgrade(name: &str, args: &[&str]) -> Option<String> {
    let sub = subcommand(args)?;
    let whole_system = match name {
        "apt-get" | "apt" | "aptitude" => {
            matches!(
                sub,
                "upgrade" | "dist-upgrade" | "full-upgrade" | "safe-upgrade"
            )
        }
        "apk" => sub == "upgrade",
        "yum" | "dnf" | "microdnf" | "zypper" => {
            let packages = args.iter().filter(|a| !a.starts_with('-')).count();
            matches!(
                sub,
                "upgrade" | "update" | "distro-sync" | "dist-upgrade" | "dup"
            ) && packages == 1
        }
        _ => false,
    };
    whole_system.then(|| format!("{name} {sub}"))
}

fn check_add(checker: &mut Checker<'_>, instruction: &Instruction, words: &[&str]) {
    if instruction.flag("checksum").is_some() {
        return;
    }
    let sources = words.split_last().map(|(_, s)| s).unwrap_or_default();
    for source in sources {
        let lowered = source.to_ascii_lowercase();
        if lowered.starts_with("http://")
            || lowered.starts_with("https://")
            || lowered.starts_with("git@")
        {
            checker.report(
                &DOCKERFILE_ADD_REMOTE,
                instruction,
                format!("ADD {source}"),
                format!("ADD downloads `{source}` without a checksum"),
            );
        }
    }
}

fn check_expose(checker: &mut Checker<'_>, instruction: &Instruction, words: &[&str]) {
    for word in words {
        let port = word.split('/').next().unwrap_or(word);
        let (low, high) = port.split_once('-').unwrap_or((port, port));
        let (Ok(low), Ok(high)) = (low.parse::<u16>(), high.parse::<u16>()) else {
            continue;
        };
        for login in [22u16, 23] {
            if (low..=high).contains(&login) {
                checker.report(
                    &DOCKERFILE_SSH_PORT,
                    instruction,
                    format!("EXPOSE {word}"),
                    format!("port {login} ({}) is exposed", login_service(login)),
                );
            }
        }
    }
}

pub(crate) fn login_service(port: u16) -> &'static str {
    if port == 22 { "SSH" } else { "telnet" }
}

pub(crate) fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name.is_empty() || name == "root" || name == "0"
}

fn check_final_stage(checker: &mut Checker<'_>, instructions: &[Instruction], last: &Stage) {
    let Some(from) = instructions
        .iter()
        .find(|i| i.keyword == "FROM" && i.lines.start == last.from_line)
    else {
        return;
    };
    match &last.user {
        Some((user, line)) if is_root_user(user) => {
            if let Some(at) = instructions.iter().find(|i| i.lines.start == *line) {
                checker.report(
                    &DOCKERFILE_ROOT_USER,
                    at,
                    format!("USER {user}"),
                    format!("the last USER of the final stage is `{user}`"),
                );
            }
        }
        Some(_) => {}
        None => checker.report(
            &DOCKERFILE_ROOT_USER,
            from,
            "final stage".to_owned(),
            "the final stage sets no USER, so it runs as root".to_owned(),
        ),
    }
    if !last.has_healthcheck {
        checker.report(
            &DOCKERFILE_NO_HEALTHCHECK,
            from,
            "final stage".to_owned(),
            "the final stage has no HEALTHCHECK".to_owned(),
        );
    }
}
