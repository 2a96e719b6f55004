//! Access control: permissions, built-in roles, and who is acting.
//!
//! Checks happen in the service layer against an [`Actor`]'s effective permission set,
//! so every adapter (HTTP, CLI, jobs) is held to the same rules. Built-in roles are code,
//! not rows, so an upgrade can extend them; tenants add custom roles built from the same
//! permissions.

use crate::validation::{FieldError, invalid};
use crate::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One fine-grained permission, written `resource:verb` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Permission {
    /// See the tenant's settings and branding.
    #[serde(rename = "tenant:read")]
    TenantRead,
    /// Change the tenant's settings and branding.
    #[serde(rename = "tenant:write")]
    TenantWrite,
    /// See user accounts.
    #[serde(rename = "user:read")]
    UserRead,
    /// Create, change, disable accounts and assign roles.
    #[serde(rename = "user:write")]
    UserWrite,
    /// Invite people by e-mail.
    #[serde(rename = "user:invite")]
    UserInvite,
    /// See roles.
    #[serde(rename = "role:read")]
    RoleRead,
    /// Create and change custom roles.
    #[serde(rename = "role:write")]
    RoleWrite,
    /// Revoke other users' sessions.
    #[serde(rename = "session:revoke")]
    SessionRevoke,
    /// Read the audit trail.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Read courses.
    #[serde(rename = "course:read")]
    CourseRead,
    /// Author courses.
    #[serde(rename = "course:write")]
    CourseWrite,
    /// Assign learners to courses and manage cohorts.
    #[serde(rename = "enrolment:write")]
    EnrolmentWrite,
    /// Revoke learners' certificates. Tenant-wide roles only: a certificate speaks for
    /// the organisation.
    #[serde(rename = "certificate:revoke")]
    CertificateRevoke,
    /// Trade in the portfolio simulator with one's own paper portfolios.
    #[serde(rename = "sim:trade")]
    SimTrade,
    /// Set up class competitions in the simulator.
    #[serde(rename = "competition:write")]
    CompetitionWrite,
    /// Change the tenant's simulator rules and import market data.
    #[serde(rename = "sim:admin")]
    SimAdmin,
    /// Read reports and analytics.
    #[serde(rename = "report:read")]
    ReportRead,
    /// See plans, usage and invoices.
    #[serde(rename = "billing:read")]
    BillingRead,
    /// Change plan and billing details.
    #[serde(rename = "billing:write")]
    BillingWrite,
    /// Create, rotate and revoke the tenant's API keys.
    #[serde(rename = "apikey:manage")]
    ApiKeyManage,
    /// Register webhook endpoints, read their delivery log, replay messages.
    #[serde(rename = "webhook:manage")]
    WebhookManage,
    /// Operate the platform across tenants (`/v1/platform/*`). Only the platform_admin
    /// role holds it, and only a platform operator can grant it.
    #[serde(rename = "platform:operate")]
    PlatformOperate,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 22] = [
        Self::TenantRead,
        Self::TenantWrite,
        Self::UserRead,
        Self::UserWrite,
        Self::UserInvite,
        Self::RoleRead,
        Self::RoleWrite,
        Self::SessionRevoke,
        Self::AuditRead,
        Self::CourseRead,
        Self::CourseWrite,
        Self::EnrolmentWrite,
        Self::CertificateRevoke,
        Self::SimTrade,
        Self::CompetitionWrite,
        Self::SimAdmin,
        Self::ReportRead,
        Self::BillingRead,
        Self::BillingWrite,
        Self::ApiKeyManage,
        Self::WebhookManage,
        Self::PlatformOperate,
    ];

    /// The wire name, e.g. `user:invite`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantRead => "tenant:read",
            Self::TenantWrite => "tenant:write",
            Self::UserRead => "user:read",
            Self::UserWrite => "user:write",
            Self::UserInvite => "user:invite",
            Self::RoleRead => "role:read",
            Self::RoleWrite => "role:write",
            Self::SessionRevoke => "session:revoke",
            Self::AuditRead => "audit:read",
            Self::CourseRead => "course:read",
            Self::CourseWrite => "course:write",
            Self::EnrolmentWrite => "enrolment:write",
            Self::CertificateRevoke => "certificate:revoke",
            Self::SimTrade => "sim:trade",
            Self::CompetitionWrite => "competition:write",
            Self::SimAdmin => "sim:admin",
            Self::ReportRead => "report:read",
            Self::BillingRead => "billing:read",
            Self::BillingWrite => "billing:write",
            Self::ApiKeyManage => "apikey:manage",
            Self::WebhookManage => "webhook:manage",
            Self::PlatformOperate => "platform:operate",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| invalid("unknown_value", format!("{raw} is not a permission")))
    }
}

/// A role defined by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    /// Operates the platform across tenants, signed in as a person (so every action is
    /// attributed to them), with a second factor always required. Granted only by a
    /// platform operator (operator token or CLI).
    PlatformAdmin,
    /// Owns the tenant: everything, including billing.
    TenantOwner,
    /// Runs the tenant day to day: everything but billing changes.
    TenantAdmin,
    /// Authors courses and follows learners.
    Instructor,
    /// Takes courses.
    Learner,
    /// Read-only access to the audit trail and reports.
    Auditor,
    /// Manages plan and invoices.
    BillingAdmin,
}

impl BuiltinRole {
    /// Every built-in role.
    pub const ALL: [BuiltinRole; 7] = [
        Self::PlatformAdmin,
        Self::TenantOwner,
        Self::TenantAdmin,
        Self::Instructor,
        Self::Learner,
        Self::Auditor,
        Self::BillingAdmin,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::TenantOwner => "tenant_owner",
            Self::TenantAdmin => "tenant_admin",
            Self::Instructor => "instructor",
            Self::Learner => "learner",
            Self::Auditor => "auditor",
            Self::BillingAdmin => "billing_admin",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// What the role may do.
    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission as P;
        let all: BTreeSet<Permission> = Permission::ALL.into_iter().collect();
        let tenant_wide = || all.iter().copied().filter(|p| *p != P::PlatformOperate);
        match self {
            Self::PlatformAdmin => all,
            Self::TenantOwner => tenant_wide().collect(),
            Self::TenantAdmin => tenant_wide().filter(|p| *p != P::BillingWrite).collect(),
            Self::Instructor => [
                P::CourseRead,
                P::CourseWrite,
                P::EnrolmentWrite,
                P::UserRead,
                P::ReportRead,
                P::TenantRead,
                P::SimTrade,
                P::CompetitionWrite,
            ]
            .into(),
            Self::Learner => [P::CourseRead, P::TenantRead, P::SimTrade].into(),
            Self::Auditor => [
                P::AuditRead,
                P::ReportRead,
                P::UserRead,
                P::RoleRead,
                P::TenantRead,
            ]
            .into(),
            Self::BillingAdmin => [P::BillingRead, P::BillingWrite, P::TenantRead].into(),
        }
    }
}

/// Who is acting, as recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user of a tenant, with their effective permissions.
    User {
        /// The tenant.
        tenant: TenantId,
        /// The user.
        user: UserId,
        /// Union of the permissions of all their roles.
        permissions: BTreeSet<Permission>,
    },
    /// A platform operator (operator token or CLI).
    Platform,
    /// The system itself (jobs, schedules).
    System,
    /// Nobody authenticated yet (login attempts).
    Anonymous,
}

impl Actor {
    /// How the actor appears in audit records.
    pub fn audit_name(&self) -> String {
        match self {
            Self::User { user, .. } => format!("user:{user}"),
            Self::Platform => "platform".to_owned(),
            Self::System => "system".to_owned(),
            Self::Anonymous => "anonymous".to_owned(),
        }
    }

    /// Whether the actor holds `p` in `tenant`. Platform operators, and users holding
    /// `platform:operate`, hold everything everywhere.
    pub fn can(&self, tenant: TenantId, p: Permission) -> bool {
        match self {
            Self::User {
                tenant: t,
                permissions,
                ..
            } => {
                permissions.contains(&Permission::PlatformOperate)
                    || (*t == tenant && permissions.contains(&p))
            }
            Self::Platform | Self::System => true,
            Self::Anonymous => false,
        }
    }

    /// Whether the actor may operate the platform (`/v1/platform/*`, cross-tenant jobs
    /// and audit): the operator token, the CLI, the system, or a platform_admin user.
    pub fn is_platform(&self) -> bool {
        match self {
            Self::User { permissions, .. } => permissions.contains(&Permission::PlatformOperate),
            Self::Platform | Self::System => true,
            Self::Anonymous => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_and_roles_nest() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()).unwrap(), p);
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert!(Permission::parse("user:fly").is_err());
        let owner = BuiltinRole::TenantOwner.permissions();
        for r in BuiltinRole::ALL {
            if r != BuiltinRole::PlatformAdmin {
                assert!(r.permissions().is_subset(&owner), "{r:?} exceeds the owner");
                assert!(!r.permissions().contains(&Permission::PlatformOperate));
            }
            assert_eq!(BuiltinRole::parse(r.as_str()), Some(r));
        }
        assert!(owner.is_subset(&BuiltinRole::PlatformAdmin.permissions()));
        assert!(
            !BuiltinRole::TenantAdmin
                .permissions()
                .contains(&Permission::BillingWrite)
        );
        assert!(
            !BuiltinRole::Learner
                .permissions()
                .contains(&Permission::AuditRead)
        );
        // Instructors run classes; learners only enrol themselves.
        for r in [
            BuiltinRole::Instructor,
            BuiltinRole::TenantAdmin,
            BuiltinRole::TenantOwner,
        ] {
            assert!(
                r.permissions().contains(&Permission::EnrolmentWrite),
                "{r:?}"
            );
        }
        for r in [
            BuiltinRole::Learner,
            BuiltinRole::Auditor,
            BuiltinRole::BillingAdmin,
        ] {
            assert!(
                !r.permissions().contains(&Permission::EnrolmentWrite),
                "{r:?}"
            );
        }
    }

    #[test]
    fn only_platform_operate_crosses_tenants() {
        let (home, other) = (
            TenantId::from_uuid(uuid::Uuid::now_v7()),
            TenantId::from_uuid(uuid::Uuid::now_v7()),
        );
        let user = |role: BuiltinRole| Actor::User {
            tenant: home,
            user: UserId::from_uuid(uuid::Uuid::now_v7()),
            permissions: role.permissions(),
        };
        let owner = user(BuiltinRole::TenantOwner);
        assert!(owner.can(home, Permission::UserWrite));
        assert!(!owner.can(other, Permission::UserRead));
        assert!(!owner.is_platform());
        let ops = user(BuiltinRole::PlatformAdmin);
        assert!(ops.can(other, Permission::UserWrite));
        assert!(ops.is_platform());
        assert!(Actor::Platform.is_platform() && !Actor::Anonymous.is_platform());
    }
}

crate::define_id!(
    /// Identifies a tenant's custom role.
    CustomRoleId
);

/// A tenant-defined role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomRole {
    /// Identity.
    pub id: CustomRoleId,
    /// Unique name within the tenant.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// What it grants.
    pub permissions: BTreeSet<Permission>,
}

/// A role that can be granted: built-in or custom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleRef {
    /// A platform-defined role.
    Builtin(BuiltinRole),
    /// A tenant-defined role.
    Custom(CustomRoleId),
}

impl RoleRef {
    /// Storage and wire form: `auditor` or `custom:<id>`.
    pub fn key(&self) -> String {
        match self {
            Self::Builtin(r) => r.as_str().to_owned(),
            Self::Custom(id) => format!("custom:{id}"),
        }
    }

    /// Parses the storage and wire form.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if let Some(id) = raw.strip_prefix("custom:") {
            return id
                .parse()
                .map(Self::Custom)
                .map_err(|_| invalid("format", "custom roles are written custom:<id>"));
        }
        BuiltinRole::parse(raw)
            .map(Self::Builtin)
            .ok_or_else(|| invalid("unknown_value", format!("{raw} is not a role")))
    }
}
