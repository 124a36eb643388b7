const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its canonical 8-4-4-4-12 form (the ids of every API resource). */
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** Agent ids are chosen by operators: short, subject-safe, usable in file and interface names. */
export const AGENT_ID = /^[a-z0-9][a-z0-9-]{0,23}$/;

/** True if `s` can be an agent id. */
export const isAgentId = (s: unknown): s is string => typeof s === 'string' && AGENT_ID.test(s);

/** Octavia and Neutron project ids: 32 hex characters from Keystone, or any short token in noauth setups. */
export const isProjectId = (s: unknown): s is string => typeof s === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(s);
