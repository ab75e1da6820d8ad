import { ROLES, type Role } from "@/db/schema";

export { ROLES, type Role };

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` may do what `required` allows (admin ⊃ operator ⊃ viewer). */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/** Who made a call: an API key, or the bootstrap admin key from ADMIN_API_KEY. */
export interface Principal {
  /** `key:<uuid>` or `env:ADMIN_API_KEY`, as written to the audit log. */
  actor: string;
  keyId: string | null;
  role: Role;
}
