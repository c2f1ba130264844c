//! The built-in rule set. Regexes describe public token formats; every single-line rule's match
//! contains one of its keywords (the scanner relies on that to run regexes only on keyword lines).
//!
//! Built-in regexes are compiled in ASCII mode with `^`/`$` matching at line boundaries, and use
//! `[ \t]` rather than `\s` so that no single-line match can cross a newline.

use kabuto_types::Severity;
use serde::Serialize;

/// Where a rule's regex runs once its keywords gate it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Only the lines holding a keyword hit (the match never spans lines and contains a keyword).
    Line,
    /// The whole file (multi-line secrets such as PEM blocks, and all user rules).
    File,
}

/// One rule as data: what the scanner compiles. Built-in rules and parsed user rules share it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    /// Case-insensitive literals; the rule runs only on content containing one. Empty: always runs.
    pub keywords: Vec<String>,
    pub regex: String,
    /// Capture group holding the secret; the whole match when absent.
    pub secret_group: Option<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    /// Only files whose path matches this regex are scanned with the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub scope: Scope,
    /// Placeholder values (`changeme`, `${VAR}`, `<password>`) are not reported.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reject_placeholders: bool,
    /// A broad key-name rule: dropped when a specific rule reports the same secret.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
}

impl RuleInfo {
    fn new(
        id: &str,
        category: &str,
        title: &str,
        severity: Severity,
        keywords: &[&str],
        regex: impl Into<String>,
    ) -> Self {
        let regex = regex.into();
        let secret_group = regex.contains("(?P<secret>").then(|| "secret".to_string());
        RuleInfo {
            id: id.to_string(),
            category: category.to_string(),
            title: title.to_string(),
            severity,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            regex,
            secret_group,
            min_entropy: None,
            path: None,
            scope: Scope::Line,
            reject_placeholders: false,
            generic: false,
        }
    }

    fn entropy(mut self, bits: f64) -> Self {
        self.min_entropy = Some(bits);
        self
    }

    fn path(mut self, regex: &str) -> Self {
        self.path = Some(regex.to_string());
        self
    }

    fn multiline(mut self) -> Self {
        self.scope = Scope::File;
        self
    }

    fn placeholders(mut self) -> Self {
        self.reject_placeholders = true;
        self
    }

    fn generic(mut self) -> Self {
        self.generic = true;
        self.reject_placeholders = true;
        self
    }
}

/// A secret announced by a vendor name nearby: `<vendor>...<op> "<secret>"`, e.g.
/// `FACEBOOK_APP_SECRET = "0123..."`. The secret must end at a token boundary.
fn vendor_context(
    id: &str,
    category: &str,
    title: &str,
    severity: Severity,
    vendor: &str,
    secret: &str,
) -> RuleInfo {
    let regex = format!(
        r#"(?i){vendor}[a-z0-9_ .,-]{{0,25}}["'`]?[ \t]*(?:=|:=|=>|:|>|\|\|:|<=)[ \t]{{0,5}}["'`]?(?P<secret>{secret})(?:[^0-9A-Za-z_=-]|$)"#
    );
    RuleInfo::new(id, category, title, severity, &[vendor], regex)
}

/// Files that hold configuration, where `password = ...` is a credential rather than code.
const CONFIG_FILES: &str = r"(?i)(?:\.(?:env|ini|cfg|conf|config|cnf|properties|ya?ml|toml|json|xml|tfvars|hcl|npmrc|pypirc|netrc|pgpass)|(?:^|/)\.env(?:\.[^/]*)?|(?:^|/)(?:\.?netrc|\.git-credentials|credentials|\.pgpass|\.my\.cnf|settings\.xml))$";

/// What may stand between a key name and its value: `=`, `:`, `=>`, `:=`, an XML tag end,
/// quotes and blanks.
const ASSIGN: &str = r#"["'`]?[ \t]*(?:=|:=|=>|:|>)[ \t]*["'`]?"#;
/// A config value: no blanks, quotes, separators or template/reference punctuation.
const VALUE: &str = r#"[^ \t\r\n"'`,;<>{}()\[\]&]"#;

/// The built-in rules, in report order.
pub fn builtin_rules() -> Vec<RuleInfo> {
    use Severity::{Critical, High, Low, Medium};
    const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    vec![
        // --- AWS ---
        RuleInfo::new(
            "aws-access-key-id",
            "AWS",
            "AWS Access Key ID",
            Critical,
            &["akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "abia", "acca", "a3t"],
            // Key ids are a 4-letter type prefix and 16 base32 characters.
            r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z2-7]{16}\b",
        ),
        RuleInfo::new(
            "aws-secret-access-key",
            "AWS",
            "AWS Secret Access Key",
            Critical,
            &["aws", "secret_access_key", "secretaccesskey", "secret-access-key"],
            format!(
                r"(?i)(?:aws[_-]?(?:secret[_-]?)?(?:access[_-]?)?key|aws[_-]?secret|secret[_-]?access[_-]?key){ASSIGN}(?P<secret>[A-Za-z0-9/+]{{40}})(?:[^A-Za-z0-9/+=]|$)"
            ),
        )
        .entropy(3.0),
        // --- GitHub ---
        // Classic tokens are 36 characters after the prefix; longer runs are accepted as Trivy
        // does, since a hand-edited or future-format token is still a token.
        RuleInfo::new("github-pat", "GitHub", "GitHub Personal Access Token", Critical, &["ghp_"], r"\bghp_[0-9A-Za-z]{36,255}\b"),
        RuleInfo::new(
            "github-fine-grained-pat",
            "GitHub",
            "GitHub Fine-grained Personal Access Token",
            Critical,
            &["github_pat_"],
            r"\bgithub_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}\b",
        ),
        RuleInfo::new("github-oauth", "GitHub", "GitHub OAuth Access Token", Critical, &["gho_"], r"\bgho_[0-9A-Za-z]{36}\b"),
        RuleInfo::new(
            "github-app-token",
            "GitHub",
            "GitHub App Token",
            Critical,
            &["ghu_", "ghs_"],
            r"\b(?:ghu|ghs)_[0-9A-Za-z]{36}\b",
        ),
        RuleInfo::new(
            "github-refresh-token",
            "GitHub",
            "GitHub Refresh Token",
            Critical,
            &["ghr_"],
            r"\bghr_[0-9A-Za-z]{36}(?:[0-9A-Za-z]{40})?\b",
        ),
        // --- GitLab ---
        RuleInfo::new(
            "gitlab-pat",
            "GitLab",
            "GitLab Personal Access Token",
            Critical,
            &["glpat-"],
            r"\bglpat-[0-9A-Za-z_-]{20,300}(?:\.[0-9A-Za-z_-]{1,40}){0,2}",
        ),
        RuleInfo::new(
            "gitlab-pipeline-trigger-token",
            "GitLab",
            "GitLab Pipeline Trigger Token",
            High,
            &["glptt-"],
            r"\bglptt-[0-9a-f]{40}\b",
        ),
        RuleInfo::new(
            "gitlab-runner-token",
            "GitLab",
            "GitLab Runner Token",
            High,
            &["glrt-", "gr1348941"],
            r"\b(?:glrt-|GR1348941)[0-9A-Za-z_-]{20,}",
        ),
        RuleInfo::new("gitlab-deploy-token", "GitLab", "GitLab Deploy Token", High, &["gldt-"], r"\bgldt-[0-9A-Za-z_-]{20,}"),
        // --- Cloud: Google, Azure, others ---
        RuleInfo::new(
            "gcp-service-account",
            "Google",
            "Google (GCP) Service-account key",
            Critical,
            &["service_account"],
            r#""type"[ \t]*:[ \t]*"service_account""#,
        ),
        RuleInfo::new(
            "gcp-api-key",
            "Google",
            "Google API Key",
            High,
            &["aiza"],
            r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        ),
        RuleInfo::new(
            "google-oauth-client-secret",
            "Google",
            "Google OAuth Client Secret",
            High,
            &["gocspx-"],
            r"\b(?P<secret>GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$)",
        ),
        RuleInfo::new(
            "azure-storage-account-key",
            "Azure",
            "Azure Storage Account Key",
            Critical,
            &["accountkey"],
            r"(?i)AccountKey[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{86}==)",
        ),
        RuleInfo::new(
            "azure-shared-access-key",
            "Azure",
            "Azure Service Bus / Event Hub Shared Access Key",
            High,
            &["sharedaccesskey"],
            r"(?i)SharedAccessKey[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{42,44}=)",
        ),
        RuleInfo::new(
            "azure-client-secret",
            "Azure",
            "Azure Entra ID Client Secret",
            High,
            &["q~"],
            // Three characters, a digit, `Q~`, then 31-34 characters.
            r"(?:^|[^0-9A-Za-z_~.-])(?P<secret>[0-9A-Za-z_~.-]{3}[0-9]Q~[0-9A-Za-z_~.-]{31,34})(?:[^0-9A-Za-z_~.-]|$)",
        ),
        RuleInfo::new(
            "alibaba-access-key-id",
            "Alibaba",
            "Alibaba AccessKey ID",
            High,
            &["ltai"],
            r"\bLTAI[0-9A-Za-z]{20}\b",
        ),
        vendor_context("alibaba-secret-key", "Alibaba", "Alibaba Secret Key", High, "alibaba", "[a-z0-9]{30}"),
        RuleInfo::new(
            "digitalocean-token",
            "DigitalOcean",
            "DigitalOcean Access Token",
            High,
            &["dop_v1_", "doo_v1_", "dor_v1_"],
            r"\bdo[opr]_v1_[0-9a-f]{64}\b",
        ),
        vendor_context("heroku-api-key", "Heroku", "Heroku API Key", High, "heroku", UUID),
        RuleInfo::new(
            "hashicorp-tf-api-token",
            "HashiCorp",
            "HashiCorp Terraform user/org API token",
            Medium,
            &["atlasv1."],
            r"\b[0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_=-]{60,70}\b",
        ),
        RuleInfo::new(
            "hashicorp-vault-token",
            "HashiCorp",
            "HashiCorp Vault Token",
            High,
            &["hvs.", "hvb."],
            r"\bhv[sb]\.[0-9A-Za-z_-]{90,200}\b",
        ),
        RuleInfo::new(
            "databricks-api-token",
            "Databricks",
            "Databricks API token",
            Medium,
            &["dapi"],
            r"\bdapi[0-9a-h]{32}(?:-[0-9])?\b",
        ),
        RuleInfo::new(
            "doppler-api-token",
            "Doppler",
            "Doppler API token",
            Medium,
            &["dp.pt."],
            r"\bdp\.pt\.[0-9A-Za-z]{43}\b",
        ),
        RuleInfo::new(
            "dynatrace-api-token",
            "Dynatrace",
            "Dynatrace API token",
            Medium,
            &["dt0c01."],
            r"\bdt0c01\.[0-9A-Za-z]{24}\.[0-9A-Za-z]{64}\b",
        ),
        RuleInfo::new(
            "planetscale-token",
            "Planetscale",
            "PlanetScale password or token",
            Medium,
            &["pscale_pw_", "pscale_tkn_", "pscale_oauth_"],
            r"\bpscale_(?:pw|tkn|oauth)_[0-9A-Za-z_.-]{43}\b",
        ),
        RuleInfo::new("pulumi-api-token", "Pulumi", "Pulumi API token", High, &["pul-"], r"\bpul-[0-9a-f]{40}\b"),
        // --- Chat, mail, payments, SaaS with distinctive prefixes ---
        RuleInfo::new(
            "slack-access-token",
            "Slack",
            "Slack token",
            High,
            &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-", "xoxo-"],
            r"\bxox[abeoprs]-[0-9]{6,}-[0-9A-Za-z-]{10,250}",
        ),
        RuleInfo::new(
            "slack-app-token",
            "Slack",
            "Slack App-level token",
            High,
            &["xapp-"],
            r"\bxapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]+\b",
        ),
        RuleInfo::new(
            "slack-web-hook",
            "Slack",
            "Slack Webhook",
            Medium,
            &["hooks.slack.com"],
            r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}/[AB][A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}\b",
        ),
        RuleInfo::new(
            "stripe-secret-token",
            "Stripe",
            "Stripe Secret or Restricted Key",
            Critical,
            &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
            r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{10,99}\b",
        ),
        RuleInfo::new(
            "stripe-publishable-token",
            "Stripe",
            "Stripe Publishable Key",
            Low,
            &["pk_live_", "pk_test_"],
            r"\bpk_(?:live|test)_[0-9A-Za-z]{10,99}\b",
        ),
        RuleInfo::new(
            "stripe-webhook-secret",
            "Stripe",
            "Stripe Webhook Signing Secret",
            High,
            &["whsec_"],
            r"\bwhsec_[0-9A-Za-z]{32,}\b",
        ),
        RuleInfo::new(
            "twilio-api-key",
            "Twilio",
            "Twilio API Key",
            Medium,
            // `SK` is too common to gate on: the regex's own literal prefilter is faster here.
            &[],
            r"\bSK[0-9a-fA-F]{32}\b",
        ),
        vendor_context("twilio-auth-token", "Twilio", "Twilio Auth Token", High, "twilio", "[0-9a-f]{32}"),
        RuleInfo::new(
            "sendgrid-api-token",
            "SendGrid",
            "SendGrid API token",
            Medium,
            &["sg."],
            r"\bSG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}(?:[^0-9A-Za-z_-]|$)",
        ),
        RuleInfo::new(
            "sendinblue-api-token",
            "Sendinblue",
            "Sendinblue API token",
            Low,
            &["xkeysib-"],
            r"\bxkeysib-[0-9a-f]{64}-[0-9A-Za-z]{16}\b",
        ),
        vendor_context("mailgun-token", "Mailgun", "Mailgun private API token", Medium, "mailgun", "(?:pub)?key-[a-f0-9]{32}"),
        vendor_context("mailchimp-api-key", "Mailchimp", "Mailchimp API key", Medium, "mailchimp", "[a-f0-9]{32}-us[0-9]{1,2}"),
        RuleInfo::new(
            "shopify-token",
            "Shopify",
            "Shopify token",
            High,
            &["shpss_", "shpat_", "shpca_", "shppa_"],
            r"\bshp(?:ss|at|ca|pa)_[a-fA-F0-9]{32}\b",
        ),
        RuleInfo::new(
            "square-access-token",
            "Square",
            "Square Access Token",
            High,
            &["sq0atp-", "eaaa"],
            r"\b(?:EAAA|sq0atp-)[0-9A-Za-z_-]{22,60}\b",
        ),
        RuleInfo::new(
            "square-oauth-secret",
            "Square",
            "Square OAuth Secret",
            High,
            &["sq0csp-"],
            r"\bsq0csp-[0-9A-Za-z_-]{43}\b",
        ),
        RuleInfo::new(
            "shippo-api-token",
            "Shippo",
            "Shippo API token",
            Low,
            &["shippo_live_", "shippo_test_"],
            r"\bshippo_(?:live|test)_[0-9a-f]{40}\b",
        ),
        RuleInfo::new(
            "duffel-api-token",
            "Duffel",
            "Duffel API token",
            Low,
            &["duffel_test_", "duffel_live_"],
            r"\bduffel_(?:test|live)_[0-9A-Za-z_-]{43}\b",
        ),
        RuleInfo::new(
            "easypost-api-token",
            "Easypost",
            "EasyPost API token",
            Low,
            &["ezak", "ezat"],
            r"\bEZ[AT]K[0-9A-Za-z]{54}\b",
        ),
        RuleInfo::new(
            "flutterwave-key",
            "Flutterwave",
            "Flutterwave public/secret key",
            Medium,
            &["flwseck", "flwpubk"],
            r"\bFLW(?:PUB|SEC)K(?:_TEST)?-[0-9a-h]{32}-X\b",
        ),
        RuleInfo::new(
            "postman-api-token",
            "Postman",
            "Postman API token",
            Medium,
            &["pmak-"],
            r"\bPMAK-[0-9a-f]{24}-[0-9a-f]{34}\b",
        ),
        RuleInfo::new("linear-api-token", "Linear", "Linear API token", Medium, &["lin_api_"], r"\blin_api_[0-9A-Za-z]{40}\b"),
        RuleInfo::new(
            "new-relic-user-api-key",
            "NewRelic",
            "New Relic user API Key",
            Medium,
            &["nrak-"],
            r"\bNRAK-[A-Z0-9]{27}\b",
        ),
        RuleInfo::new(
            "new-relic-browser-api-token",
            "NewRelic",
            "New Relic ingest browser API token",
            Medium,
            &["nrjs-"],
            r"\bNRJS-[a-f0-9]{19}\b",
        ),
        RuleInfo::new(
            "grafana-api-token",
            "Grafana",
            "Grafana API token",
            Medium,
            &["eyjrijoi"],
            r"\beyJrIjoi[0-9A-Za-z_=-]{72,92}",
        ),
        RuleInfo::new(
            "grafana-cloud-api-token",
            "Grafana",
            "Grafana Cloud API token",
            Medium,
            &["glc_"],
            r"\bglc_[0-9A-Za-z+/]{32,400}={0,2}",
        ),
        RuleInfo::new(
            "grafana-service-account-token",
            "Grafana",
            "Grafana service account token",
            Medium,
            &["glsa_"],
            r"\bglsa_[0-9A-Za-z]{32}_[0-9A-Fa-f]{8}\b",
        ),
        RuleInfo::new(
            "atlassian-api-token",
            "Atlassian",
            "Atlassian API token",
            High,
            &["atatt3"],
            r"\bATATT3[0-9A-Za-z_=-]{186}\b",
        ),
        vendor_context("atlassian-context-token", "Atlassian", "Atlassian API token (legacy)", High, "atlassian", "[a-z0-9]{24}"),
        vendor_context("bitbucket-client-secret", "Bitbucket", "Bitbucket client secret", High, "bitbucket", "[a-z0-9_-]{64}"),
        vendor_context("discord-api-token", "Discord", "Discord API key", Medium, "discord", "[a-h0-9]{64}"),
        vendor_context("facebook-token", "Facebook", "Facebook token", Low, "facebook", "[a-f0-9]{32}"),
        vendor_context("twitter-token", "Twitter", "Twitter token", Low, "twitter", "[a-f0-9]{35,44}"),
        vendor_context("fastly-api-token", "Fastly", "Fastly API token", Medium, "fastly", "[a-z0-9=_-]{32}"),
        vendor_context("hubspot-api-token", "HubSpot", "HubSpot API token", Low, "hubspot", UUID),
        RuleInfo::new(
            "telegram-bot-token",
            "Telegram",
            "Telegram Bot API token",
            Medium,
            &[":aa"],
            r"\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33}(?:[^0-9A-Za-z_-]|$)",
        ),
        RuleInfo::new(
            "discord-webhook",
            "Discord",
            "Discord Webhook",
            Medium,
            &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
            r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[0-9A-Za-z_-]{60,68}",
        ),
        // --- AI services ---
        RuleInfo::new(
            "openai-api-key",
            "OpenAI",
            "OpenAI API Key",
            Critical,
            &["t3blbkfj"],
            // Every OpenAI key embeds `T3BlbkFJ` (base64 of "OpenAI").
            r"\bsk-(?:proj-|svcacct-|admin-)?[0-9A-Za-z_-]{20,200}T3BlbkFJ[0-9A-Za-z_-]{20,200}\b",
        ),
        RuleInfo::new(
            "anthropic-api-key",
            "Anthropic",
            "Anthropic API Key",
            Critical,
            &["sk-ant-"],
            r"\bsk-ant-(?:api|admin)[0-9]{2}-[0-9A-Za-z_-]{80,100}AA\b",
        ),
        RuleInfo::new(
            "hugging-face-access-token",
            "HuggingFace",
            "Hugging Face Access Token",
            Critical,
            &["hf_"],
            r"\bhf_[A-Za-z0-9]{34,40}\b",
        ),
        // --- Package registries ---
        RuleInfo::new("npm-access-token", "Npm", "npm access token", Critical, &["npm_"], r"\bnpm_[0-9A-Za-z]{36}\b"),
        RuleInfo::new(
            "npmrc-auth-token",
            "Npm",
            "npm registry credential in .npmrc / .yarnrc",
            High,
            &["_auth", "_password", "npmauthtoken"],
            format!(r"(?:_authToken|_auth|_password|npmAuthToken){ASSIGN}(?P<secret>{VALUE}{{8,512}})"),
        )
        .path(r"npmrc$|(?:^|/)\.yarnrc(?:\.yml)?$")
        .placeholders(),
        RuleInfo::new(
            "pypi-upload-token",
            "PyPI",
            "PyPI upload token",
            High,
            &["pypi-age"],
            // Macaroons whose location is pypi.org or test.pypi.org.
            r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[0-9A-Za-z_-]{50,1000}",
        ),
        RuleInfo::new(
            "rubygems-api-token",
            "RubyGems",
            "RubyGems API token",
            Medium,
            &["rubygems_"],
            r"\brubygems_[0-9a-f]{48}\b",
        ),
        RuleInfo::new(
            "private-packagist-token",
            "Private Packagist",
            "Private Packagist token",
            High,
            &["packagist_uut_", "packagist_ort_", "packagist_out_"],
            r"\bpackagist_[ou][ru]t_[0-9a-f]{68}\b",
        ),
        RuleInfo::new(
            "clojars-api-token",
            "Clojars",
            "Clojars API token",
            Medium,
            &["clojars_"],
            r"\bCLOJARS_[0-9A-Za-z]{60}\b",
        ),
        RuleInfo::new(
            "dockerconfig-secret",
            "Docker",
            "Dockerconfig secret exposed",
            High,
            &["dockerc"],
            r#"(?i)\.(?:dockerconfigjson|dockercfg)["']?:[ \t]*\|?[ \t]*["']?(?P<secret>e[yw][A-Za-z0-9/+=]{20,})"#,
        ),
        RuleInfo::new(
            "docker-config-auth",
            "Docker",
            "Registry credential in a Docker config.json",
            High,
            &["\"auth\""],
            r#""auth"[ \t]*:[ \t]*"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})""#,
        )
        .path(r"(?:^|/)[^/]*(?:config|auth|docker)[^/]*\.json$|(?:^|/)\.dockercfg$")
        .placeholders(),
        // --- Keys and signed tokens ---
        RuleInfo::new(
            "private-key",
            "AsymmetricPrivateKey",
            "Asymmetric Private Key",
            High,
            &["private key"],
            // PEM (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP armour), also with JSON-escaped newlines.
            r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[ \t\r\n]|\\[rn])*(?P<secret>[A-Za-z0-9+/=](?:[A-Za-z0-9+/=:,. \t\r\n-]|\\[rn]){31,}?)-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
        )
        .multiline(),
        RuleInfo::new(
            "putty-private-key",
            "AsymmetricPrivateKey",
            "PuTTY Private Key",
            High,
            &["putty-user-key-file-"],
            r"PuTTY-User-Key-File-[23]:[^\r\n]*\r?\n(?:[^\r\n]*\r?\n){0,40}?Private-Lines:[ \t]*[0-9]+\r?\n(?P<secret>[A-Za-z0-9+/=]{16,}(?:\r?\n[A-Za-z0-9+/=]+)*)",
        )
        .multiline(),
        RuleInfo::new(
            "age-secret-key",
            "Age",
            "Age secret key",
            Medium,
            &["age-secret-key-1"],
            r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b",
        ),
        RuleInfo::new(
            "jwt-token",
            "JWT",
            "JWT token",
            Medium,
            &[".eyj"],
            r"\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]*",
        ),
        // --- Connection strings and generic assignments ---
        RuleInfo::new(
            "database-url-password",
            "Database",
            "Database connection URL with password",
            High,
            &[
                "postgres://", "postgresql://", "mysql://", "mariadb://", "mongodb://", "mongodb+srv://",
                "redis://", "rediss://", "amqp://", "amqps://", "mssql://", "sqlserver://",
            ],
            r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^ \t\r\n:@/?#"'`]{0,128}:(?P<secret>[^ \t\r\n:@/?#"'`]{1,256})@[^ \t\r\n/?#"'`@]+"#,
        )
        .placeholders(),
        RuleInfo::new(
            "generic-password",
            "Generic",
            "Password in configuration",
            Medium,
            &["password", "passwd", "pwd"],
            format!(r"(?i)(?:password|passwd|pwd)[a-z0-9_.-]{{0,20}}{ASSIGN}(?P<secret>{VALUE}{{8,128}})"),
        )
        .entropy(3.0)
        .path(CONFIG_FILES)
        .generic(),
        RuleInfo::new(
            "generic-api-key",
            "Generic",
            "Secret, token or API key in configuration",
            Medium,
            &[
                "secret", "token", "apikey", "api_key", "api-key", "api.key", "accesskey", "access_key", "access-key",
                "access.key", "authkey", "auth_key", "auth-key", "auth.key",
            ],
            format!(
                r"(?i)(?:secret|token|api[_.-]?key|access[_.-]?key|auth[_.-]?key)[a-z0-9_.-]{{0,20}}{ASSIGN}(?P<secret>{VALUE}{{12,256}})"
            ),
        )
        .entropy(3.5)
        .path(CONFIG_FILES)
        .generic(),
    ]
}
