import type { DesiredLb } from '@lbaas/projections';
import { desiredLb, listener, member, monitor, pool, WEB1, WEB2 } from '../desired.fixtures';

/** The trees every golden file is rendered from: name -> desired load balancer. */
export const GOLDEN_CASES: Record<string, DesiredLb> = {
  'seed-http-monitor': desiredLb({
    listeners: [listener({ insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' } })],
  }),
  'tcp-leastconn': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 5432, connectionLimit: 2000, timeoutTcpInspect: 0 })],
    pools: [pool({ protocol: 'TCP', lbAlgorithm: 'LEAST_CONNECTIONS', monitor: monitor({ type: 'TCP', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  'persistence-source-ip': desiredLb({
    pools: [pool({ lbAlgorithm: 'SOURCE_IP', sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'persistence-http-cookie': desiredLb({
    pools: [pool({ sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'persistence-app-cookie': desiredLb({
    pools: [pool({ sessionPersistence: { type: 'APP_COOKIE', cookieName: 'JSESSIONID', persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'monitor-http11-host-range': desiredLb({
    pools: [pool({
      members: [member({ monitorAddress: '10.231.1.21', monitorPort: 9000 }), member({ memberId: WEB2, address: '10.231.1.12' })],
      monitor: monitor({ httpMethod: 'HEAD', urlPath: '/healthz?full=1', expectedCodes: '200-204', httpVersion: 1.1, domainName: 'app.example.com', delay: 5, timeout: 3, maxRetries: 3, maxRetriesDown: 3 }),
    })],
  }),
  'monitor-tls-hello': desiredLb({
    listeners: [listener({ protocol: 'HTTPS', protocolPort: 443 })],
    pools: [pool({ protocol: 'HTTPS', monitor: monitor({ type: 'TLS-HELLO', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  'disabled-members': desiredLb({
    pools: [pool({ members: [member(), member({ memberId: WEB2, address: '10.231.1.12', adminStateUp: false })] })],
  }),
  'backup-member': desiredLb({
    pools: [pool({ members: [member({ weight: 10 }), member({ memberId: WEB2, address: '10.231.1.12', backup: true })] })],
  }),
  'no-members': desiredLb({ pools: [pool({ members: [], monitor: null })] }),
  'no-monitor-proxy': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 8443 })],
    pools: [pool({ protocol: 'PROXY', monitor: null })],
  }),
  'disabled-lb': desiredLb({ adminStateUp: false }),
  'disabled-listener-and-pool': desiredLb({
    listeners: [listener({ adminStateUp: false }), listener({ listenerId: 'aaaaaaaa-0000-4000-8000-000000000009', protocolPort: 81 })],
    pools: [pool({ adminStateUp: false })],
  }),
};
