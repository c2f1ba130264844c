//! `kabuto kube-enforcer certs`: a private CA and the webhook's serving certificate for its
//! Service's DNS names, for clusters without cert-manager. The CA goes into the webhook
//! configurations' `caBundle`.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

#[derive(Debug, thiserror::Error)]
#[error("cannot make the webhook's certificates: {0}")]
pub struct CertError(#[from] rcgen::Error);

/// PEM texts of the CA certificate, the serving certificate and its private key.
pub struct WebhookCertificates {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// The names the API server uses to reach `service` in `namespace`, plus `extra` ones
/// (IP addresses become IP SANs).
pub fn service_names(service: &str, namespace: &str, extra: &[String]) -> Vec<String> {
    let mut names = vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ];
    names.extend(extra.iter().cloned());
    names
}

/// A CA and a serving certificate for `names`, valid from yesterday for `days` days.
pub fn generate(names: Vec<String>, days: i64) -> Result<WebhookCertificates, CertError> {
    let now = OffsetDateTime::now_utc();
    let (not_before, not_after) = (now - Duration::days(1), now + Duration::days(days));

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kabuto kube-enforcer CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;

    let common_name = names.get(2).or(names.first()).cloned().unwrap_or_default();
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    Ok(WebhookCertificates {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serving_certificate_names_the_service() {
        let names = service_names("kabuto-kube-enforcer", "kabuto", &["127.0.0.1".to_owned()]);
        assert!(names.contains(&"kabuto-kube-enforcer.kabuto.svc".to_owned()));
        let certs = generate(names, 365).expect("generated");
        assert!(certs.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.key_pem.contains("PRIVATE KEY"));
        assert_ne!(certs.ca_pem, certs.cert_pem);
    }
}
