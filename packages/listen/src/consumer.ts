import kafkajs, { type Consumer, type LogEntry, type SASLOptions } from 'kafkajs';
import type { ingest as Ingest } from '@llama/pipelines';
import { handleMessage, topicKind, type Handled } from './handle.js';
import { Liveness } from './liveness.js';
import { AuthError, type OidcTokenProvider } from './oidc.js';
import { registerZstdCodec } from './zstd.js';

// kafkajs is CommonJS: its named exports are not visible to an ES module import.
const { Kafka, logLevel } = kafkajs;

export interface ListenLog {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export type BrokerAuth =
  | { readonly mechanism: 'oauthbearer'; readonly provider: OidcTokenProvider }
  | { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };

export interface ListenConfig {
  readonly brokers: readonly string[];
  readonly tls: boolean;
  readonly auth: BrokerAuth | undefined;
  readonly topics: readonly string[];
  /** Fixed, so that a restarted listener resumes at its committed offsets (never a random one). */
  readonly groupId: string;
  readonly archiveDir: string;
  readonly ingestOptions: Ingest.IngestOptions;
  /** Heartbeat silence or broker unreachability longer than this is an error; 0 turns it off. */
  readonly livenessTimeoutMs: number;
}

export interface ListenHooks {
  readonly log: ListenLog;
  /** Errors worth a maintainer's attention (Slack with --err-alert). */
  readonly alert: (summary: string) => Promise<void>;
  /** Aborted on SIGTERM/SIGINT: finish the message in hand, commit it, leave the group. */
  readonly stop: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * kafkajs's own log: errors as warnings, the rest at debug. During an outage the liveness check
 * has reported it once; kafkajs's retry errors (two lines a retry) then go to debug only.
 */
function kafkaLogCreator(log: ListenLog, quiet: () => boolean) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const text = `kafka: ${entry.message}${typeof entry['error'] === 'string' ? ` (${entry['error']})` : ''}${typeof entry['broker'] === 'string' ? ` [${entry['broker']}]` : ''}`;
      if (level === logLevel.ERROR && !quiet()) log.warning(text);
      else log.debug(text);
    };
}

function saslOptions(auth: BrokerAuth | undefined): SASLOptions | undefined {
  if (auth === undefined) return undefined;
  if (auth.mechanism === 'scram-sha-512') return { mechanism: 'scram-sha-512', username: auth.username, password: auth.password };
  const provider = auth.provider;
  return { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: (await provider.token()).value }) };
}

/**
 * Consume until stopped: each message is archived, ingested, recorded, and only then its offset
 * committed (at-least-once, GCN's recommended settings: fixed group, earliest offset, no
 * auto-commit). Returns the exit code.
 */
export async function listen(config: ListenConfig, hooks: ListenHooks): Promise<number> {
  // kafkajs may still report (a crash, a retry) after this function has returned and the
  // caller has closed its log: nothing is said then.
  let closed = false;
  const log: ListenLog = {
    debug: (m) => closed || hooks.log.debug(m),
    info: (m) => closed || hooks.log.info(m),
    warning: (m) => closed || hooks.log.warning(m),
    error: (m) => closed || hooks.log.error(m),
  };
  const env = hooks.env ?? process.env;
  registerZstdCodec();
  if (config.auth?.mechanism === 'oauthbearer') {
    // Fail at start with one clear line when the credentials are wrong, not in a retry loop.
    try {
      const token = await config.auth.provider.token();
      log.info(`got a GCN access token (valid until ${new Date(token.expiresAt).toISOString()})`);
    } catch (error) {
      if (error instanceof AuthError) {
        log.error(error.message);
        return 2;
      }
      throw error;
    }
  }
  const ingest = (await import('@llama/pipelines')).ingest;
  const broker = config.brokers.join(',');
  const heartbeatTopic = config.topics.find((t) => topicKind(t) === 'heartbeat');
  const liveness = new Liveness({
    timeoutMs: config.livenessTimeoutMs,
    heartbeatTopic,
    broker,
    report: (level, line) => {
      if (level === 'info') {
        log.info(line);
        return;
      }
      log.error(line);
      void hooks.alert(line);
    },
  });
  const kafka = new Kafka({
    clientId: 'llama-listen',
    brokers: [...config.brokers],
    ssl: config.tls,
    ...(config.auth === undefined ? {} : { sasl: saslOptions(config.auth) as SASLOptions }),
    connectionTimeout: 5000,
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(log, () => liveness.brokerDown),
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 10 },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    // How long the broker may hold a fetch with nothing to return. A Kafka broker answers a
    // parked fetch as soon as a message arrives; brokers that do not (librdkafka's mock cluster)
    // delay a message by up to this much. Two idle fetches a second cost nothing worth saving.
    maxWaitTimeInMs: config.livenessTimeoutMs > 0 ? Math.max(100, Math.min(500, Math.floor(config.livenessTimeoutMs / 3))) : 500,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 10, restartOnFailure: async () => true },
    // A listener restarted after a crash cannot receive anything until the broker has dropped
    // its dead predecessor from the group: after this long without heartbeats (kafkajs's
    // default is 30 s; brokers accept down to 6 s by default).
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
  });
  let crashed: Error | undefined;
  let resolveCrash: () => void = () => {};
  const crashedForGood = new Promise<void>((resolve) => (resolveCrash = resolve));
  consumer.on(consumer.events.FETCH, () => liveness.contact());
  consumer.on(consumer.events.HEARTBEAT, () => liveness.contact());
  // Any answer from the broker counts, so a slow machine's late fetch is not taken for an outage.
  consumer.on(consumer.events.REQUEST, () => liveness.contact());
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    liveness.joined();
    const assigned = Object.entries(e.payload.memberAssignment).map(([t, p]) => `${t}[${p.join(',')}]`).join(' ');
    log.info(`joined consumer group ${config.groupId} on ${broker}: ${assigned || 'no partitions assigned'}`);
  });
  consumer.on(consumer.events.CRASH, (e) => {
    const error = e.payload.error;
    log.warning(`the consumer stopped on an error${e.payload.restart ? ' and restarts' : ''}: ${error.message}`);
    if (!e.payload.restart) {
      crashed = error;
      resolveCrash();
    }
  });

  const fault = env['LLAMA_LISTEN_FAULT'];
  let inHand: Promise<void> | undefined;
  let lastHeartbeatCommit = 0;
  const onMessage = (topic: string, partition: number, message: { offset: string; value: Buffer | null; timestamp: string }): Promise<void> => {
    const work = handleOne(topic, partition, message);
    inHand = work.catch(() => {});
    return work;
  };
  const handleOne = async (topic: string, partition: number, message: { offset: string; value: Buffer | null; timestamp: string }): Promise<void> => {
    liveness.contact();
    const heartbeat = topicKind(topic) === 'heartbeat';
    if (heartbeat) liveness.beat();
    const started = Date.now();
    let handled: Handled;
    try {
      handled = await handleMessage(
        { topic, partition, offset: message.offset, value: new Uint8Array(message.value ?? Buffer.alloc(0)), timestamp: message.timestamp },
        { ingest, options: config.ingestOptions, archiveDir: config.archiveDir },
      );
    } catch (error) {
      // Not an expected failure (the archive cannot be written: disk full, permissions): do
      // not commit; kafkajs delivers the message again after a back-off.
      const line = `${topic}[${partition}]@${message.offset}: could not archive or record the message, will retry: ${error instanceof Error ? error.message : String(error)}`;
      log.error(line);
      void hooks.alert(line);
      throw error;
    }
    const took = Date.now() - started;
    for (const line of handled.lines) {
      if (handled.status === 'failed') log.error(line);
      else log.info(handled.status === 'duplicate' ? line : `${line} (${took} ms)`);
    }
    // Fault injection for the crash tests: a kill -9 after handling, before the commit.
    if (fault === 'kill-before-commit' && handled.status !== 'heartbeat') process.kill(process.pid, 'SIGKILL');
    // A heartbeat a second needs no commit each: re-reading a few after a restart costs nothing.
    if (heartbeat && Date.now() - lastHeartbeatCommit < HEARTBEAT_COMMIT_MS) return;
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    if (heartbeat) lastHeartbeatCommit = Date.now();
  };

  liveness.start();
  try {
    log.info(`listening to ${config.topics.join(', ')} on ${broker} as consumer group ${config.groupId}; archive ${config.archiveDir}; run ${config.ingestOptions.runDir}`);
    for (;;) {
      if (hooks.stop.aborted) return 0;
      try {
        await consumer.connect();
        break;
      } catch (error) {
        if (hooks.stop.aborted) return 0;
        log.warning(`cannot connect to ${broker} (${error instanceof Error ? error.message : String(error)}); retrying`);
        liveness.check();
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    // A new group starts alerts at the earliest retained offset (GCN's advice: nothing is
    // missed), but heartbeats at the latest: the past ones say nothing about now.
    const alertTopics = config.topics.filter((t) => topicKind(t) !== 'heartbeat');
    const heartbeatTopics = config.topics.filter((t) => topicKind(t) === 'heartbeat');
    if (alertTopics.length > 0) await consumer.subscribe({ topics: alertTopics, fromBeginning: true });
    if (heartbeatTopics.length > 0) await consumer.subscribe({ topics: heartbeatTopics, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => onMessage(topic, partition, message),
    });
    await Promise.race([aborted(hooks.stop), crashedForGood]);
    if (crashed !== undefined) {
      const line = `the consumer gave up: ${crashed.message}`;
      log.error(line);
      await hooks.alert(line);
      return 1;
    }
    log.info('stopping: finishing the message in hand and committing it');
    return 0;
  } finally {
    liveness.stop();
    // The message in hand is finished (and its offset committed, if the broker is there)...
    if (inHand !== undefined) await withTimeout(inHand, 60_000);
    // ...then the group is left. kafkajs's disconnect waits for its fetch loop, which retries
    // for a long time while the broker is gone: not committing more is safe (what is not
    // committed is delivered again), hanging on the way out is not.
    const left = await withTimeout(
      consumer.disconnect().then(
        () => true,
        (error: unknown) => (log.warning(`leaving the consumer group: ${error instanceof Error ? error.message : String(error)}`), true),
      ),
      DISCONNECT_TIMEOUT_MS,
    );
    if (left !== true) log.warning(`the broker did not let the consumer leave its group within ${DISCONNECT_TIMEOUT_MS / 1000} s; stopping without it`);
    closed = true;
  }
}

const DISCONNECT_TIMEOUT_MS = 5000;
const HEARTBEAT_COMMIT_MS = 10_000;

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
