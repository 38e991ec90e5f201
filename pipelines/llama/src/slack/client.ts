import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationError, type RuleLogger } from '@llama/core';
import { ErrorCode, LogLevel, WebClient, type Logger } from '@slack/web-api';
import type { SlackSettings } from './config.js';

/** What one Slack upload needs besides the settings. */
export interface SlackUpload {
  readonly bytes: Buffer;
  /** Name shown in Slack (3.5.1 `filename_for_download`). */
  readonly filename: string;
  readonly title: string;
  readonly initialComment: string;
  /** What the error messages call the uploaded file (the event file's path). */
  readonly source: string;
}

/** The receipt: Slack's answer for every channel, by the channel name as configured. */
export type UploadReceipt = Record<string, unknown>;

/** Replace every secret in a text (tokens must never reach logs, receipts or errors). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[REDACTED]');
  }
  // Anything that looks like a Slack token, even one we were not told about.
  return result.replace(/xox[abposr]-[A-Za-z0-9-]+/g, 'xox?-[REDACTED]');
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;

/**
 * A fetch that waits out HTTP 429 responses for as long as Retry-After asks, within bounds; past the
 * bounds it hands the 429 to the client, which then fails the call (rejectRateLimitedCalls).
 */
function rateLimitAwareFetch(settings: SlackSettings, signal: AbortSignal, onWait: (seconds: number, url: string) => void) {
  return async (url: string | URL, init?: RequestInit): Promise<Response> => {
    for (let waits = 0; ; waits++) {
      const combined = init?.signal ? AbortSignal.any([init.signal, signal]) : signal;
      const response = await fetch(url, { ...init, signal: combined });
      if (response.status !== 429) return response;
      const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
      if (!Number.isFinite(retryAfter) || retryAfter < 0 || retryAfter > settings.maxRetryAfterSeconds || waits >= settings.maxRateLimitWaits) {
        return response;
      }
      await response.body?.cancel();
      onWait(retryAfter, String(url));
      await sleep(retryAfter * 1000, undefined, { signal });
    }
  };
}

/** Route the client's own log lines into the rule's logger, scrubbed; its debug chatter is dropped. */
function ruleLoggerAdapter(log: RuleLogger, secrets: readonly string[]): Logger {
  let level: LogLevel = LogLevel.WARN;
  const line = (parts: unknown[]) => redactSecrets(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '), secrets);
  return {
    debug: () => undefined,
    info: (...parts: unknown[]) => log.debug(`slack: ${line(parts)}`),
    warn: (...parts: unknown[]) => log.warn(`slack: ${line(parts)}`),
    error: (...parts: unknown[]) => log.error(`slack: ${line(parts)}`),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** One line explaining a failed Slack call, without secrets. */
export function describeSlackError(error: unknown, secrets: readonly string[]): string {
  const e = error as { code?: string; data?: { error?: string }; statusCode?: number; retryAfter?: number; original?: Error; message?: string };
  let text: string;
  switch (e?.code) {
    case ErrorCode.PlatformError:
      text = `Slack answered not OK: ${e.data?.error ?? 'unknown error'}`;
      break;
    case ErrorCode.HTTPError:
      text = `Slack answered HTTP ${e.statusCode ?? '?'}`;
      break;
    case ErrorCode.RateLimitedError:
      text = `Slack rate-limited the upload and asked to wait ${e.retryAfter ?? '?'} s, longer than this generation waits`;
      break;
    case ErrorCode.RequestError:
      text = `request to Slack failed: ${e.original?.message ?? e.message ?? 'unknown error'}`;
      break;
    default:
      text = error instanceof Error ? error.message : String(error);
  }
  return redactSecrets(text, secrets);
}

/**
 * Channel name → ID per workspace (API URL + token digest), for an hour: sixteen receipts per event
 * would otherwise list the conversations sixteen times (a tier-2 method, about 20 calls a minute).
 */
const CHANNEL_CACHE = new Map<string, { readonly ids: Map<string, string>; readonly until: number }>();
const CHANNEL_CACHE_MS = 3600_000;

function cacheKey(settings: SlackSettings): string {
  return `${settings.apiUrl}\u0000${createHash('sha256').update(settings.token).digest('hex')}`;
}

async function resolveChannelIds(client: WebClient, settings: SlackSettings): Promise<Map<string, string>> {
  const channels = settings.channels;
  const ids = new Map<string, string>();
  const cached = CHANNEL_CACHE.get(cacheKey(settings));
  const known = cached !== undefined && cached.until > Date.now() ? cached.ids : new Map<string, string>();
  for (const channel of channels) {
    if (CHANNEL_ID.test(channel)) ids.set(channel, channel);
    else if (known.has(channel)) ids.set(channel, known.get(channel)!);
  }
  const names = channels.filter((channel) => !ids.has(channel));
  if (names.length === 0) return ids;
  let cursor: string | undefined;
  do {
    const page = await client.conversations.list({
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const found of page.channels ?? []) {
      if (found.name !== undefined && found.id !== undefined && names.includes(found.name)) ids.set(found.name, found.id);
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor !== undefined && names.some((name) => !ids.has(name)));
  const resolved = new Map(known);
  for (const name of names) if (ids.has(name)) resolved.set(name, ids.get(name)!);
  CHANNEL_CACHE.set(cacheKey(settings), { ids: resolved, until: Date.now() + CHANNEL_CACHE_MS });
  return ids;
}

/** Forget a workspace's channel IDs (after Slack says a channel is gone). */
function forgetChannels(settings: SlackSettings): void {
  CHANNEL_CACHE.delete(cacheKey(settings));
}

/**
 * Upload one file to every configured channel with `files.uploadV2` (getUploadURLExternal → POST to
 * the upload URL → completeUploadExternal). Any failure is a GenerationError naming the file, the
 * workspace and the channel; tokens never appear in it.
 */
export async function uploadToSlack(
  settings: SlackSettings,
  upload: SlackUpload,
  options: { readonly signal: AbortSignal; readonly log: RuleLogger },
): Promise<UploadReceipt> {
  const secrets = [settings.token];
  const where = `uploading ${upload.source} to the ${settings.label} Slack workspace`;
  const client = new WebClient(settings.token, {
    slackApiUrl: settings.apiUrl,
    logger: ruleLoggerAdapter(options.log, secrets),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: settings.retries, factor: 2, minTimeout: settings.retryBaseMs, maxTimeout: settings.retryBaseMs * 8, randomize: false },
    fetch: rateLimitAwareFetch(settings, options.signal, (seconds, url) =>
      options.log.warn(`Slack rate limit: waiting ${seconds} s as Retry-After asks (${redactSecrets(new URL(url).pathname, secrets)})`),
    ),
  });

  let ids: Map<string, string>;
  try {
    ids = await resolveChannelIds(client, settings);
  } catch (error) {
    throw new GenerationError(`${where}: cannot look up the channel IDs of ${settings.channels.map((c) => `#${c}`).join(', ')}: ${describeSlackError(error, secrets)}`);
  }
  const receipt: UploadReceipt = {};
  for (const channel of settings.channels) {
    const channelId = ids.get(channel);
    if (channelId === undefined) {
      throw new GenerationError(`${where}: no channel #${channel} visible to the bot (invite it, or give the channel ID in the configuration)`);
    }
    let response: unknown;
    try {
      response = await client.files.uploadV2({
        channel_id: channelId,
        file: upload.bytes,
        filename: upload.filename,
        title: upload.title,
        initial_comment: upload.initialComment,
      });
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error === 'channel_not_found') forgetChannels(settings);
      throw new GenerationError(`${where}, channel #${channel}: ${describeSlackError(error, secrets)}`);
    }
    const ok = (response as { ok?: unknown }).ok === true;
    const completions = ((response as { files?: unknown }).files ?? []) as { ok?: unknown; error?: unknown }[];
    const failed = completions.find((completion) => completion.ok !== true);
    if (!ok || completions.length === 0 || failed !== undefined) {
      throw new GenerationError(`${where}, channel #${channel}: Slack answered not OK: ${redactSecrets(String(failed?.error ?? 'no completion'), secrets)}`);
    }
    // Keep only Slack's answer; JSON round trip drops functions and undefined, redaction drops secrets.
    receipt[channel] = JSON.parse(redactSecrets(JSON.stringify(completions.length === 1 ? completions[0] : completions), secrets));
  }
  return receipt;
}
