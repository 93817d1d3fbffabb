//! Who may do what: the roles, an API token's scope, and the permissions they grant together.
//!
//! One table answers every front end: the HTTP server asks [`permits`] before it runs an
//! endpoint, and the service asks [`Role::may`] where an operation guards itself (approving).
//! Deliberately no users, sessions or secrets here: those are the service's; this is only the
//! rule, so that it can be read in one place and tested without a database.

use crate::customer::text_enum;

text_enum!(
    /// What a user is in the A/R team.
    Role, "role" {
        Admin => "admin",
        Manager => "manager",
        Clerk => "clerk",
        Collector => "collector",
        Sales => "sales",
        Auditor => "auditor",
    }
);

text_enum!(
    /// What an API token may be used for: reading only, or whatever its user's role may do.
    Scope, "token scope" {
        Read => "read",
        Write => "write",
    }
);

/// Something a front end or operation needs leave for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the books: the whole ledger, or (for sales) the user's own customers.
    Read,
    /// Post money events: invoices, payments, applications, memos, adjustments, write-offs,
    /// refunds, imports of invoices and bank files.
    WriteMoney,
    /// Collections work: the contact log, promises, payment plans, disputes, dunning.
    Collect,
    /// Approve or reject what waits for a checker (maker-checker), and set the limits over
    /// which it waits.
    Approve,
    /// Close and reopen periods, waive checklist items, book the reserve.
    Close,
    /// Users, tokens and settings (dunning policies).
    Administer,
}

/// Which customers a role reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every customer of the entity.
    Everyone,
    /// Only customers whose sales rep is the user.
    OwnCustomers,
}

impl Role {
    pub fn all() -> [Role; 6] {
        [
            Role::Admin,
            Role::Manager,
            Role::Clerk,
            Role::Collector,
            Role::Sales,
            Role::Auditor,
        ]
    }

    /// Whether the role grants `permission` at all (a token's scope may narrow it further).
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            Read => true,
            WriteMoney => matches!(self, Admin | Manager | Clerk),
            Collect => matches!(self, Admin | Manager | Collector),
            Approve | Close => matches!(self, Admin | Manager),
            Administer => self == Admin,
        }
    }

    /// Which customers the role reads. Clerks and collectors work every account, so they read
    /// every account; a sales rep sees the customers assigned to them.
    pub fn reach(self) -> Reach {
        match self {
            Role::Sales => Reach::OwnCustomers,
            _ => Reach::Everyone,
        }
    }
}

/// Whether a user of `role`, signed in by browser session (`scope` `None`) or by an API token
/// of `scope`, may do what `permission` names. A read token permits reading only.
pub fn permits(role: Role, scope: Option<Scope>, permission: Permission) -> bool {
    let scope_allows = match scope {
        None | Some(Scope::Write) => true,
        Some(Scope::Read) => permission == Permission::Read,
    };
    scope_allows && role.may(permission)
}

/// Whether `user` (of `role`) may read a customer whose sales rep is `sales_rep`.
pub fn reads_customer(role: Role, user: &str, sales_rep: &str) -> bool {
    match role.reach() {
        Reach::Everyone => true,
        Reach::OwnCustomers => !user.is_empty() && sales_rep.trim() == user,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL_PERMISSIONS: [Permission; 6] = [
        Permission::Read,
        Permission::WriteMoney,
        Permission::Collect,
        Permission::Approve,
        Permission::Close,
        Permission::Administer,
    ];

    fn granted(role: Role) -> Vec<Permission> {
        ALL_PERMISSIONS
            .into_iter()
            .filter(|p| role.may(*p))
            .collect()
    }

    #[test]
    fn each_role_gets_what_the_team_does() {
        use Permission::*;
        assert_eq!(
            granted(Role::Admin),
            vec![Read, WriteMoney, Collect, Approve, Close, Administer]
        );
        assert_eq!(
            granted(Role::Manager),
            vec![Read, WriteMoney, Collect, Approve, Close]
        );
        assert_eq!(granted(Role::Clerk), vec![Read, WriteMoney]);
        assert_eq!(granted(Role::Collector), vec![Read, Collect]);
        assert_eq!(granted(Role::Sales), vec![Read]);
        assert_eq!(granted(Role::Auditor), vec![Read]);
    }

    #[test]
    fn sales_reads_only_its_own_customers() {
        assert!(reads_customer(Role::Sales, "ann", "ann"));
        assert!(!reads_customer(Role::Sales, "ann", "bob"));
        assert!(!reads_customer(Role::Sales, "ann", ""));
        assert!(!reads_customer(Role::Sales, "", ""));
        assert!(reads_customer(Role::Auditor, "ann", "bob"));
        assert!(reads_customer(Role::Clerk, "ann", ""));
    }

    #[test]
    fn roles_read_and_print_as_their_names() {
        for role in Role::all() {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("boss".parse::<Role>().is_err());
        assert_eq!("READ".parse::<Scope>(), Ok(Scope::Read));
    }

    fn any_role() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::all().to_vec())
    }

    fn any_permission() -> impl Strategy<Value = Permission> {
        proptest::sample::select(ALL_PERMISSIONS.to_vec())
    }

    proptest! {
        /// A token never grants more than its user's role, and a read token never writes.
        #[test]
        fn a_token_never_widens_its_role(role in any_role(), permission in any_permission()) {
            for scope in [None, Some(Scope::Read), Some(Scope::Write)] {
                if permits(role, scope, permission) {
                    prop_assert!(role.may(permission));
                }
            }
            prop_assert_eq!(permits(role, Some(Scope::Read), permission), permission == Permission::Read);
            prop_assert_eq!(permits(role, Some(Scope::Write), permission), role.may(permission));
            prop_assert_eq!(permits(role, None, permission), role.may(permission));
        }
    }
}
