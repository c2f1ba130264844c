use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// What a user account is for; each role grants a fixed set of [`Permission`]s.
///
/// The names on the wire (`administrator`, `policy_author`, ...) are stable API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users and the vulnerability database.
    Administrator,
    /// Writes policies and acknowledgements; reads everything.
    PolicyAuthor,
    /// Reads everything, changes nothing.
    Auditor,
    /// A CI job or scanner: uploads scan reports and asks verdicts, but cannot read results
    /// back, so a leaked CI token does not expose the whole inventory.
    Scanner,
    /// An admission or runtime agent: asks verdicts and reports events.
    Enforcer,
}

/// One thing a caller may be allowed to do; endpoints check exactly one of these.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read images, vulnerabilities, policies, acknowledgements, verdicts and the audit log.
    Read,
    /// Upload scan reports and register images.
    RegisterScans,
    /// Ask for a verdict without storing anything.
    AskVerdict,
    /// Create, change and delete policies.
    WritePolicies,
    /// Create, change and delete acknowledgements.
    WriteAcknowledgements,
    /// Manage users and other users' tokens.
    ManageUsers,
    /// Create, list and revoke one's own API tokens.
    ManageOwnTokens,
    /// Enforcer agents send events and heartbeats.
    ReportEvents,
    /// Read the runtime policies (what an enforcer fetches to enforce).
    ReadRuntimePolicies,
    /// Trigger a vulnerability database update or import.
    ManageDatabase,
    /// Create, change and delete registry integrations and notification outputs (they hold
    /// credentials and send data out), start or cancel registry scans, test outputs and
    /// re-queue dead letters.
    ManageIntegrations,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::PolicyAuthor,
        Role::Auditor,
        Role::Scanner,
        Role::Enforcer,
    ];

    /// The name used on the wire and in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::PolicyAuthor => "policy_author",
            Role::Auditor => "auditor",
            Role::Scanner => "scanner",
            Role::Enforcer => "enforcer",
        }
    }

    /// Every permission this role grants, in [`Permission::ALL`] order.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Administrator => &Permission::ALL,
            Role::PolicyAuthor => &[
                Read,
                AskVerdict,
                WritePolicies,
                WriteAcknowledgements,
                ManageOwnTokens,
                ReadRuntimePolicies,
            ],
            Role::Auditor => &[Read, ManageOwnTokens, ReadRuntimePolicies],
            Role::Scanner => &[RegisterScans, AskVerdict, ManageOwnTokens],
            Role::Enforcer => &[
                AskVerdict,
                ManageOwnTokens,
                ReportEvents,
                ReadRuntimePolicies,
            ],
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The wire names of all roles, for error messages.
    pub(crate) fn names() -> Vec<&'static str> {
        Role::ALL.iter().map(|role| role.as_str()).collect()
    }
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::Read,
        Permission::RegisterScans,
        Permission::AskVerdict,
        Permission::WritePolicies,
        Permission::WriteAcknowledgements,
        Permission::ManageUsers,
        Permission::ManageOwnTokens,
        Permission::ReportEvents,
        Permission::ReadRuntimePolicies,
        Permission::ManageDatabase,
        Permission::ManageIntegrations,
    ];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(value: &str) -> Result<Self, AuthError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| AuthError::UnknownRole {
                value: value.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole role/permission matrix, written out so that a change to it shows in review.
    #[test]
    fn permission_matrix() {
        use Permission::*;
        #[rustfmt::skip]
        let expected: [(Role, Permission, bool); 55] = [
            (Role::Administrator, Read, true),
            (Role::Administrator, RegisterScans, true),
            (Role::Administrator, AskVerdict, true),
            (Role::Administrator, WritePolicies, true),
            (Role::Administrator, WriteAcknowledgements, true),
            (Role::Administrator, ManageUsers, true),
            (Role::Administrator, ManageOwnTokens, true),
            (Role::Administrator, ReportEvents, true),
            (Role::Administrator, ReadRuntimePolicies, true),
            (Role::Administrator, ManageDatabase, true),
            (Role::Administrator, ManageIntegrations, true),

            (Role::PolicyAuthor, Read, true),
            (Role::PolicyAuthor, RegisterScans, false),
            (Role::PolicyAuthor, AskVerdict, true),
            (Role::PolicyAuthor, WritePolicies, true),
            (Role::PolicyAuthor, WriteAcknowledgements, true),
            (Role::PolicyAuthor, ManageUsers, false),
            (Role::PolicyAuthor, ManageOwnTokens, true),
            (Role::PolicyAuthor, ReportEvents, false),
            (Role::PolicyAuthor, ReadRuntimePolicies, true),
            (Role::PolicyAuthor, ManageDatabase, false),
            (Role::PolicyAuthor, ManageIntegrations, false),

            (Role::Auditor, Read, true),
            (Role::Auditor, RegisterScans, false),
            (Role::Auditor, AskVerdict, false),
            (Role::Auditor, WritePolicies, false),
            (Role::Auditor, WriteAcknowledgements, false),
            (Role::Auditor, ManageUsers, false),
            (Role::Auditor, ManageOwnTokens, true),
            (Role::Auditor, ReportEvents, false),
            (Role::Auditor, ReadRuntimePolicies, true),
            (Role::Auditor, ManageDatabase, false),
            (Role::Auditor, ManageIntegrations, false),

            (Role::Scanner, Read, false),
            (Role::Scanner, RegisterScans, true),
            (Role::Scanner, AskVerdict, true),
            (Role::Scanner, WritePolicies, false),
            (Role::Scanner, WriteAcknowledgements, false),
            (Role::Scanner, ManageUsers, false),
            (Role::Scanner, ManageOwnTokens, true),
            (Role::Scanner, ReportEvents, false),
            (Role::Scanner, ReadRuntimePolicies, false),
            (Role::Scanner, ManageDatabase, false),
            (Role::Scanner, ManageIntegrations, false),

            (Role::Enforcer, Read, false),
            (Role::Enforcer, RegisterScans, false),
            (Role::Enforcer, AskVerdict, true),
            (Role::Enforcer, WritePolicies, false),
            (Role::Enforcer, WriteAcknowledgements, false),
            (Role::Enforcer, ManageUsers, false),
            (Role::Enforcer, ManageOwnTokens, true),
            (Role::Enforcer, ReportEvents, true),
            (Role::Enforcer, ReadRuntimePolicies, true),
            (Role::Enforcer, ManageDatabase, false),
            (Role::Enforcer, ManageIntegrations, false),
        ];
        for (role, permission, allowed) in expected {
            assert_eq!(role.allows(permission), allowed, "{role} {permission:?}");
        }
    }

    #[test]
    fn names_round_trip_through_from_str_display_and_serde() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
            assert_eq!(role.to_string(), role.as_str());
            let json = serde_json::to_string(&role).ok();
            assert_eq!(json, Some(format!("\"{}\"", role.as_str())));
        }
        let permission = serde_json::to_string(&Permission::WriteAcknowledgements).ok();
        assert_eq!(permission.as_deref(), Some("\"write_acknowledgements\""));
    }

    #[test]
    fn unknown_role_error_names_the_value_and_the_valid_ones() {
        let message = "Admin".parse::<Role>().err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "unknown role `Admin`; the valid roles are administrator, policy_author, auditor, scanner, enforcer"
            )
        );
    }

    #[test]
    fn schema_lists_the_wire_names() {
        let schema = serde_json::to_value(schemars::schema_for!(Role)).unwrap_or_default();
        let names: Vec<&str> = schema["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|variant| variant["const"].as_str())
            .collect();
        assert_eq!(names, Role::names());
    }
}
