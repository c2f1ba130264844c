//! OpenVEX documents (<https://github.com/openvex/spec>, v0.0.1 and v0.2.0 shapes).
//!
//! A statement covers a finding when its vulnerability (name or an alias) names the finding
//! and one of its products, or one of their subcomponents, is a purl matching the package.
//! `not_affected` and `fixed` suppress; `affected` and `under_investigation` keep the finding.

use serde::Deserialize;

use super::{
    FieldError, PurlPattern, SuppressError, SuppressionKind, VexDocument, VexStatement,
    deserialize, vuln_id,
};

const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// Parses and validates an OpenVEX JSON document.
pub fn parse(bytes: &[u8], file: &str) -> Result<VexDocument, SuppressError> {
    let raw: RawDocument = deserialize(
        &mut serde_json::Deserializer::from_slice(bytes),
        file,
        "OpenVEX JSON",
    )?;
    let statements = Vec::<VexStatement>::try_from(raw).map_err(|e| e.in_file(file))?;
    Ok(VexDocument {
        file: file.to_owned(),
        kind: SuppressionKind::OpenVex,
        statements,
    })
}

#[derive(Deserialize)]
struct RawDocument {
    statements: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    vulnerability: Option<RawVulnerability>,
    #[serde(default)]
    products: Vec<RawProduct>,
    status: Option<String>,
    justification: Option<String>,
    impact_statement: Option<String>,
    status_notes: Option<String>,
}

/// v0.0.1 wrote the vulnerability as a string, v0.2.0 as an object.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawVulnerability {
    Name(String),
    Object {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

/// v0.0.1 listed products as purl strings; v0.2.0 as objects with `@id`, `identifiers` and
/// `subcomponents`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawProduct {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        identifiers: Option<RawIdentifiers>,
        #[serde(default)]
        subcomponents: Vec<RawProduct>,
    },
}

#[derive(Deserialize)]
struct RawIdentifiers {
    purl: Option<String>,
}

/// The purls of a product and its subcomponents; other identifiers (IRIs, image digests)
/// cannot name a package and are passed over.
fn product_purls(
    product: &RawProduct,
    field: &str,
    out: &mut Vec<PurlPattern>,
) -> Result<(), FieldError> {
    let mut add = |text: &str, field: String| -> Result<(), FieldError> {
        if text.trim_start().starts_with("pkg:") {
            out.push(PurlPattern::parse(text, &field)?);
        }
        Ok(())
    };
    match product {
        RawProduct::Id(id) => add(id, field.to_owned()),
        RawProduct::Object {
            id,
            identifiers,
            subcomponents,
        } => {
            if let Some(id) = id {
                add(id, format!("{field}.@id"))?;
            }
            if let Some(purl) = identifiers.as_ref().and_then(|i| i.purl.as_deref()) {
                add(purl, format!("{field}.identifiers.purl"))?;
            }
            for (k, sub) in subcomponents.iter().enumerate() {
                product_purls(sub, &format!("{field}.subcomponents[{k}]"), out)?;
            }
            Ok(())
        }
    }
}

impl TryFrom<RawDocument> for Vec<VexStatement> {
    type Error = FieldError;
    fn try_from(raw: RawDocument) -> Result<Self, FieldError> {
        raw.statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| statement(i, s))
            .collect()
    }
}

fn statement(i: usize, s: RawStatement) -> Result<VexStatement, FieldError> {
    let at = |f: &str| format!("statements[{i}].{f}");
    let mut ids = Vec::new();
    match s.vulnerability {
        None => return Err(FieldError::new(at("vulnerability"), "missing")),
        Some(RawVulnerability::Name(name)) => ids.push(vuln_id(&name, &at("vulnerability"))?),
        Some(RawVulnerability::Object { name, id, aliases }) => {
            let name = name
                .or(id)
                .ok_or_else(|| FieldError::new(at("vulnerability.name"), "missing"))?;
            ids.push(vuln_id(&name, &at("vulnerability.name"))?);
            for (k, alias) in aliases.iter().enumerate() {
                ids.push(vuln_id(alias, &at(&format!("vulnerability.aliases[{k}]")))?);
            }
        }
    }
    let mut products = Vec::new();
    for (j, p) in s.products.iter().enumerate() {
        product_purls(p, &at(&format!("products[{j}]")), &mut products)?;
    }
    if products.is_empty() {
        return Err(FieldError::new(
            at("products"),
            "no product or subcomponent is a purl, so no package can match",
        ));
    }
    let status = s
        .status
        .ok_or_else(|| FieldError::new(at("status"), "missing"))?;
    let suppresses = match status.as_str() {
        "not_affected" | "fixed" => true,
        "affected" | "under_investigation" => false,
        other => {
            return Err(FieldError::new(
                at("status"),
                format!(
                    "`{other}` is not one of not_affected, affected, fixed, under_investigation"
                ),
            ));
        }
    };
    if let Some(j) = s.justification.as_deref()
        && !JUSTIFICATIONS.contains(&j)
    {
        return Err(FieldError::new(
            at("justification"),
            format!("`{j}` is not an OpenVEX justification"),
        ));
    }
    if status == "not_affected" && s.justification.is_none() && s.impact_statement.is_none() {
        return Err(FieldError::new(
            at("justification"),
            "`not_affected` needs a justification or an impact_statement",
        ));
    }
    Ok(VexStatement {
        ids,
        products,
        suppresses,
        status,
        justification: s.justification,
        statement: s.impact_statement.or(s.status_notes),
    })
}
