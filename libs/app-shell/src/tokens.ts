/** Nest injection tokens shared by the apps (adapters only: no provider holds rules). */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const CLOCK = Symbol('CLOCK');
export const LOGGER = Symbol('LOGGER');
export const CONFIG = Symbol('CONFIG');
export const PROJECTION = Symbol('PROJECTION');
/** The SecretStore of @lbaas/secret-store (null when no SECRETS_KEY is configured). */
export const SECRET_STORE = Symbol('SECRET_STORE');
