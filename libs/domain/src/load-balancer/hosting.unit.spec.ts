import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, AGENT, applied, failPlacement, handoverDrained, handoverPrepared, handoverReleased, LB, lbCreated, lbDeleted, lbPlaced,
  lbSettingsChanged, placeLb, placementFailed, rejected, reportApplied, reportDrained, reportPrepared, reportRejected, reportReleased, settled,
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
  it('records a rejection of a version applied before at the same epoch (it ran, then could not be built after a restart)', () =>
    given(active()).when(reportRejected(2)).then([rejected(2)]));
  it('records the same version applied again once it is rebuilt', () =>
    given([...active(), rejected(2)]).when(reportApplied(2)).then([applied(2)]));
  it('treats an older version than the last report as nothing new', () =>
    given([...active(lbSettingsChanged({ name: 'n' }))]).when(reportRejected(2)).then([]));
  it('records a rejection by a new host of a version applied on the old one', () => {
    const moved = [...active(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })];
    return given([...moved, applied(3, { agentId: 'agent-b', epoch: 2 })])
      .when(reportRejected(3, { agentId: 'agent-b', epoch: 2, reason: 'missing certificate' }))
      .then([rejected(3, { agentId: 'agent-b', epoch: 2, reason: 'missing certificate' })]);
  });
  it('accepts the teardown report of a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(reportApplied(3)).then([applied(3)]));
  it('treats a repeated teardown report as done', () =>
    given(settled(lbCreated(), lbPlaced(), lbDeleted())).when(reportApplied(3)).then([]));
  it('no longer decides member statuses: they go to the agent\'s own report subject (agent-reports.ts)', () =>
    expect(() => loadBalancer.decide({ type: 'ReportMemberStatus' } as never, loadBalancer.initialState())).toThrow());
});

describe('LoadBalancer: hand-over of a planned move', () => {
  const moving = (reason: 'operator' | 'drain' = 'operator') => [...active(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason })];
  it('lets the new agent report its copy prepared, once', () =>
    given(moving()).when(reportPrepared()).then([handoverPrepared()]));
  it('treats a repeated prepared report as done', () => given([...moving('drain'), handoverPrepared()]).when(reportPrepared()).then([]));
  it('lets the old agent, at its old epoch, release the VIP, once', () =>
    given([...moving(), handoverPrepared()]).when(reportReleased()).then([handoverReleased()]));
  it('lets the old agent release before the new one is prepared (it has no copy to keep)', () =>
    given(moving('drain')).when(reportReleased()).then([handoverReleased()]));
  it('treats a repeated release as done', () => given([...moving(), handoverReleased()]).when(reportReleased()).then([]));
  it('refuses a release from another agent or epoch', () => {
    given(moving()).when(reportReleased({ agentId: 'agent-c' })).thenThrows('Forbidden', /agent agent-c is not handing over/);
    given(moving()).when(reportReleased({ epoch: 2 })).thenThrows('Forbidden');
  });
  it('fences prepared reports like every report', () =>
    given(moving()).when(reportPrepared({ agentId: AGENT, epoch: 1 })).thenThrows('Forbidden'));
  it('has no hand-over after an unplanned failover (a dead copy is never waited for) or a first placement', () => {
    given([...active(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]).when(reportPrepared()).thenThrows('IllegalState');
    given([...active(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]).when(reportReleased()).thenThrows('Forbidden');
    given([lbCreated(), lbPlaced({ reason: 'operator' })]).when(reportPrepared({ agentId: AGENT, epoch: 1 })).thenThrows('IllegalState');
  });
  it('ends the hand-over with the next placement: the older agent may not release any more', () =>
    given([...moving(), lbPlaced({ agentId: 'agent-c', epoch: 3, reason: 'failover' })]).when(reportReleased()).thenThrows('Forbidden'));
  it('starts a new hand-over from the agent that was handed the copy', () =>
    given([...moving(), lbPlaced({ agentId: 'agent-c', epoch: 3, reason: 'operator' })])
      .when(reportReleased({ agentId: 'agent-b', epoch: 2 })).then([handoverReleased({ agentId: 'agent-b', epoch: 2 })]));
});

describe('LoadBalancer: ACTIVE_STANDBY placement (issue 14)', () => {
  const flavor = { flavorId: 'f', topology: 'ACTIVE_STANDBY' as const, maxListeners: null, maxListenerConnections: null };
  const side = (agentId: string, amphora: number, host = `host-${agentId}`) =>
    ({ agentId, host, amphora, vrrpAddress: `198.51.100.${20 + amphora}`, vrrpPortId: `port-${amphora}` });
  const pair = { master: side('agent-a', 0), standby: side('agent-b', 1) };
  const created = lbCreated({ flavor });
  it('places both sides under one epoch', () =>
    given([created]).when(placeLb({ pair })).then([lbPlaced({ pair })]));
  it('refuses to place an ACTIVE_STANDBY load balancer on one agent', () =>
    given([created]).when(placeLb()).thenThrows('Conflict', /is ACTIVE_STANDBY/));
  it('refuses a pair for a SINGLE load balancer', () =>
    given([lbCreated()]).when(placeLb({ pair })).thenThrows('Invalid', /not ACTIVE_STANDBY/));
  it('refuses a master that is not the placement\'s agent', () =>
    given([created]).when(placeLb({ agentId: 'agent-b', pair })).thenThrows('Invalid', /master agent-a is not the placement's agent agent-b/));
  it('refuses a standby on the master\'s host', () =>
    given([created]).when(placeLb({ pair: { master: pair.master, standby: side('agent-c', 1, 'host-agent-a') } }))
      .thenThrows('Invalid', /another host than its master \(host-agent-a\)/));
  it('refuses two sides with one VRRP address', () =>
    given([created]).when(placeLb({ pair: { master: pair.master, standby: { ...pair.standby, vrrpAddress: pair.master.vrrpAddress } } }))
      .thenThrows('Invalid', /own amphora and VRRP address/));
  it('places a degraded pair (no standby host)', () =>
    given([created]).when(placeLb({ pair: { master: pair.master, standby: null } })).then([lbPlaced({ pair: { master: pair.master, standby: null } })]));
  it('promotes the standby: the next epoch names it master', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'failover', pair: { master: pair.standby, standby: null } }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover', pair: { master: pair.standby, standby: null } })]));
  it('places a new standby beside the same master', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ expectedEpoch: 1, reason: 'standby', pair: { master: pair.master, standby: side('agent-c', 2) } }))
      .then([lbPlaced({ epoch: 2, reason: 'standby', pair: { master: pair.master, standby: side('agent-c', 2) } })]));
  it('refuses a standby placement that changes the master', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'standby', pair: { master: pair.standby, standby: null } }))
      .thenThrows('Invalid', /keeps its master agent-a/));
  it('takes the master\'s reports', () =>
    given([created, lbPlaced({ pair })]).when(reportApplied(2)).then([applied(2)]));
  it('takes the standby\'s reports at the epoch and drops them (only the master\'s status counts)', () =>
    given([created, lbPlaced({ pair })]).when(reportApplied(2, { agentId: 'agent-b' })).then([]));
  it('drops the standby\'s rejections too', () =>
    given([created, lbPlaced({ pair })]).when(reportRejected(2, { agentId: 'agent-b' })).then([]));
  it('refuses a report of a side of an earlier epoch', () =>
    given([created, lbPlaced({ pair }), lbPlaced({ epoch: 2, reason: 'standby', pair: { master: pair.master, standby: side('agent-c', 2) } })])
      .when(reportApplied(3, { agentId: 'agent-b', epoch: 1 })).thenThrows('Forbidden'));
  it('re-places a deleted pair on one agent to tear it down', () =>
    given([created, lbPlaced({ pair }), lbDeleted()]).when(placeLb({ agentId: 'agent-c', expectedEpoch: 1, reason: 'failover' }))
      .then([lbPlaced({ agentId: 'agent-c', epoch: 2, reason: 'failover' })]));
  it('an operator failover promotes the standby and keeps the old master as standby (make before break)', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'operator', pair: { master: pair.standby, standby: pair.master } }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'operator', pair: { master: pair.standby, standby: pair.master } })]));
  it('an operator failover may place the same pair again (its standby is replaced)', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ expectedEpoch: 1, reason: 'operator', pair }))
      .then([lbPlaced({ epoch: 2, reason: 'operator', pair })]));
  it('refuses an operator failover that moves the VIP to a side not yet built', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ agentId: 'agent-c', expectedEpoch: 1, reason: 'operator', pair: { master: side('agent-c', 2), standby: pair.standby } }))
      .thenThrows('Invalid', /promotes its standby agent-b, not agent agent-c/));
  it('starts no hand-over for a pair moved by drain (the standby already serves)', () =>
    given([created, lbPlaced({ pair })]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'drain', pair: { master: pair.standby, standby: null } }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'drain', pair: { master: pair.standby, standby: null } })]));
  const swapped = { master: pair.standby, standby: pair.master };
  const promotedBy = (reason: 'operator' | 'drain') => [created, lbPlaced({ pair }), lbPlaced({ agentId: 'agent-b', epoch: 2, reason, pair: swapped })];
  it('a planned promotion hands over: the promoted master reports prepared', () =>
    given(promotedBy('operator')).when(reportPrepared({ agentId: 'agent-b', epoch: 2 })).then([handoverPrepared({ agentId: 'agent-b', epoch: 2 })]));
  it('... and the old master, now the standby, releases at the current epoch (or its old one), once', () => {
    given([...promotedBy('drain'), handoverPrepared()]).when(reportReleased({ agentId: AGENT, epoch: 2 }))
      .then([handoverReleased({ agentId: AGENT, epoch: 2 })]);
    given([...promotedBy('operator'), handoverReleased({ agentId: AGENT, epoch: 2 })]).when(reportReleased({ agentId: AGENT, epoch: 2 })).then([]);
    given(promotedBy('operator')).when(reportReleased({ agentId: AGENT, epoch: 1 })).then([handoverReleased({ agentId: AGENT, epoch: 1 })]);
  });
  it('a standby failover (the same pair again) and a promotion after a death hand nothing over', () => {
    given([created, lbPlaced({ pair }), lbPlaced({ epoch: 2, reason: 'operator', pair })]).when(reportPrepared({ agentId: AGENT, epoch: 2 })).thenThrows('IllegalState');
    given([created, lbPlaced({ pair }), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover', pair: swapped })])
      .when(reportPrepared({ agentId: 'agent-b', epoch: 2 })).thenThrows('IllegalState');
  });
  it('refuses a release from the promoted side', () =>
    given(promotedBy('operator')).when(reportReleased({ agentId: 'agent-b', epoch: 2 })).thenThrows('Forbidden'));
  const releasedBy = (reason: 'operator' | 'drain') => [...promotedBy(reason), handoverPrepared(), handoverReleased({ agentId: AGENT, epoch: 2 })];
  it('the old master, released, reports drained (its release ended) at the current epoch as the standby, once', () => {
    given(releasedBy('drain')).when(reportDrained()).then([handoverDrained()]);
    given(releasedBy('operator')).when(reportDrained()).then([handoverDrained()]);
    given([...releasedBy('operator'), handoverDrained()]).when(reportDrained()).then([]);
  });
  it('refuses a drained report before the release, from the promoted side, from another agent or at another epoch', () => {
    given(promotedBy('operator')).when(reportDrained()).thenThrows('IllegalState', /has not released/);
    given(releasedBy('operator')).when(reportDrained({ agentId: 'agent-b' })).thenThrows('Forbidden', /not the retiring master/);
    given(releasedBy('operator')).when(reportDrained({ agentId: 'agent-c' })).thenThrows('Forbidden');
    given(releasedBy('operator')).when(reportDrained({ epoch: 1 })).thenThrows('Forbidden');
  });
  it('refuses a drained report once the hand-over ended (a new standby placed) and from a SINGLE copy\'s old agent', () => {
    given([...releasedBy('operator'), lbPlaced({ agentId: 'agent-b', epoch: 3, reason: 'standby', pair: { master: pair.standby, standby: side('agent-c', 2) } })])
      .when(reportDrained({ epoch: 3 })).thenThrows('Forbidden');
    given([...active(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'operator' }), handoverPrepared(), handoverReleased()])
      .when(reportDrained({ epoch: 2 })).thenThrows('Forbidden');
  });
});
