//! The OpenAPI 3.1 document, generated from the wire types' JSON Schemas (schemars) and one
//! table of endpoints. The table also says which permission each operation needs
//! (`x-kabuto-permission`), which the role test walks.

use kabuto_api::server::{
    AckEntry, AckRemoval, AckRequest, AuditEntry, CreatedToken, Dashboard, DatabaseStatus,
    EnforcerEntry, EnforcerEvents, EnforcerReport, ErrorBody, HarborErrorBody, HarborMetadata,
    HarborSbomReport, HarborScanRequest, HarborScanResponse, HarborVulnerabilityReport,
    ImageDetail, ImageSummary, ImageVerdict, LoginRequest, LoginResponse, NewTokenRequest, NewUser,
    NotificationEntry, NotificationOutputEntry, NotificationOutputRequest, NotificationTestResult,
    Page, PasswordChange, PolicyPreview, PullResult, PushesAccepted, Registry, ScanJob,
    ScanUploadResponse, SetupRequest, SetupStatus, TokenInfo, UserInfo, VerdictGeneration,
    VulnerabilityEntry, VulnerabilityGroup,
};
use kabuto_api::{ImageRegistration, ScanReport};
use kabuto_auth::Permission;
use kabuto_notify::{RawOutput, Trigger};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::harbor;

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;
type OutputRequest = NotificationOutputRequest<RawOutput, Trigger>;
type OutputEntry = NotificationOutputEntry<RawOutput, Trigger>;

/// One operation of the API.
pub struct Endpoint {
    pub method: &'static str,
    /// OpenAPI path template.
    pub path: &'static str,
    /// `None`: no login needed.
    pub permission: Option<Permission>,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    /// Status of a success.
    pub status: u16,
    pub media: Media,
}

/// The content types of an operation's bodies: JSON, except Harbor's scanner API's own.
#[derive(Debug, Clone, Copy)]
pub struct Media {
    pub request: &'static str,
    /// Each served with the response schema.
    pub response: &'static [&'static str],
    pub error: &'static str,
}

const JSON: Media = Media {
    request: "application/json",
    response: &["application/json"],
    error: "application/json",
};

fn of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

const fn op(
    method: &'static str,
    path: &'static str,
    permission: Option<Permission>,
    summary: &'static str,
    request: Option<SchemaFn>,
    response: Option<SchemaFn>,
    status: u16,
) -> Endpoint {
    Endpoint {
        method,
        path,
        permission,
        summary,
        request,
        response,
        status,
        media: JSON,
    }
}

impl Endpoint {
    const fn media(self, media: Media) -> Endpoint {
        Endpoint { media, ..self }
    }
}

use Permission::*;

/// Every operation, in the order the document lists them.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op(
            "get",
            "/api/v1/setup",
            None,
            "Whether the server waits for first-run setup (started with no users and no KABUTO_ADMIN_PASSWORD)",
            None,
            Some(of::<SetupStatus>),
            200,
        ),
        op(
            "post",
            "/api/v1/setup",
            None,
            "First-run setup: the code from the data directory's `setup-code` file creates `administrator` and logs it in (as POST /api/v1/login); 409 once set up",
            Some(of::<SetupRequest>),
            Some(of::<LoginResponse>),
            201,
        ),
        op(
            "post",
            "/api/v1/login",
            None,
            "Log in with a user id and password; returns a session token",
            Some(of::<LoginRequest>),
            Some(of::<LoginResponse>),
            200,
        ),
        op(
            "post",
            "/api/v1/logout",
            Some(ManageOwnTokens),
            "End the session",
            None,
            None,
            204,
        ),
        op(
            "get",
            "/api/v1/me",
            Some(ManageOwnTokens),
            "Who the caller is",
            None,
            Some(of::<UserInfo>),
            200,
        ),
        op(
            "get",
            "/api/v1/users",
            Some(ManageUsers),
            "List users",
            None,
            Some(of::<Vec<UserInfo>>),
            200,
        ),
        op(
            "post",
            "/api/v1/users",
            Some(ManageUsers),
            "Create a user",
            Some(of::<NewUser>),
            Some(of::<UserInfo>),
            201,
        ),
        op(
            "delete",
            "/api/v1/users/{id}",
            Some(ManageUsers),
            "Delete a user with their tokens and sessions",
            None,
            None,
            204,
        ),
        op(
            "put",
            "/api/v1/users/{id}/password",
            Some(ManageUsers),
            "Set a password (any user may set their own)",
            Some(of::<PasswordChange>),
            None,
            204,
        ),
        op(
            "get",
            "/api/v1/tokens",
            Some(ManageOwnTokens),
            "List API tokens (the administrator sees all)",
            None,
            Some(of::<Vec<TokenInfo>>),
            200,
        ),
        op(
            "post",
            "/api/v1/tokens",
            Some(ManageOwnTokens),
            "Create an API token; the secret is shown once",
            Some(of::<NewTokenRequest>),
            Some(of::<CreatedToken>),
            201,
        ),
        op(
            "delete",
            "/api/v1/tokens/{id}",
            Some(ManageOwnTokens),
            "Revoke an API token",
            None,
            None,
            204,
        ),
        op(
            "post",
            "/api/v1/images",
            Some(RegisterScans),
            "Register images (registry, repository, tag) to be scanned",
            Some(of::<ImageRegistration>),
            Some(of::<Vec<ImageSummary>>),
            201,
        ),
        op(
            "post",
            "/api/v1/scans",
            Some(AskVerdict),
            "Upload a Kabuto JSON scan report; `register=true` stores it (needs register_scans); returns the server's verdict",
            Some(of::<ScanReport>),
            Some(of::<ScanUploadResponse>),
            200,
        ),
        op(
            "get",
            "/api/v2/images",
            Some(Read),
            "List images with paging, filters (registry, search, severity, disallowed) and order_by",
            None,
            Some(of::<Page<ImageSummary>>),
            200,
        ),
        op(
            "get",
            "/api/v2/images/{registry}/{repository}/{tag}",
            Some(Read),
            "An image with its evaluated report; `format=cyclonedx|spdx-json|sarif|html` returns that document",
            None,
            Some(of::<ImageDetail>),
            200,
        ),
        op(
            "get",
            "/api/v2/digests/{digest}",
            Some(Read),
            "An image by digest",
            None,
            Some(of::<ImageDetail>),
            200,
        ),
        op(
            "get",
            "/api/v2/risks/vulnerabilities",
            Some(Read),
            "Vulnerabilities across images (image_name, registry_name, name, severity, fix_availability, acknowledged)",
            None,
            Some(of::<Page<VulnerabilityEntry>>),
            200,
        ),
        op(
            "get",
            "/api/v2/risks/vulnerabilities/grouped",
            Some(Read),
            "Vulnerabilities grouped by id across images (search, severity, acknowledged, registry; order_by images, severity or name, `-` flips)",
            None,
            Some(of::<Page<VulnerabilityGroup>>),
            200,
        ),
        op(
            "get",
            "/api/v2/dashboard",
            Some(Read),
            "The risk picture of every stored image: counts by severity, the daily trend, top images and vulnerabilities, blocked gates, recent audit records",
            None,
            Some(of::<Dashboard>),
            200,
        ),
        op(
            "get",
            "/api/v2/risks/acknowledge",
            Some(Read),
            "Acknowledgements, expired ones marked",
            None,
            Some(of::<Page<AckEntry>>),
            200,
        ),
        op(
            "post",
            "/api/v2/risks/acknowledge",
            Some(WriteAcknowledgements),
            "Acknowledge issues (Aqua's fields, plus triage state and justification)",
            Some(of::<AckRequest>),
            Some(of::<Vec<AckEntry>>),
            201,
        ),
        op(
            "delete",
            "/api/v2/risks/acknowledge",
            Some(WriteAcknowledgements),
            "Remove acknowledgements",
            Some(of::<AckRemoval>),
            None,
            204,
        ),
        op(
            "delete",
            "/api/v2/risks/acknowledge/multiple",
            Some(WriteAcknowledgements),
            "Remove acknowledgements (Aqua's path)",
            Some(of::<AckRemoval>),
            None,
            204,
        ),
        op(
            "get",
            "/api/v2/risks/acknowledge/openvex",
            Some(Read),
            "Current acknowledgements as an OpenVEX document",
            None,
            None,
            200,
        ),
        op(
            "get",
            "/api/v2/assurance_policy/image",
            Some(Read),
            "Every image assurance policy (export)",
            None,
            None,
            200,
        ),
        op(
            "post",
            "/api/v2/assurance_policy/image",
            Some(WritePolicies),
            "Create an image assurance policy (the JSON `kabuto policy` reads)",
            Some(any_object),
            None,
            201,
        ),
        op(
            "post",
            "/api/v2/assurance_policy/image/preview",
            Some(Read),
            "What a policy (as PUT takes it) would fail among the stored images (newest 2,000 scans), in place of the stored policies; changes nothing",
            Some(any_object),
            Some(of::<PolicyPreview>),
            200,
        ),
        op(
            "get",
            "/api/v2/assurance_policy/image/{name}",
            Some(Read),
            "One image assurance policy",
            None,
            None,
            200,
        ),
        op(
            "put",
            "/api/v2/assurance_policy/image/{name}",
            Some(WritePolicies),
            "Create or replace an image assurance policy",
            Some(any_object),
            None,
            200,
        ),
        op(
            "delete",
            "/api/v2/assurance_policy/image/{name}",
            Some(WritePolicies),
            "Delete an image assurance policy",
            None,
            None,
            204,
        ),
        op(
            "get",
            "/api/v2/assurance_policy/templates",
            Some(Read),
            "Policy template names",
            None,
            None,
            200,
        ),
        op(
            "get",
            "/api/v2/assurance_policy/templates/{name}",
            Some(Read),
            "A policy template as JSON",
            None,
            None,
            200,
        ),
        op(
            "get",
            "/api/v2/runtime_policies",
            Some(ReadRuntimePolicies),
            "Every runtime policy (what enforcers fetch and apply)",
            None,
            None,
            200,
        ),
        op(
            "post",
            "/api/v2/runtime_policies",
            Some(WritePolicies),
            "Create a runtime policy (the JSON `kabuto enforcer --policy` reads)",
            Some(runtime_policy),
            None,
            201,
        ),
        op(
            "get",
            "/api/v2/runtime_policies/{name}",
            Some(ReadRuntimePolicies),
            "One runtime policy",
            None,
            None,
            200,
        ),
        op(
            "put",
            "/api/v2/runtime_policies/{name}",
            Some(WritePolicies),
            "Create or replace a runtime policy",
            Some(runtime_policy),
            None,
            200,
        ),
        op(
            "delete",
            "/api/v2/runtime_policies/{name}",
            Some(WritePolicies),
            "Delete a runtime policy",
            None,
            None,
            204,
        ),
        op(
            "post",
            "/api/v1/enforcers",
            Some(ReportEvents),
            "A runtime enforcer's report about itself (at each policy refresh)",
            Some(of::<EnforcerReport>),
            None,
            204,
        ),
        op(
            "get",
            "/api/v1/enforcers",
            Some(Read),
            "The runtime enforcers: last report, last seen, connected or disconnected (no report for three intervals)",
            None,
            Some(of::<Vec<EnforcerEntry>>),
            200,
        ),
        op(
            "get",
            "/api/v2/notification/outputs",
            Some(Read),
            "Notification outputs (webhook, Slack, Teams, email), secrets as <redacted>",
            None,
            Some(of::<Vec<OutputEntry>>),
            200,
        ),
        op(
            "post",
            "/api/v2/notification/outputs",
            Some(ManageIntegrations),
            "Create a notification output with the triggers it is sent for",
            Some(of::<OutputRequest>),
            Some(of::<OutputEntry>),
            201,
        ),
        op(
            "get",
            "/api/v2/notification/outputs/{name}",
            Some(Read),
            "One notification output, secrets as <redacted>",
            None,
            Some(of::<OutputEntry>),
            200,
        ),
        op(
            "put",
            "/api/v2/notification/outputs/{name}",
            Some(ManageIntegrations),
            "Create or replace a notification output; a secret sent as <redacted> keeps the stored one",
            Some(of::<OutputRequest>),
            Some(of::<OutputEntry>),
            200,
        ),
        op(
            "delete",
            "/api/v2/notification/outputs/{name}",
            Some(ManageIntegrations),
            "Delete a notification output (its queued notifications become dead letters)",
            None,
            None,
            204,
        ),
        op(
            "post",
            "/api/v2/notification/outputs/{name}/test",
            Some(ManageIntegrations),
            "Deliver a test event to the output now and answer how it went",
            None,
            Some(of::<NotificationTestResult>),
            200,
        ),
        op(
            "get",
            "/api/v2/notification/dead_letters",
            Some(Read),
            "Notifications given up on (page, pagesize), newest first",
            None,
            Some(of::<Page<NotificationEntry>>),
            200,
        ),
        op(
            "post",
            "/api/v2/notification/dead_letters/{id}/retry",
            Some(ManageIntegrations),
            "Queue a dead letter again, due now",
            None,
            Some(of::<NotificationEntry>),
            200,
        ),
        op(
            "get",
            "/api/v1/audit",
            Some(Read),
            "The audit log, newest first (user, action prefix, target prefix, host of runtime events, result, since)",
            None,
            Some(of::<Page<AuditEntry>>),
            200,
        ),
        op(
            "post",
            "/api/v1/audit/events",
            Some(ReportEvents),
            "Enforcer events (admission decisions, runtime detections and blocks) appended to the audit log",
            Some(of::<EnforcerEvents>),
            None,
            204,
        ),
        op(
            "get",
            "/api/v1/verdicts",
            Some(AskVerdict),
            "The verdict on one image by digest and/or registry/repository:tag, for admission control",
            None,
            Some(of::<ImageVerdict>),
            200,
        ),
        op(
            "get",
            "/api/v1/verdicts/generation",
            Some(AskVerdict),
            "A number that changes whenever stored verdicts may have changed",
            None,
            Some(of::<VerdictGeneration>),
            200,
        ),
        op(
            "get",
            "/api/v1/db",
            Some(Read),
            "The vulnerability database and the last re-evaluation",
            None,
            Some(of::<DatabaseStatus>),
            200,
        ),
        op(
            "post",
            "/api/v1/db/reload",
            Some(ManageDatabase),
            "Load the database file now",
            None,
            Some(of::<DatabaseStatus>),
            200,
        ),
        op(
            "post",
            "/api/v1/reevaluate",
            Some(ManageDatabase),
            "Re-evaluate every stored image now",
            None,
            None,
            202,
        ),
        op(
            "get",
            "/api/v1/registries",
            Some(Read),
            "List registry integrations (credentials are never answered)",
            None,
            Some(of::<Vec<Registry>>),
            200,
        ),
        op(
            "post",
            "/api/v1/registries",
            Some(ManageIntegrations),
            "Add a registry integration; its images are pulled and scanned",
            Some(of::<Registry>),
            Some(of::<Registry>),
            201,
        ),
        op(
            "get",
            "/api/v1/registries/{name}",
            Some(Read),
            "One registry integration, with its last pull",
            None,
            Some(of::<Registry>),
            200,
        ),
        op(
            "put",
            "/api/v1/registries/{name}",
            Some(ManageIntegrations),
            "Change a registry integration (no password keeps the stored one)",
            Some(of::<Registry>),
            Some(of::<Registry>),
            200,
        ),
        op(
            "delete",
            "/api/v1/registries/{name}",
            Some(ManageIntegrations),
            "Remove a registry integration and cancel its queued scans",
            None,
            None,
            204,
        ),
        op(
            "post",
            "/api/v1/registries/{name}/scan",
            Some(ManageIntegrations),
            "Pull the registry now: queue scans of new and moved tags",
            None,
            Some(of::<PullResult>),
            200,
        ),
        op(
            "post",
            "/api/v1/registries/{name}/webhook",
            None,
            "Registry push events (distribution notifications or Harbor webhooks), \
             authenticated by the integration's webhook token as a bearer token",
            Some(registry_event),
            Some(of::<PushesAccepted>),
            202,
        ),
        op(
            "get",
            "/api/v1/scan_jobs",
            Some(Read),
            "Scan jobs of the registry integrations, newest first (filters: registry, state)",
            None,
            Some(of::<Page<ScanJob>>),
            200,
        ),
        op(
            "delete",
            "/api/v1/scan_jobs/{id}",
            Some(ManageIntegrations),
            "Cancel a pending or running scan job",
            None,
            None,
            204,
        ),
        op(
            "get",
            "/harbor/api/v1/metadata",
            Some(RegisterScans),
            "Harbor scanner API: the scanner's capabilities (register https://SERVER/harbor \
             in Harbor with a Kabuto API token as its Bearer credential)",
            None,
            Some(of::<HarborMetadata>),
            200,
        )
        .media(Media {
            response: &[harbor::METADATA_MIME],
            ..HARBOR
        }),
        op(
            "post",
            "/harbor/api/v1/scan",
            Some(RegisterScans),
            "Harbor scanner API: scan an artifact of Harbor's registry (pulled with the \
             request's authorization); 422 for an invalid field, 501 for an artifact type \
             Kabuto does not scan",
            Some(of::<HarborScanRequest>),
            Some(of::<HarborScanResponse>),
            202,
        )
        .media(Media {
            response: &[harbor::SCAN_RESPONSE_MIME],
            ..HARBOR
        }),
        op(
            "get",
            "/harbor/api/v1/scan/{id}/report",
            Some(RegisterScans),
            "Harbor scanner API: the report the Accept header names (a vulnerability report, \
             or the SBOM in the format ?sbom_media_type= names); 302 with Refresh-After \
             while the scan runs, 500 with the error when it failed",
            None,
            Some(harbor_report),
            200,
        )
        .media(Media {
            response: &[
                "application/vnd.security.vulnerability.report; version=1.1",
                "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
                "application/vnd.security.sbom.report+json; version=1.0",
            ],
            ..HARBOR
        }),
        op("get", "/healthz", None, "Liveness", None, None, 200),
        op(
            "get",
            "/readyz",
            None,
            "Readiness: store answers, database loaded",
            None,
            None,
            200,
        ),
        op(
            "get",
            "/metrics",
            None,
            "Prometheus metrics",
            None,
            None,
            200,
        ),
    ]
}

/// Harbor's scanner API: its own request and error mime types.
const HARBOR: Media = Media {
    request: "application/vnd.scanner.adapter.scan.request+json; version=1.1",
    response: &[],
    error: harbor::ERROR_MIME,
};

fn harbor_report(g: &mut SchemaGenerator) -> Schema {
    let vulnerabilities = of::<HarborVulnerabilityReport>(g);
    let sbom = of::<HarborSbomReport>(g);
    schemars::json_schema!({ "oneOf": [vulnerabilities, sbom] })
}

fn registry_event(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object", "description": "A distribution notification envelope ({\"events\": [...]}) or a Harbor webhook body" })
}

fn runtime_policy(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object", "description": "A container runtime policy in Aqua's field names (crates/runtime/rules/README.md)" })
}

fn any_object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object", "description": "An image assurance policy in Aqua's field names (see policy.schema.json)" })
}

/// The whole document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let error = of::<ErrorBody>(&mut generator);
    let harbor_error = of::<HarborErrorBody>(&mut generator);
    let mut paths: Map<String, Value> = Map::new();
    for endpoint in endpoints() {
        let error = if endpoint.media.error == JSON.error {
            &error
        } else {
            &harbor_error
        };
        let operation = operation(&endpoint, &mut generator, error);
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        item[endpoint.method] = operation;
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kabuto server API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Scans registered and kept, verdicts decided centrally. Field and path names follow Aqua's API where it has them."
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API token (kbt_...) or the session token POST /api/v1/login returns (kbs_...)" }
            }
        },
        "paths": paths,
    })
}

fn operation(endpoint: &Endpoint, generator: &mut SchemaGenerator, error: &Schema) -> Value {
    let mut op = json!({
        "summary": endpoint.summary,
        "operationId": operation_id(endpoint),
        "responses": {
            "default": { "description": "An error", "content": { endpoint.media.error: { "schema": error } } }
        },
    });
    let success = match endpoint.response {
        Some(schema) => {
            let schema = schema(generator);
            let content: Map<String, Value> = endpoint
                .media
                .response
                .iter()
                .map(|mime| ((*mime).to_owned(), json!({ "schema": schema })))
                .collect();
            json!({ "description": "Success", "content": content })
        }
        None => json!({ "description": "Success" }),
    };
    op["responses"][endpoint.status.to_string()] = success;
    if let Some(schema) = endpoint.request {
        op["requestBody"] = json!({ "required": true, "content": { endpoint.media.request: { "schema": schema(generator) } } });
    }
    let parameters: Vec<Value> = path_parameters(endpoint.path)
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    if let Some(permission) = endpoint.permission {
        op["security"] = json!([{ "bearer": [] }]);
        op["x-kabuto-permission"] = serde_json::to_value(permission).unwrap_or(Value::Null);
    }
    op
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

fn operation_id(endpoint: &Endpoint) -> String {
    let path: String = endpoint
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => format!("by_{param}"),
                None => s.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("_");
    format!("{}_{}", endpoint.method, path)
}
