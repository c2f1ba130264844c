//! Image config checks (`KBI...`): the runtime config plus the files the layers add.

use kabuto_types::{FileEntry, FileKind, ImageMetadata, MisconfigFinding};

use crate::credentials::is_credential_name;
use crate::dockerfile::{is_root_user, login_service};
use crate::registry::{
    IMAGE_ROOT_USER, IMAGE_SECRET_ENV, IMAGE_SETUID, IMAGE_SSH_PORT, IMAGE_WORLD_WRITABLE,
};

/// Label used as the `path` of image config findings that are not about a file.
const CONFIG_PATH: &str = "image config";

/// Directories where a world-writable file lets any user change what root runs.
const SYSTEM_DIRS: &[&str] = &[
    "etc", "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "boot",
];

/// Runs the image config checks on an image's metadata and the files its layers add
/// (the setuid, setgid and world-writable entries the inventory walk records).
pub fn scan_image_config(
    image: &ImageMetadata,
    added_files: &[FileEntry],
) -> Vec<MisconfigFinding> {
    let mut findings = Vec::new();
    let user = image.user.as_deref().unwrap_or_default();
    if is_root_user(user) {
        let shown = if user.is_empty() { "unset" } else { user };
        findings.push(IMAGE_ROOT_USER.finding(
            CONFIG_PATH,
            None,
            Some("config.User".to_owned()),
            format!("the image user is {shown}, so containers run as root"),
        ));
    }
    for entry in &image.env {
        let name = entry.split_once('=').map_or(entry.as_str(), |(n, _)| n);
        if is_credential_name(name) {
            findings.push(IMAGE_SECRET_ENV.finding(
                CONFIG_PATH,
                None,
                Some(format!("config.Env {name}")),
                format!("environment variable `{name}` looks like a credential"),
            ));
        }
    }
    for port in &image.exposed_ports {
        let number = port.split('/').next().unwrap_or(port);
        if let Ok(login @ (22 | 23)) = number.parse::<u16>() {
            findings.push(IMAGE_SSH_PORT.finding(
                CONFIG_PATH,
                None,
                Some(format!("config.ExposedPorts {port}")),
                format!("port {port} ({}) is exposed", login_service(login)),
            ));
        }
    }
    for file in added_files {
        findings.extend(check_file(file));
    }
    findings
}

fn check_file(file: &FileEntry) -> Vec<MisconfigFinding> {
    let path = file.absolute_path();
    let mut findings = Vec::new();
    let mut push = |check: &crate::registry::Check, message: String| {
        let mut finding = check.finding(&path, None, Some(path.clone()), message);
        finding.layer_diff_id = file.layer.clone();
        findings.push(finding);
    };
    if file.kind == FileKind::File {
        let bits = [(0o4000, "setuid"), (0o2000, "setgid")]
            .iter()
            .filter(|(bit, _)| file.mode & bit != 0)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>();
        if !bits.is_empty() {
            push(
                &IMAGE_SETUID,
                format!(
                    "{path} is {} (mode {:04o}, owner uid {})",
                    bits.join(" and "),
                    file.permission_bits(),
                    file.uid
                ),
            );
        }
    }
    let top = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let sticky_dir = file.kind == FileKind::Dir && file.mode & 0o1000 != 0;
    if file.kind != FileKind::Symlink
        && !sticky_dir
        && file.mode & 0o002 != 0
        && SYSTEM_DIRS.contains(&top)
    {
        push(
            &IMAGE_WORLD_WRITABLE,
            format!(
                "{path} is world-writable (mode {:04o})",
                file.permission_bits()
            ),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, kind: FileKind, mode: u32) -> FileEntry {
        FileEntry {
            path: path.into(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            layer: None,
        }
    }

    fn ids(findings: &[MisconfigFinding]) -> Vec<&str> {
        findings.iter().map(|f| f.check_id.as_str()).collect()
    }

    #[test]
    fn config_checks() {
        let mut image = ImageMetadata {
            user: Some("0:0".into()),
            env: vec![
                "PATH=/usr/bin".into(),
                "AWS_SECRET_ACCESS_KEY=x".into(),
                "DB_PASSWORD_FILE=/run/secrets/db".into(),
            ],
            exposed_ports: vec!["22/tcp".into(), "8080/tcp".into(), "23/udp".into()],
            ..ImageMetadata::default()
        };
        let got = scan_image_config(&image, &[]);
        assert_eq!(ids(&got), ["KBI001", "KBI002", "KBI003", "KBI003"]);
        assert_eq!(
            got[1].resource.as_deref(),
            Some("config.Env AWS_SECRET_ACCESS_KEY")
        );
        image.user = Some("app".into());
        image.env.clear();
        image.exposed_ports.clear();
        assert!(scan_image_config(&image, &[]).is_empty());
    }

    #[test]
    fn file_checks() {
        let files = [
            file("usr/bin/passwd", FileKind::File, 0o4755),
            file("./usr/bin/wall", FileKind::File, 0o2755),
            file("/etc/app.conf", FileKind::File, 0o666),
            file("usr/lib/x.so", FileKind::Symlink, 0o777),
            file("usr/tmp", FileKind::Dir, 0o1777),
            file("tmp/x", FileKind::File, 0o666),
            file("usr/bin/ls", FileKind::File, 0o755),
            file("usr/bin/suid-dir", FileKind::Dir, 0o4755),
        ];
        let got = scan_image_config(
            &ImageMetadata {
                user: Some("1000".into()),
                ..ImageMetadata::default()
            },
            &files,
        );
        let summary: Vec<(&str, &str)> = got
            .iter()
            .map(|f| (f.check_id.as_str(), f.path.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("KBI004", "/usr/bin/passwd"),
                ("KBI004", "/usr/bin/wall"),
                ("KBI005", "/etc/app.conf")
            ]
        );
        assert_eq!(
            got[1].message,
            "/usr/bin/wall is setgid (mode 2755, owner uid 0)"
        );
    }
}
