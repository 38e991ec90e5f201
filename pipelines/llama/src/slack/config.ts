import { GenerationError } from '@llama/core';

/** The two Slack workspaces 3.5.1 uploads to (llama/com/slack). */
export type SlackOrganisation = 'lma' | 'i3';

export interface OrganisationSettings {
  /** Human name used in messages. */
  readonly label: string;
  /** Environment variable holding the bot token. */
  readonly tokenVariable: string;
  /** Environment variable overriding the channel list (comma-separated names or IDs). */
  readonly channelsVariable: string;
  readonly defaultChannels: readonly string[];
}

export const ORGANISATIONS: Readonly<Record<SlackOrganisation, OrganisationSettings>> = {
  lma: {
    label: 'LLAMA',
    tokenVariable: 'SLACK_API_TOKEN_LLAMA',
    channelsVariable: 'SLACK_CHANNELS_LLAMA',
    defaultChannels: ['llama-uploads'],
  },
  i3: {
    label: 'IceCube',
    tokenVariable: 'SLACK_API_TOKEN_ICECUBE',
    channelsVariable: 'SLACK_CHANNELS_ICECUBE',
    defaultChannels: ['roc', 'realtime'],
  },
};

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Everything an upload needs, resolved from the environment. */
export interface SlackSettings {
  readonly organisation: SlackOrganisation;
  readonly label: string;
  readonly token: string;
  readonly apiUrl: string;
  readonly channels: readonly string[];
  /** Retries of failed HTTP requests (network errors, HTTP 5xx) inside one generation. */
  readonly retries: number;
  /** A 429 asking to wait longer than this fails the generation (the engine cools down instead). */
  readonly maxRetryAfterSeconds: number;
  /** How many 429 responses in a row one request waits out. */
  readonly maxRateLimitWaits: number;
  /** Delay before the first retry, ms (doubles each time). */
  readonly retryBaseMs: number;
}

function nonNegativeInteger(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new GenerationError(`environment variable ${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseChannels(raw: string | undefined, fallback: readonly string[]): readonly string[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw
    .split(',')
    .map((channel) => channel.trim().replace(/^#/, ''))
    .filter((channel) => channel !== '');
}

/** Resolve the settings for one organisation; a missing token is a (retryable) generation failure. */
export function slackSettings(organisation: SlackOrganisation, env: Readonly<Record<string, string | undefined>>): SlackSettings {
  const org = ORGANISATIONS[organisation];
  const token = env[org.tokenVariable];
  if (token === undefined || token.trim() === '') {
    throw new GenerationError(`cannot upload to the ${org.label} Slack workspace: ${org.tokenVariable} is not set`);
  }
  const channels = parseChannels(env[org.channelsVariable], org.defaultChannels);
  if (channels.length === 0) {
    throw new GenerationError(`${org.channelsVariable} names no channel`);
  }
  return {
    organisation,
    label: org.label,
    token: token.trim(),
    apiUrl: env['SLACK_API_URL']?.trim() || DEFAULT_SLACK_API_URL,
    channels,
    retries: nonNegativeInteger(env, 'SLACK_RETRIES', 2),
    maxRetryAfterSeconds: nonNegativeInteger(env, 'SLACK_MAX_RETRY_AFTER_SECONDS', 60),
    maxRateLimitWaits: nonNegativeInteger(env, 'SLACK_MAX_RATE_LIMIT_WAITS', 3),
    retryBaseMs: nonNegativeInteger(env, 'SLACK_RETRY_BASE_MS', 1000),
  };
}
