import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, AGENT, applied, failPlacement, LB, lbCreated, lbDeleted, lbPlaced, lbSettingsChanged, listenerCreated,
  memberCreated, memberDeleted, memberStatusChanged, placeLb, placementFailed, poolCreated, rejected, reportApplied,
  reportMemberStatus, reportRejected, settled, withMember,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: placement', () => {
  it('places an unplaced load balancer at epoch 1', () => given([lbCreated()]).when(placeLb()).then([lbPlaced()]));
  it('places again with the next epoch (fencing)', () =>
    given(active()).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'failover' }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]));
  it('refuses a placement decided on a stale epoch', () =>
    given([...active(), lbPlaced({ agentId: 'agent-b', epoch: 2 })]).when(placeLb({ agentId: 'agent-c', expectedEpoch: 1 }))
      .thenThrows('Conflict', /epoch 2, not 1/));
  it('treats a retried placement as already done', () => given([lbCreated(), lbPlaced()]).when(placeLb()).then([]));
  it('re-places a deleted load balancer whose teardown is not applied yet', () =>
    given([...active(), lbDeleted()]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'failover' }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]));
  it('does not place a deleted load balancer that was torn down', () =>
    given(settled(lbCreated(), lbPlaced(), lbDeleted())).when(placeLb({ expectedEpoch: 1 })).thenThrows('NotFound'));
  it('does not place a deleted load balancer that was never placed', () =>
    given([lbCreated(), lbDeleted()]).when(placeLb()).thenThrows('NotFound'));
  it('fails the placement of an unplaced load balancer', () =>
    given([lbCreated()]).when(failPlacement()).then([placementFailed()]));
  it('fails it only once for the same reason', () => given([lbCreated(), placementFailed()]).when(failPlacement()).then([]));
  it('records a new reason', () =>
    given([lbCreated(), placementFailed()]).when(failPlacement('network unknown')).then([placementFailed('network unknown')]));
  it('refuses to fail a placed load balancer', () => given(active()).when(failPlacement()).thenThrows('IllegalState'));
  it('places a load balancer whose placement failed, once a candidate appears', () =>
    given([lbCreated(), placementFailed()]).when(placeLb()).then([lbPlaced()]));
});

describe('LoadBalancer: agent reports', () => {
  it('records an applied version (created + placed = version 2)', () =>
    given([lbCreated(), lbPlaced()]).when(reportApplied(2)).then([applied(2)]));
  it('refuses a version the load balancer has not reached', () =>
    given([lbCreated(), lbPlaced()]).when(reportApplied(3)).thenThrows('Invalid', /version 3/));
  it('treats an old or repeated applied version as done', () => given(active()).when(reportApplied(1)).then([]));
  it('refuses a report from an agent that does not host it', () =>
    given(active()).when(reportApplied(2, { agentId: 'agent-b' }))
      .thenThrows('Forbidden', `agent agent-b does not host load balancer ${LB} (epoch 1)`));
  it('refuses a report from an earlier placement of the same agent', () =>
    given([...active(), lbPlaced({ epoch: 2 })]).when(reportApplied(3, { epoch: 1 }))
      .thenThrows('Forbidden', `agent ${AGENT} does not host load balancer ${LB} (epoch 1)`));
  it('refuses reports for an unplaced load balancer', () =>
    given([lbCreated()]).when(reportApplied(1)).thenThrows('Forbidden'));
  it('refuses reports for an unknown load balancer', () =>
    given([]).when(reportApplied(1)).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('records a rejected version', () =>
    given([lbCreated(), lbPlaced()]).when(reportRejected(2)).then([rejected(2)]));
  it('treats a repeated rejection as done', () => given([lbCreated(), lbPlaced(), rejected(2)]).when(reportRejected(2)).then([]));
  it('ignores a rejection of an applied version', () => given(active()).when(reportRejected(2)).then([]));
  it('accepts the teardown report of a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(reportApplied(3)).then([applied(3)]));
  it('treats a repeated teardown report as done', () =>
    given(settled(lbCreated(), lbPlaced(), lbDeleted())).when(reportApplied(3)).then([]));
  it('records a member status change', () => given(withMember()).when(reportMemberStatus('ONLINE')).then([memberStatusChanged('ONLINE')]));
  it('ignores a member status equal to the last one', () =>
    given([...withMember(), memberStatusChanged('ONLINE')]).when(reportMemberStatus('ONLINE')).then([]));
  it('records a member going down after being up', () =>
    given([...withMember(), memberStatusChanged('ONLINE')]).when(reportMemberStatus('ERROR')).then([memberStatusChanged('ERROR')]));
  it('ignores a status of a member deleted since', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated(), memberDeleted())).when(reportMemberStatus('ONLINE')).then([]));
  it('fences member status reports too', () =>
    given(withMember()).when(reportMemberStatus('ONLINE', { epoch: 7 })).thenThrows('Forbidden'));
  it('accepts member status while a change is pending (status is not desired state)', () =>
    given([...withMember(), lbSettingsChanged({ name: 'n' })]).when(reportMemberStatus('ONLINE')).then([memberStatusChanged('ONLINE')]));
});
