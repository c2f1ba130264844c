//! CycloneDX VEX (a BOM whose `vulnerabilities[]` carry an `analysis`).
//!
//! `analysis.state` `not_affected`, `false_positive`, `resolved` and `resolved_with_pedigree`
//! suppress; `exploitable` and `in_triage` keep the finding; a vulnerability without an
//! analysis says nothing. `affects[].ref` is a component's `bom-ref` (also inside a BOM-Link,
//! `urn:cdx:<serial>/<version>#<bom-ref>`), or a purl.

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    FieldError, PurlPattern, SuppressError, SuppressionKind, VexDocument, VexStatement,
    deserialize, vuln_id,
};

/// Parses and validates a CycloneDX VEX JSON document.
pub fn parse(bytes: &[u8], file: &str) -> Result<VexDocument, SuppressError> {
    let raw: RawBom = deserialize(
        &mut serde_json::Deserializer::from_slice(bytes),
        file,
        "CycloneDX JSON",
    )?;
    let statements = Vec::<VexStatement>::try_from(raw).map_err(|e| e.in_file(file))?;
    Ok(VexDocument {
        file: file.to_owned(),
        kind: SuppressionKind::CycloneDxVex,
        statements,
    })
}

#[derive(Deserialize)]
struct RawBom {
    #[serde(rename = "bomFormat")]
    bom_format: String,
    #[serde(default)]
    metadata: Option<RawMetadata>,
    #[serde(default)]
    components: Vec<RawComponent>,
    #[serde(default)]
    vulnerabilities: Vec<RawVulnerability>,
}

#[derive(Deserialize)]
struct RawMetadata {
    component: Option<RawComponent>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    components: Vec<RawComponent>,
}

#[derive(Deserialize)]
struct RawVulnerability {
    id: Option<String>,
    #[serde(default)]
    references: Vec<RawReference>,
    analysis: Option<RawAnalysis>,
    #[serde(default)]
    affects: Vec<RawAffects>,
}

#[derive(Deserialize)]
struct RawReference {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawAnalysis {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct RawAffects {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// bom-ref -> purl, over nested components.
fn index<'a>(components: &'a [RawComponent], out: &mut HashMap<&'a str, &'a str>) {
    for c in components {
        if let (Some(r), Some(p)) = (&c.bom_ref, &c.purl) {
            out.insert(r, p);
        }
        index(&c.components, out);
    }
}

impl TryFrom<RawBom> for Vec<VexStatement> {
    type Error = FieldError;
    fn try_from(raw: RawBom) -> Result<Self, FieldError> {
        if raw.bom_format != "CycloneDX" {
            return Err(FieldError::new(
                "bomFormat",
                format!("`{}` is not CycloneDX", raw.bom_format),
            ));
        }
        let mut purls = HashMap::new();
        index(&raw.components, &mut purls);
        if let Some(c) = raw.metadata.as_ref().and_then(|m| m.component.as_ref()) {
            index(std::slice::from_ref(c), &mut purls);
        }
        let mut statements = Vec::new();
        for (i, v) in raw.vulnerabilities.iter().enumerate() {
            let at = |f: &str| format!("vulnerabilities[{i}].{f}");
            let Some(analysis) = &v.analysis else {
                continue;
            };
            let status = analysis
                .state
                .clone()
                .ok_or_else(|| FieldError::new(at("analysis.state"), "missing"))?;
            let suppresses = match status.as_str() {
                "not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree" => true,
                "exploitable" | "in_triage" => false,
                other => {
                    return Err(FieldError::new(
                        at("analysis.state"),
                        format!("`{other}` is not a CycloneDX impact analysis state"),
                    ));
                }
            };
            let id =
                v.id.as_deref()
                    .ok_or_else(|| FieldError::new(at("id"), "missing"))?;
            let mut ids = vec![vuln_id(id, &at("id"))?];
            for (k, r) in v.references.iter().enumerate() {
                if let Some(r) = &r.id {
                    ids.push(vuln_id(r, &at(&format!("references[{k}].id")))?);
                }
            }
            let mut products = Vec::new();
            for (j, a) in v.affects.iter().enumerate() {
                let field = at(&format!("affects[{j}].ref"));
                let reference = a
                    .reference
                    .as_deref()
                    .ok_or_else(|| FieldError::new(&field, "missing"))?;
                let bom_ref = match reference.strip_prefix("urn:cdx:") {
                    Some(link) => link.split_once('#').map_or(link, |(_, r)| r),
                    None => reference,
                };
                let purl = match purls.get(bom_ref) {
                    Some(p) => p,
                    None if bom_ref.starts_with("pkg:") => bom_ref,
                    None => {
                        return Err(FieldError::new(
                            &field,
                            format!("`{reference}` names no component with a purl"),
                        ));
                    }
                };
                products.push(PurlPattern::parse(purl, &field)?);
            }
            if products.is_empty() {
                return Err(FieldError::new(
                    at("affects"),
                    "empty: the analysis covers nothing",
                ));
            }
            statements.push(VexStatement {
                ids,
                products,
                suppresses,
                status,
                justification: analysis.justification.clone(),
                statement: analysis.detail.clone(),
            });
        }
        Ok(statements)
    }
}
