import { desiredLb, POOL_ID, WEB1, WEB2 } from '@lbaas/testing';
import { changedHealth, memberHealth, parseShowStat, serverStatus } from './health-reports';

const CSV = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,
${POOL_ID},${WEB1},0,0,0,1,,10,1,2,,0,,0,0,0,0,UP,1,1,0,0,
${POOL_ID},${WEB2},0,0,0,1,,10,1,2,,0,,0,0,0,0,DOWN,1,1,0,3,
${POOL_ID},BACKEND,0,0,0,1,,10,1,2,0,0,,0,0,0,0,UP,2,2,0,,
`;

describe('health', () => {
  it('parses show stat and maps each member of the LB', () => {
    expect(memberHealth(desiredLb(), parseShowStat(CSV))).toEqual([
      { lbId: desiredLb().lbId, poolId: POOL_ID, memberId: WEB1, status: 'ONLINE' },
      { lbId: desiredLb().lbId, poolId: POOL_ID, memberId: WEB2, status: 'ERROR' },
    ]);
  });

  it('with a field list, keeps only those fields (the poll reads five of ~100) and maps the same', () => {
    const rows = parseShowStat(CSV, ['pxname', 'svname', 'status', 'weight', 'check_status']);
    expect(rows[0]).toEqual({ pxname: POOL_ID, svname: WEB1, status: 'UP', weight: '1' });
    expect(memberHealth(desiredLb(), rows)).toEqual(memberHealth(desiredLb(), parseShowStat(CSV)));
  });

  it.each([
    ['UP', '1', 'ONLINE'], ['UP 1/2', '1', 'ONLINE'], ['DOWN', '1', 'ERROR'], ['DOWN 1/2', '1', 'ERROR'], ['DRAIN', '1', 'DRAINING'],
    ['NOLB', '1', 'DRAINING'], ['UP', '0', 'DRAINING'], ['MAINT', '1', 'OFFLINE'], ['MAINT (via x/y)', '1', 'OFFLINE'], ['no check', '1', 'NO_MONITOR'],
  ])('maps haproxy %p (weight %p) to %p', (status, weight, expected) => expect(serverStatus({ status, weight })).toBe(expected));

  it('reports only what changed since the last report at the same epoch', () => {
    const now = memberHealth(desiredLb(), parseShowStat(CSV));
    expect(changedHealth(1, now, new Map([[`1:${WEB1}`, 'ONLINE']])).map((h) => h.memberId)).toEqual([WEB2]);
    expect(changedHealth(2, now, new Map([[`1:${WEB1}`, 'ONLINE'], [`1:${WEB2}`, 'ERROR']])).length).toBe(2);
  });
});
