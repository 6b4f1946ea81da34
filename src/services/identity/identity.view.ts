/** Keystone's wire form of domains, projects, users, roles and role assignments. */

// The rows as the use cases hand them over (the view knows no storage module).
export interface DomainRow {
  id: string;
  name: string;
  description: string;
  enabled: number;
}
export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: number;
  parent_id: string | null;
  extra: string;
}
export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string;
  default_project_id: string | null;
  enabled: number;
  password_generation: number;
  extra: string;
}
export interface RoleRow {
  id: string;
  name: string;
}
export interface AssignmentRow {
  user_id: string;
  project_id: string;
  role_id: string;
  user_name: string;
  user_domain_id: string;
  project_name: string;
  project_domain_id: string;
  role_name: string;
}

const extra = (json: string): Record<string, unknown> => {
  const v = JSON.parse(json) as unknown;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
};

export function domainView(d: DomainRow, v3: string) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled === 1,
    tags: [],
    options: {},
    links: { self: `${v3}/domains/${d.id}` },
  };
}

/** A top-level project's parent is its domain, as Keystone shows it (projects act as domains there). */
export function projectView(p: ProjectRow, v3: string) {
  const ex = extra(p.extra);
  return {
    ...ex,
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: p.enabled === 1,
    parent_id: p.parent_id ?? p.domain_id,
    is_domain: false,
    tags: Array.isArray(ex.tags) ? ex.tags : [],
    options: {},
    links: { self: `${v3}/projects/${p.id}` },
  };
}

/** Never the password hash. `default_project_id` only when set, as Keystone. */
export function userView(u: UserRow, v3: string) {
  return {
    ...extra(u.extra),
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled === 1,
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    password_expires_at: null,
    options: {},
    links: { self: `${v3}/users/${u.id}` },
  };
}

export function roleView(r: RoleRow, v3: string) {
  return {
    id: r.id,
    name: r.name,
    domain_id: null,
    description: null,
    options: {},
    links: { self: `${v3}/roles/${r.id}` },
  };
}

/** GET /v3/role_assignments entries; names (and domain names) only with include_names. */
export function assignmentView(a: AssignmentRow, v3: string, names: Map<string, string> | undefined) {
  const domain = (id: string) => (names ? { id, name: names.get(id) ?? id } : { id });
  return {
    role: names ? { id: a.role_id, name: a.role_name } : { id: a.role_id },
    user: names ? { id: a.user_id, name: a.user_name, domain: domain(a.user_domain_id) } : { id: a.user_id },
    scope: {
      project: names
        ? { id: a.project_id, name: a.project_name, domain: domain(a.project_domain_id) }
        : { id: a.project_id },
    },
    links: { assignment: `${v3}/projects/${a.project_id}/users/${a.user_id}/roles/${a.role_id}` },
  };
}

export const collectionLinks = (self: string) => ({ self, previous: null, next: null });
