import { describe, expect, it } from 'vitest';
import { Liveness } from './liveness.js';

function harness(heartbeatTopic: string | undefined) {
  let now = 0;
  const reports: string[] = [];
  const liveness = new Liveness({ timeoutMs: 10_000, heartbeatTopic, broker: 'b:9092', now: () => now, report: (level, line) => reports.push(`${level}: ${line}`) });
  return { liveness, reports, advance: (ms: number) => (now += ms) };
}

describe('Liveness', () => {
  it('reports a silent heartbeat topic once, and its return with the gap', () => {
    const { liveness, reports, advance } = harness('gcn.heartbeat');
    advance(9_000);
    liveness.contact();
    liveness.check();
    expect(reports).toEqual([]);
    advance(2_000);
    liveness.contact();
    liveness.check();
    liveness.check();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^error: no message on gcn\.heartbeat for 11 s/);
    advance(4_000);
    liveness.beat();
    expect(reports[1]).toBe('info: gcn.heartbeat is back after 15 s without a message');
  });

  it('reports an unreachable broker once (not also the heartbeat it hides), and the end of the outage', () => {
    const { liveness, reports, advance } = harness('gcn.heartbeat');
    advance(10_001);
    liveness.check();
    liveness.check();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^error: the broker b:9092 has not answered for 10 s/);
    advance(20_000);
    liveness.contact();
    expect(reports[1]).toBe('info: the broker b:9092 is reachable again after an outage of 30 s');
    // A full timeout for the heartbeat after the outage.
    advance(9_000);
    liveness.contact();
    liveness.check();
    expect(reports).toHaveLength(2);
  });

  it('without a heartbeat topic (igwn-alert) only the broker is watched', () => {
    const { liveness, reports, advance } = harness(undefined);
    for (let i = 0; i < 5; i++) {
      advance(5_000);
      liveness.contact();
      liveness.check();
    }
    expect(reports).toEqual([]);
  });
});
