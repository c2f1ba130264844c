//! Built-in policy templates, printed by `kabuto policy init --template NAME`. Each is a
//! commented YAML policy file whose comments say which requirement every control serves.

/// Template names, in the order `policy init --help` lists them.
pub const NAMES: [&str; 3] = ["default", "nist-800-190", "pci-dss"];

/// The YAML text of a template, or `None` for an unknown name.
pub fn get(name: &str) -> Option<&'static str> {
    Some(match name {
        "default" => include_str!("../templates/default.yaml"),
        "nist-800-190" => include_str!("../templates/nist-800-190.yaml"),
        "pci-dss" => include_str!("../templates/pci-dss.yaml"),
        _ => return None,
    })
}
