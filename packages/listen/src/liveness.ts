/**
 * Liveness (3.5.1's XMPP heartbeat check): no message on the heartbeat topic for `timeoutMs`, or
 * no contact with the broker for as long, is an error: reported once when it starts, and once
 * more (as information) when it ends, with how long it lasted.
 */

export interface LivenessOptions {
  readonly timeoutMs: number;
  /** Is a heartbeat topic subscribed? (igwn-alert has none.) */
  readonly heartbeatTopic: string | undefined;
  readonly broker: string;
  readonly report: (level: 'error' | 'info', line: string) => void;
  readonly now?: () => number;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

export class Liveness {
  readonly #o: LivenessOptions;
  readonly #now: () => number;
  #lastBeat: number;
  #lastContact: number;
  #beatMissingSince: number | undefined;
  #brokerDownSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LivenessOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#lastBeat = this.#now();
    this.#lastContact = this.#now();
  }

  get brokerDown(): boolean {
    return this.#brokerDownSince !== undefined;
  }

  /** A heartbeat message arrived. */
  beat(): void {
    this.#lastBeat = this.#now();
    if (this.#beatMissingSince !== undefined) {
      this.#o.report('info', `${this.#o.heartbeatTopic ?? 'heartbeat'} is back after ${seconds(this.#lastBeat - this.#beatMissingSince)} without a message`);
      this.#beatMissingSince = undefined;
    }
  }

  /** The consumer (re)joined its group: heartbeats can only flow from now on. */
  joined(): void {
    this.#lastBeat = Math.max(this.#lastBeat, this.#now());
    this.contact();
  }

  /** The broker answered (a fetch or a group heartbeat completed). */
  contact(): void {
    this.#lastContact = this.#now();
    if (this.#brokerDownSince !== undefined) {
      this.#o.report('info', `the broker ${this.#o.broker} is reachable again after an outage of ${seconds(this.#lastContact - this.#brokerDownSince)}`);
      this.#brokerDownSince = undefined;
      // Heartbeats could not arrive during the outage; give them a full timeout again.
      this.#lastBeat = Math.max(this.#lastBeat, this.#lastContact);
    }
  }

  check(): void {
    const now = this.#now();
    const { timeoutMs } = this.#o;
    if (this.#brokerDownSince === undefined && now - this.#lastContact > timeoutMs) {
      this.#brokerDownSince = this.#lastContact;
      this.#o.report('error', `the broker ${this.#o.broker} has not answered for ${seconds(now - this.#lastContact)} (last contact ${new Date(this.#lastContact).toISOString()}): no alerts can arrive`);
    }
    // While the broker is down, the missing heartbeat is that outage, not a second problem.
    if (this.#o.heartbeatTopic !== undefined && this.#brokerDownSince === undefined && this.#beatMissingSince === undefined && now - this.#lastBeat > timeoutMs) {
      this.#beatMissingSince = this.#lastBeat;
      this.#o.report('error', `no message on ${this.#o.heartbeatTopic} for ${seconds(now - this.#lastBeat)} (last ${new Date(this.#lastBeat).toISOString()}): GCN may not be delivering alerts`);
    }
  }

  start(): void {
    if (this.#o.timeoutMs <= 0) return;
    this.#timer = setInterval(() => this.check(), Math.max(200, Math.min(5000, this.#o.timeoutMs / 4)));
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}
