import { deciderSpec } from '@lbaas/testing';
import { lbReports, memberReports, relayedReport } from './agent-reports';
import {
  AGENT, applied, handoverDrained, handoverPrepared, handoverReleased, LB, memberStatusChanged, metadata, reportApplied, reportDrained, reportMemberStatus,
  reportPrepared, reportRejected, reportReleased, rejected,
} from './load-balancer/load-balancer.fixtures';

const member = deciderSpec(memberReports);
const lb = deciderSpec(lbReports);

describe('an agent\'s member report subject', () => {
  it('records a member status change', () => member([]).when(reportMemberStatus('ONLINE')).then([memberStatusChanged('ONLINE')]));
  it('ignores a member status equal to the last one', () =>
    member([memberStatusChanged('ONLINE')]).when(reportMemberStatus('ONLINE')).then([]));
  it('records a member going down after being up', () =>
    member([memberStatusChanged('ONLINE')]).when(reportMemberStatus('ERROR')).then([memberStatusChanged('ERROR')]));
  it('records the first status at a new epoch even when equal (the views keep the old one until then)', () =>
    member([memberStatusChanged('ONLINE')]).when(reportMemberStatus('ONLINE', { epoch: 2 })).then([memberStatusChanged('ONLINE', { epoch: 2 })]));
  it('depends on the last message only: a subject that kept only its last reports decides the same', () =>
    member([memberStatusChanged('ERROR'), memberStatusChanged('ONLINE')]).when(reportMemberStatus('ONLINE')).then([]));
});

describe('an agent\'s LB report subject', () => {
  it('records an applied version once', () => {
    lb([]).when(reportApplied(3)).then([applied(3)]);
    lb([applied(3)]).when(reportApplied(3)).then([]);
  });
  it('records a newer version, a rejection of the applied one, and the same version applied again after it', () => {
    lb([applied(3)]).when(reportApplied(4)).then([applied(4)]);
    lb([applied(3)]).when(reportRejected(3)).then([rejected(3)]);
    lb([applied(3), rejected(3)]).when(reportApplied(3)).then([applied(3)]);
  });
  it('records the same version at a new epoch (another placement)', () =>
    lb([applied(3)]).when(reportApplied(3, { epoch: 2 })).then([applied(3, { epoch: 2 })]));
  it('records each hand-over step once', () => {
    lb([]).when(reportPrepared({ epoch: 2 })).then([handoverPrepared({ epoch: 2 })]);
    lb([handoverPrepared({ epoch: 2 })]).when(reportPrepared({ epoch: 2 })).then([]);
    lb([applied(3)]).when(reportReleased()).then([handoverReleased()]);
    lb([handoverReleased({ epoch: 2 })]).when(reportDrained()).then([handoverDrained()]);
    lb([handoverDrained()]).when(reportDrained()).then([]);
  });
});

describe('the scheduler\'s relay of an LB report', () => {
  const subject = { kind: 'lb' as const, agentId: AGENT, lbId: LB };
  it('asks the LB decider to take the report with the report\'s id and time', () => {
    expect(relayedReport(subject, applied(3), metadata)).toEqual({ type: 'ReportApplied', data: { lbId: LB, agentId: AGENT, epoch: 1, version: 3 }, metadata });
    expect(relayedReport(subject, handoverReleased(), metadata)?.type).toBe('ReportHandoverReleased');
    expect(relayedReport(subject, handoverDrained(), metadata)).toEqual({ type: 'ReportHandoverDrained', data: { lbId: LB, agentId: AGENT, epoch: 2 }, metadata });
    expect(relayedReport(subject, rejected(3), metadata)).toMatchObject({ type: 'ReportRejected', data: { reason: expect.any(String) } });
  });
  it('relays nothing that names another agent or LB than its subject', () => {
    expect(relayedReport({ ...subject, agentId: 'agent-x' }, applied(3), metadata)).toBeNull();
    expect(relayedReport({ ...subject, lbId: 'other' }, applied(3), metadata)).toBeNull();
  });
});
