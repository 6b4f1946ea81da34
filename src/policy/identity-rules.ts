/** A rule as data (the shape of rules.ts's PolicyRule, not imported: rules.ts imports this file). */
interface PolicyRule {
  name: string;
  checkStr: string;
  description: string;
}

/**
 * Keystone's admin-API rules (keystone/common/policies/{domain,project,user,role,grant,
 * role_assignment}.py), names verbatim. Keystone's 2024 defaults read "admin, or a reader with
 * system scope, or a reader/manager of the target's domain, or the target project's/user's own";
 * Stratus tokens are project-scoped only (no system or domain scope), so the system-scope and
 * domain-scope branches, which can never match here, are left out: what remains is the admin
 * branch and the owner branches. A domain manager persona is therefore not supported.
 */
const ADMIN = 'rule:admin_required';
const rule = (name: string, checkStr: string, description: string): PolicyRule => ({ name, checkStr, description });

export const KEYSTONE_ADMIN_RULES: PolicyRule[] = [
  rule('admin_required', 'role:admin or is_admin:1', 'Keystone: an admin.'),
  // domain.py: a project user may see its project's domain (token.project.domain.id).
  rule('identity:get_domain', `${ADMIN} or token.project.domain.id:%(target.domain.id)s`, 'Show a domain.'),
  rule('identity:list_domains', ADMIN, 'List domains.'),
  rule('identity:create_domain', ADMIN, 'Create a domain.'),
  rule('identity:update_domain', ADMIN, 'Update a domain.'),
  rule('identity:delete_domain', ADMIN, 'Delete a domain.'),
  // project.py
  rule('identity:get_project', `${ADMIN} or project_id:%(target.project.id)s`, 'Show a project.'),
  rule('identity:list_projects', ADMIN, 'List projects.'),
  rule('identity:list_user_projects', `${ADMIN} or user_id:%(target.user.id)s`, 'List the projects of a user.'),
  rule('identity:create_project', ADMIN, 'Create a project.'),
  rule('identity:update_project', ADMIN, 'Update a project.'),
  rule('identity:delete_project', ADMIN, 'Delete a project.'),
  // user.py
  rule('identity:get_user', `${ADMIN} or user_id:%(target.user.id)s`, 'Show a user.'),
  rule('identity:list_users', ADMIN, 'List users.'),
  rule('identity:create_user', ADMIN, 'Create a user.'),
  rule('identity:update_user', ADMIN, 'Update a user.'),
  rule('identity:delete_user', ADMIN, 'Delete a user.'),
  // role.py
  rule('identity:get_role', ADMIN, 'Show a role.'),
  rule('identity:list_roles', ADMIN, 'List roles.'),
  rule('identity:create_role', ADMIN, 'Create a role.'),
  rule('identity:delete_role', ADMIN, 'Delete a role.'),
  // grant.py and role_assignment.py
  rule('identity:check_grant', ADMIN, 'Check a role grant (HEAD).'),
  rule('identity:list_grants', ADMIN, "List a user's roles on a project."),
  rule('identity:create_grant', ADMIN, 'Grant a role to a user on a project.'),
  rule('identity:revoke_grant', ADMIN, 'Revoke a role from a user on a project.'),
  rule('identity:list_role_assignments', ADMIN, 'List role assignments.'),
];
