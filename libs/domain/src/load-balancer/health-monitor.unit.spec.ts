import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, createMonitor, deleteMonitor, listenerCreated, monitorCreated, monitorDeleted, monitorSettingsChanged, OTHER,
  poolCreated, updateMonitor, withMonitor, withPool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: health monitors', () => {
  it('adds an HTTP monitor', () => given(withPool()).when(createMonitor()).then([monitorCreated()]));
  it.each(['PING', 'TCP', 'TLS-HELLO'] as const)('adds a %s monitor without HTTP fields', (type) => {
    const o = { type, httpMethod: null, urlPath: null, expectedCodes: null };
    given(withPool()).when(createMonitor(o)).then([monitorCreated(o)]);
  });
  it('treats a retried create as already done', () => given(withMonitor()).when(createMonitor()).then([]));
  it('refuses a second monitor on a pool (Octavia message)', () =>
    given(withMonitor()).when(createMonitor({ healthMonitorId: OTHER })).thenThrows('Conflict', 'This pool already has a health monitor'));
  it('accepts a monitor again after the first was deleted', () =>
    given(active(listenerCreated(), poolCreated(), monitorCreated(), monitorDeleted())).when(createMonitor({ healthMonitorId: OTHER }))
      .then([monitorCreated({ healthMonitorId: OTHER })]));
  it.each(['UDP-CONNECT', 'SCTP'] as const)('refuses a %s monitor as unsupported', (type) =>
    given(withPool()).when(createMonitor({ type, httpMethod: null, urlPath: null, expectedCodes: null }))
      .thenThrows('Invalid', `Provider 'lbaas' does not support a requested option: health monitor type ${type} is not supported.`));
  it('accepts a timeout longer than the delay, as Octavia and neutron-lbaas do (the networking guide uses delay 5, timeout 10)', () =>
    given(withPool()).when(createMonitor({ delay: 5, timeout: 10 })).then([monitorCreated({ delay: 5, timeout: 10 })]));
  it('accepts a timeout equal to the delay', () =>
    given(withPool()).when(createMonitor({ delay: 3, timeout: 3 })).then([monitorCreated({ delay: 3, timeout: 3 })]));
  it.each([['delay', 0], ['timeout', 0], ['maxRetries', 0], ['maxRetries', 11], ['maxRetriesDown', 0], ['maxRetriesDown', 11]] as const)(
    'refuses %s %p', (field, value) => given(withPool()).when(createMonitor({ [field]: value })).thenThrows('Invalid'));
  it.each([['httpMethod', 'GET'], ['urlPath', '/'], ['expectedCodes', '200']] as const)('refuses %s on a TCP monitor', (field, value) =>
    given(withPool()).when(createMonitor({ type: 'TCP', httpMethod: null, urlPath: null, expectedCodes: null, [field]: value }))
      .thenThrows('Invalid', /only valid for HTTP and HTTPS health monitors/));
  it.each(['/a b', 'health', '/x\nHTTP/1.1', `/${'a'.repeat(255)}`])('refuses url_path %p', (urlPath) =>
    given(withPool()).when(createMonitor({ urlPath })).thenThrows('Invalid', /url_path/));
  it('accepts a url path with a query', () =>
    given(withPool()).when(createMonitor({ urlPath: '/healthz?full=1&x=%20' })).then([monitorCreated({ urlPath: '/healthz?full=1&x=%20' })]));
  it.each(['200', '200,202', '200-204', '100', '599'])('accepts expected_codes %p', (expectedCodes) =>
    given(withPool()).when(createMonitor({ expectedCodes })).then([monitorCreated({ expectedCodes })]));
  it.each(['2000', '200-', '600', '099', '204-200', '200;202', '', '200, 202'])('refuses expected_codes %p', (expectedCodes) =>
    given(withPool()).when(createMonitor({ expectedCodes })).thenThrows('Invalid', /expected_codes/));
  it('refuses http_version 2', () => given(withPool()).when(createMonitor({ httpVersion: 2 })).thenThrows('Invalid', /http_version/));
  it('accepts a domain name with HTTP/1.1', () =>
    given(withPool()).when(createMonitor({ httpVersion: 1.1, domainName: 'www.example.com' }))
      .then([monitorCreated({ httpVersion: 1.1, domainName: 'www.example.com' })]));
  it('refuses a domain name without HTTP/1.1', () =>
    given(withPool()).when(createMonitor({ httpVersion: 1.0, domainName: 'www.example.com' })).thenThrows('Invalid', /http_version 1.1/));
  it.each(['-bad.example', 'a b', 'a..b', 'x'.repeat(64)])('refuses domain name %p', (domainName) =>
    given(withPool()).when(createMonitor({ httpVersion: 1.1, domainName })).thenThrows('Invalid', /domain_name/));
  it('records only changed monitor settings', () =>
    given(withMonitor()).when(updateMonitor({ delay: 10, timeout: 3 })).then([monitorSettingsChanged({ delay: 10 })]));
  it('validates the merged monitor (a timeout out of range)', () =>
    given(withMonitor()).when(updateMonitor({ timeout: 0 })).thenThrows('Invalid', /timeout/));
  it('deletes a monitor', () => given(withMonitor()).when(deleteMonitor()).then([monitorDeleted()]));
});
