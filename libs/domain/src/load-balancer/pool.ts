import {
  LB_ALGORITHMS, PERSISTENCE_TYPES,
  type CreatePool, type DeletePool, type LoadBalancerEvent, type PoolSettings, type UpdatePool,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import {
  checkBool, checkOneOf, checkTags, checkText, COOKIE_NAME, effectiveChanges, isEmpty, validationFailure,
} from '../field-rules';
import { checkListenerPoolProtocols, checkPoolProtocol } from '../protocol-rules';
import { checkPoolTlsSettings } from '../tls-rules';
import { assertMutable, listenerOf, live, poolOf } from './guards';
import { policyUsingPool } from './l7';
import type { LoadBalancer } from './state';

const checkPoolSettings = (x: PoolSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  checkOneOf('lb_algorithm', x.lbAlgorithm, LB_ALGORITHMS);
  const sp = x.sessionPersistence;
  if (!sp) return;
  checkOneOf('type', sp.type, PERSISTENCE_TYPES);
  // Octavia's wording (common/validate.py check_session_persistence).
  if (sp.cookieName !== null && sp.cookieName !== undefined) {
    if (sp.type !== 'APP_COOKIE') {
      throw validationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
    }
    if (!COOKIE_NAME.test(sp.cookieName)) throw validationFailure('Supplied "cookie_name" is invalid.');
  } else if (sp.type === 'APP_COOKIE') {
    throw validationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
  if ((sp.persistenceTimeout ?? null) !== null || (sp.persistenceGranularity ?? null) !== null) {
    throw validationFailure('persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.');
  }
};

export const createPool = ({ data, metadata }: CreatePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.pools.has(data.poolId)) return [];
  checkPoolProtocol(data.protocol);
  checkPoolSettings(data);
  checkPoolTlsSettings(data.protocol, data);
  assertMutable(lb);
  if (data.listenerId !== null) {
    const listener = listenerOf(lb, data.listenerId);
    if (listener.settings.defaultPoolId !== null) {
      throw new DomainError('Conflict', `Listener ${data.listenerId} already has a default pool`);
    }
    checkListenerPoolProtocols(listener.protocol, data.protocol);
  }
  return [{ type: 'PoolCreated', v: 1, data: { ...data, at: metadata.now } }];
};

export const updatePool = ({ data, metadata }: UpdatePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  const changes = effectiveChanges(pool.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkPoolSettings({ ...pool.settings, ...changes });
  checkPoolTlsSettings(pool.protocol, { ...pool.settings, ...changes });
  return [{ type: 'PoolSettingsChanged', v: 1, data: { lbId: data.lbId, poolId: data.poolId, changes, at: metadata.now } }];
};

export const deletePool = ({ data, metadata }: DeletePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  assertMutable(lb);
  const user = policyUsingPool(lb, data.poolId);
  if (user) throw new DomainError('Conflict', `Pool ${data.poolId} is in use by L7 policy ${user}`);
  if ((data.policy ?? 'strict') === 'strict') {
    // The bottom-up rule: health monitor, then members (neutron-lbaas's "pool is using healthmonitor <id>").
    if (pool.healthMonitorId !== null) throw new DomainError('Conflict', `pool is using healthmonitor ${pool.healthMonitorId}`);
    const member = pool.members.keys().next();
    if (!member.done) throw new DomainError('Conflict', `pool is using member ${member.value}`);
  }
  return [{ type: 'PoolDeleted', v: 1, data: { lbId: data.lbId, poolId: data.poolId, at: metadata.now } }];
};
